//! The expiry watcher's face: warns before the session ends, offers "Stay signed in", and
//! says when the session cannot be extended. The watch itself (reading the deadlines, the
//! timing, the extension, signing the page out at the end, the other tabs) is the library's
//! `use_session_expiry()`.
//!
//! Near the idle deadline it shows a modal dialog (native `<dialog>` opened with
//! `showModal()`: focus moves into it, the rest of the page is inert, Escape means "stay");
//! near the absolute deadline, a notice saying when the session ends.

use ferris_login_yew::use_session_expiry;
use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Interval;
use shared::OffsetDateTime;
use web_sys::{HtmlDialogElement, HtmlElement};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AuthState, ErrorAdvice};
use crate::browser;
use crate::format::instant::{clock, countdown, describe_remaining};
use crate::hooks::use_auth;
use crate::routes::{after_logout, Route};
use crate::words::LOG_OUT;

/// Mounts the watcher for the signed-in session (a new one for each user).
#[component]
pub fn ExpiryWatcher() -> Html {
    let auth = use_auth();
    match auth.state() {
        AuthState::Authenticated(user) => html! { <SessionClock key={user.sub.clone()} /> },
        _ => html! {},
    }
}

#[component]
fn SessionClock() -> Html {
    let auth = use_auth();
    let expiry = use_session_expiry();
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let here = use_location()
        .map(|l| format!("{}{}", l.path(), l.query_str()))
        .unwrap_or_else(|| "/".to_string());

    // Typing anywhere on the page is activity: near the warning it extends the session
    // quietly, so "Are you still there?" never opens in the middle of a sentence.
    let latest = use_mut_ref(|| expiry.clone());
    *latest.borrow_mut() = expiry.clone();
    use_effect_with((), move |_| {
        let listener = web_sys::window()
            .and_then(|w| w.document())
            .map(|document| {
                EventListener::new(&document, "input", move |_| latest.borrow().activity())
            });
        move || drop(listener)
    });

    let on_stay = {
        let expiry = expiry.clone();
        Callback::from(move |()| expiry.extend())
    };
    let on_logout = auth.on_logout(after_logout(route, &here));

    let ending = expiry.ending_at.map(|ends_at| {
        html! {
            <div id="session-ending" class="notice notice-warning" role="status">
                <p class="notice-message">
                    { format!(
                        "Your session ends at {} ({}) and cannot be extended. Save your work; you will need to log in again.",
                        clock(browser::local(ends_at)),
                        describe_remaining(ends_at, browser::now()),
                    ) }
                </p>
            </div>
        }
    });
    let error = expiry.extend_error.as_ref().map(|e| e.user_message());
    let dialog = expiry.idle_warning.map(|deadline| {
        html! {
            <ExpiryDialog {deadline} extending={expiry.extending}
                {error} {on_stay} {on_logout} />
        }
    });

    html! { <>{ for ending }{ for dialog }</> }
}

#[derive(Properties, PartialEq)]
struct ExpiryDialogProps {
    /// The idle deadline on this device's clock.
    deadline: OffsetDateTime,
    extending: bool,
    error: Option<&'static str>,
    on_stay: Callback<()>,
    on_logout: Callback<()>,
}

/// `dialog#expiry-dialog` (`role="dialog"`, `aria-modal="true"`), buttons `#stay-signed-in`
/// (focused on open) and `#expiry-logout`. On close the focus goes back where it was.
#[component]
fn ExpiryDialog(props: &ExpiryDialogProps) -> Html {
    let dialog_ref = use_node_ref();
    let stay_ref = use_node_ref();
    let now = use_state(browser::now);

    // The latest "stay" handler, for the listeners attached once below.
    let latest_stay = use_mut_ref(|| props.on_stay.clone());
    *latest_stay.borrow_mut() = props.on_stay.clone();

    // Open as a modal, focus "Stay signed in"; Escape (the dialog's `cancel`) means "stay", and
    // so does a close the browser forces. On the way out give the focus back.
    {
        let dialog_ref = dialog_ref.clone();
        let stay_ref = stay_ref.clone();
        use_effect_with((), move |_| {
            let previous = browser::focused_element();
            let mut listeners = Vec::new();
            if let Some(dialog) = dialog_ref.cast::<HtmlDialogElement>() {
                let stay = latest_stay.clone();
                listeners.push(EventListener::new_with_options(
                    &dialog,
                    "cancel",
                    EventListenerOptions::enable_prevent_default(),
                    move |event| {
                        event.prevent_default();
                        let on_stay = stay.borrow().clone();
                        on_stay.emit(());
                    },
                ));
                let stay = latest_stay.clone();
                listeners.push(EventListener::new(&dialog, "close", move |_| {
                    let on_stay = stay.borrow().clone();
                    on_stay.emit(());
                }));
                if !dialog.open() && dialog.show_modal().is_err() {
                    browser::log("could not open the expiry dialog as a modal");
                }
            }
            if let Some(stay) = stay_ref.cast::<HtmlElement>() {
                // Focus only fails on a detached element.
                let _ = stay.focus();
            }
            move || {
                drop(listeners);
                if let Some(dialog) = dialog_ref.cast::<HtmlDialogElement>() {
                    dialog.close();
                }
                let restored = previous.is_some_and(|p| p.is_connected() && p.focus().is_ok());
                if !restored || browser::focus_is_nowhere() {
                    browser::focus_page_heading();
                }
            }
        });
    }

    // The countdown ticks every second.
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let ticker = Interval::new(1_000, move || now.set(browser::now()));
            move || drop(ticker)
        });
    }

    let stay = {
        let on_stay = props.on_stay.clone();
        Callback::from(move |_: MouseEvent| on_stay.emit(()))
    };
    let logout = {
        let on_logout = props.on_logout.clone();
        Callback::from(move |_: MouseEvent| on_logout.emit(()))
    };

    let deadline = browser::local(props.deadline);
    html! {
        <dialog id="expiry-dialog" ref={dialog_ref} class="expiry-dialog" role="dialog" aria-modal="true"
            aria-labelledby="expiry-title" aria-describedby="expiry-text">
            <h2 id="expiry-title">{ "Are you still there?" }</h2>
            <p id="expiry-text">
                { format!(
                    "For your security you will be signed out at {} because of inactivity. Stay signed in to keep working.",
                    clock(deadline)
                ) }
            </p>
            <p class="expiry-countdown" aria-hidden="true">
                { format!("Signing out in {}", countdown(props.deadline, *now)) }
            </p>
            if let Some(error) = props.error {
                <p id="expiry-error" class="field-problem" role="alert">
                    { format!("We could not keep you signed in. {error}") }
                </p>
            }
            <div class="dialog-buttons">
                <button id="stay-signed-in" ref={stay_ref} type="button" class="btn btn-primary"
                    aria-disabled={props.extending.then_some("true")} onclick={stay}>
                    { if props.extending { "Staying signed in…" } else { "Stay signed in" } }
                </button>
                <button id="expiry-logout" type="button" class="btn btn-secondary" onclick={logout}>
                    { LOG_OUT }
                </button>
            </div>
        </dialog>
    }
}

//! The expiry watcher: warns before the session ends, offers "Stay signed in", and signs the
//! page out when it has ended. The timing is [`crate::auth::expiry`] (pure, tested natively).
//!
//! While signed in it reads `GET /api/auth/session` (which extends nothing) after sign-in,
//! again at each moment [`ExpiryTracker::assess`] names, when another tab extended the session,
//! and when the tab becomes visible again. Near the idle deadline it shows a modal dialog
//! (native `<dialog>` opened with `showModal()`: focus moves into it, the rest of the page is
//! inert, Escape means "stay"); near the absolute deadline, a notice saying when the session
//! ends. At the end, the `401` of the next read signs the page out as "expired", and the other
//! tabs hear of it.

use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::{Interval, Timeout};
use shared::{OffsetDateTime, SessionStatus};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlDialogElement, HtmlElement, VisibilityState};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::expiry::{Assessment, ExpiryTracker};
use crate::auth::tab_event::TabEvent;
use crate::auth::AuthState;
use crate::browser;
use crate::format::instant::{clock, countdown, describe_remaining};
use crate::hooks::use_auth;
use crate::routes::{after_logout, Route};
use crate::services::{self, tabs, ApiError};

/// Mounts the watcher for the signed-in session (a new one for each user).
#[component]
pub fn ExpiryWatcher() -> Html {
    let auth = use_auth();
    match auth.state() {
        AuthState::Authenticated(user) => html! { <SessionClock key={user.sub.clone()} /> },
        _ => html! {},
    }
}

/// What the watcher knows.
#[derive(Debug, Clone, Default, PartialEq)]
struct Watch {
    tracker: Option<ExpiryTracker>,
    assessment: Option<Assessment>,
    /// Bumped to ask for a fresh read of the status.
    looks: u64,
    /// "Stay signed in" is running.
    extending: bool,
    /// Why the last "Stay signed in" failed (our sentence).
    extend_error: Option<&'static str>,
}

enum WatchAction {
    Look,
    Observed(SessionStatus, OffsetDateTime),
    ExtendStarted,
    ExtendFailed(&'static str),
}

impl Reducible for Watch {
    type Action = WatchAction;

    fn reduce(self: Rc<Self>, action: WatchAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            WatchAction::Look => next.looks += 1,
            WatchAction::Observed(status, received_at) => {
                let tracker = ExpiryTracker::observe(self.tracker.as_ref(), &status, received_at);
                next.assessment = Some(tracker.assess(received_at));
                next.tracker = Some(tracker);
                next.extending = false;
                next.extend_error = None;
            }
            WatchAction::ExtendStarted => {
                next.extending = true;
                next.extend_error = None;
            }
            WatchAction::ExtendFailed(message) => {
                next.extending = false;
                next.extend_error = Some(message);
            }
        }
        Rc::new(next)
    }
}

#[component]
fn SessionClock() -> Html {
    let auth = use_auth();
    let watch = use_reducer(Watch::default);
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let here = use_location()
        .map(|l| format!("{}{}", l.path(), l.query_str()))
        .unwrap_or_else(|| "/".to_string());

    // Read the status now and whenever a look is asked for.
    {
        let dispatcher = watch.dispatcher();
        let auth = auth.clone();
        let tracker = watch.tracker;
        use_effect_with(watch.looks, move |_| {
            spawn_local(async move {
                match services::session_status().await {
                    Ok(status) => {
                        dispatcher.dispatch(WatchAction::Observed(status, browser::now()))
                    }
                    // The end has come (or passed): say "expired", and tell the other tabs.
                    Err(ApiError::Unauthenticated) => {
                        let ended = tracker.is_some_and(|t| {
                            t.deadlines.end() <= browser::now() + time::Duration::seconds(5)
                        });
                        if ended {
                            auth.expired();
                        }
                    }
                    Err(error) => {
                        // Look again a little later; nothing to show for a hiccup.
                        browser::log(&format!("reading the session's deadlines failed: {error}"));
                        Timeout::new(30_000, move || dispatcher.dispatch(WatchAction::Look))
                            .forget();
                    }
                }
            });
        });
    }

    // Sleep until the next moment that matters.
    {
        let dispatcher = watch.dispatcher();
        let wake_at = watch.assessment.map(|a| a.wake_at);
        use_effect_with(wake_at, move |wake_at| {
            let timer = wake_at.map(|at| {
                let millis = (at - browser::now())
                    .whole_milliseconds()
                    .clamp(0, i128::from(u32::MAX));
                Timeout::new(millis as u32, move || {
                    dispatcher.dispatch(WatchAction::Look)
                })
            });
            move || drop(timer)
        });
    }

    // Another tab extended the session, or this tab is visible again: look.
    {
        let dispatcher = watch.dispatcher();
        use_effect_with((), move |_| {
            let from_tabs = {
                let dispatcher = dispatcher.clone();
                tabs::subscribe(Callback::from(move |event: TabEvent| {
                    if event == TabEvent::Extended {
                        dispatcher.dispatch(WatchAction::Look);
                    }
                }))
            };
            let on_visible = web_sys::window()
                .and_then(|w| w.document())
                .map(|document| {
                    let target = document.clone();
                    EventListener::new(&target, "visibilitychange", move |_| {
                        if document.visibility_state() == VisibilityState::Visible {
                            dispatcher.dispatch(WatchAction::Look);
                        }
                    })
                });
            move || {
                drop(on_visible);
                drop(from_tabs);
            }
        });
    }

    let Some((assessment, tracker)) = watch.assessment.zip(watch.tracker) else {
        return html! {};
    };

    let on_stay = {
        let dispatcher = watch.dispatcher();
        let auth = auth.clone();
        let extending = watch.extending;
        Callback::from(move |()| {
            if extending {
                return;
            }
            dispatcher.dispatch(WatchAction::ExtendStarted);
            let dispatcher = dispatcher.clone();
            let auth = auth.clone();
            spawn_local(async move {
                match services::extend_session().await {
                    Ok(status) => {
                        tabs::publish(TabEvent::Extended);
                        dispatcher.dispatch(WatchAction::Observed(status, browser::now()));
                    }
                    Err(ApiError::Unauthenticated) => auth.expired(),
                    Err(error) => {
                        browser::log(&format!("extending the session failed: {error}"));
                        dispatcher.dispatch(WatchAction::ExtendFailed(error.user_message()));
                    }
                }
            });
        })
    };
    let on_logout = {
        let auth = auth.clone();
        let back = after_logout(route, &here);
        Callback::from(move |()| {
            let (auth, back) = (auth.clone(), back.clone());
            spawn_local(async move {
                // A failure shows its own notice.
                let _ = auth.logout(back).await;
            });
        })
    };

    let ending = assessment.ending_soon.then(|| {
        let ends_at = tracker.deadlines.absolute;
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
    let dialog = assessment.idle_warning.then(|| {
        html! {
            <ExpiryDialog deadline={tracker.deadlines.idle} extending={watch.extending}
                error={watch.extend_error} {on_stay} {on_logout} />
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
                    { "Log out" }
                </button>
            </div>
        </dialog>
    }
}

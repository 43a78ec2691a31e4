//! The message banner: a login that failed, a session that ended or expired, a sign-out, a
//! check that failed. Says what happened (our sentence, as text) and carries the next step as
//! a button.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AuthState, LoginOptions, Notice, NoticeAction, NoticeKind, NoticeTopic};
use crate::browser;
use crate::hooks::use_auth;
use crate::routes::{after_logout, Route};

/// `#notice` with `data-kind` (`info`/`warning`/`error`) and `data-code`; the next step is
/// `#notice-action` (`data-action`: `log-in`, `retry-login`, `retry-check`, `retry-logout`,
/// `contact-admin`); close: `#notice-dismiss` (the focus then goes to the page's heading).
#[component]
pub fn NoticeBanner() -> Html {
    let auth = use_auth();
    let here = use_location()
        .map(|l| format!("{}{}", l.path(), l.query_str()))
        .unwrap_or_else(|| "/".to_string());
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let details_open = use_state(|| false);
    let Some(notice) = auth.notice().map(Notice::from_auth) else {
        return html! {};
    };
    let kind = match notice.kind {
        NoticeKind::Info => "info",
        NoticeKind::Warning => "warning",
        NoticeKind::Error => "error",
    };
    let dismiss = {
        let auth = auth.clone();
        let details_open = details_open.clone();
        Callback::from(move |_: MouseEvent| {
            details_open.set(false);
            // The banner goes away: the heading below takes the focus (never <body>).
            browser::focus_page_heading();
            auth.dismiss_notice();
        })
    };

    // On a protected page the guard's card already offers "Log in again": one button is enough.
    let card_offers_login = !route.is_public()
        && notice.topic == NoticeTopic::SessionState
        && !matches!(auth.state(), AuthState::Authenticated(_));
    // Said once: where the card takes the focus and its heading says what happened, the
    // banner is not a live region as well.
    let role = match notice.kind {
        _ if card_offers_login => None,
        NoticeKind::Info => Some("status"),
        NoticeKind::Warning | NoticeKind::Error => Some("alert"),
    };
    let action = notice
        .action
        .filter(|a| !(*a == NoticeAction::LogIn && card_offers_login));
    let action = action.map(|action| {
        let label = action.label();
        match action {
            NoticeAction::LogIn | NoticeAction::RetryLogin => {
                let data = if action == NoticeAction::LogIn { "log-in" } else { "retry-login" };
                html! {
                    <a id="notice-action" data-action={data} class="btn btn-small btn-primary"
                        href={auth.login_url(&LoginOptions::return_to(here.clone()))} onclick={auth.on_login_link()}>
                        { label }
                    </a>
                }
            }
            NoticeAction::RetrySessionCheck => {
                let auth = auth.clone();
                let onclick = Callback::from(move |_: MouseEvent| auth.recheck());
                html! {
                    <button id="notice-action" data-action="retry-check" type="button"
                        class="btn btn-small btn-primary" {onclick}>{ label }</button>
                }
            }
            NoticeAction::RetryLogout => {
                let auth = auth.clone();
                let back = after_logout(route, &here);
                let onclick = Callback::from(move |_: MouseEvent| {
                    let (auth, back) = (auth.clone(), back.clone());
                    spawn_local(async move {
                        // A failure shows its own notice.
                        let _ = auth.logout(back).await;
                    });
                });
                html! {
                    <button id="notice-action" data-action="retry-logout" type="button"
                        class="btn btn-small btn-primary" {onclick}>{ label }</button>
                }
            }
            NoticeAction::ContactAdministrator => {
                let open = *details_open;
                let onclick = {
                    let details_open = details_open.clone();
                    Callback::from(move |_: MouseEvent| details_open.set(!open))
                };
                html! {
                    <button id="notice-action" data-action="contact-admin" type="button"
                        class="btn btn-small btn-secondary" aria-expanded={open.to_string()}
                        aria-controls="notice-details" {onclick}>{ label }</button>
                }
            }
        }
    });
    let details = (notice.action == Some(NoticeAction::ContactAdministrator)).then(|| {
        html! {
            <p id="notice-details" class="notice-details" hidden={!*details_open}>
                { "Tell your administrator what you were doing, when it happened, and this reference: " }
                <code>{ notice.code.clone() }</code>
            </p>
        }
    });

    html! {
        <div id="notice" class={classes!("notice", format!("notice-{kind}"))} {role}
            data-kind={kind} data-code={notice.code.clone()}>
            <span class="notice-icon" aria-hidden="true">{ kind_icon(notice.kind, false) }</span>
            <div class="notice-body">
                <p class="notice-message">{ notice.message.clone() }</p>
                { for details }
            </div>
            { for action }
            <button id="notice-dismiss" type="button" class="notice-dismiss"
                aria-label="Dismiss this message" title="Dismiss" onclick={dismiss}>
                { close_icon() }
            </button>
        </div>
    }
}

/// The × of every banner.
pub fn close_icon() -> Html {
    html! {
        <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
            <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" stroke-width="2" stroke-linecap="round" fill="none" />
        </svg>
    }
}

/// The banner's icon: a tick for a success, an "i" for information, a triangle otherwise.
pub fn kind_icon(kind: NoticeKind, success: bool) -> Html {
    match (kind, success) {
        (_, true) => html! {
            <svg viewBox="0 0 20 20" width="20" height="20">
                <circle cx="10" cy="10" r="8" fill="none" stroke="currentColor" stroke-width="2" />
                <path d="M6.5 10.2l2.3 2.3 4.7-4.8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
            </svg>
        },
        (NoticeKind::Info, false) => html! {
            <svg viewBox="0 0 20 20" width="20" height="20">
                <circle cx="10" cy="10" r="8" fill="none" stroke="currentColor" stroke-width="2" />
                <path d="M10 9v5M10 6.2v.1" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
            </svg>
        },
        (NoticeKind::Warning | NoticeKind::Error, false) => html! {
            <svg viewBox="0 0 20 20" width="20" height="20">
                <path d="M10 2.5l8 14.5H2z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" />
                <path d="M10 8v4M10 14.6v.1" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
            </svg>
        },
    }
}

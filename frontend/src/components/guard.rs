//! `<RequireAuth requirement=...>`: the protected-page guard.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{
    guard_decision, AnonymousReason, AuthState, GuardDecision, NoticeAction, Requirement,
};
use crate::browser;
use crate::components::loading::Loading;
use crate::hooks::use_auth;
use crate::pages::forbidden::ForbiddenPage;

#[derive(Properties, PartialEq)]
pub struct RequireAuthProps {
    #[prop_or_default]
    pub requirement: Requirement,
    #[prop_or_default]
    pub children: Html,
}

/// Loading while the session check runs; then the children, or a full-page navigation to the
/// login (with the current path and query as `returnTo`), or the forbidden page. A session that
/// ended, expired or was signed out while the page was open gets a card with "Log in again"
/// (back to this page), never a surprise navigation.
#[component]
pub fn RequireAuth(props: &RequireAuthProps) -> Html {
    let auth = use_auth();
    let return_to = use_location()
        .map(|l| format!("{}{}", l.path(), l.query_str()))
        .unwrap_or_else(|| "/".to_string());
    let decision = guard_decision(auth.state(), &props.requirement, &return_to);

    use_effect_with(decision.clone(), |decision| {
        if let GuardDecision::RedirectToLogin(url) = decision {
            browser::start_login(url);
        }
    });

    match decision {
        GuardDecision::ShowLoading => html! { <Loading /> },
        GuardDecision::Render => props.children.clone(),
        GuardDecision::RedirectToLogin(_) => {
            html! { <Loading message="Taking you to the sign-in page…" /> }
        }
        GuardDecision::OfferLogin(url) => {
            let (title, text) = match auth.state() {
                AuthState::Anonymous(AnonymousReason::SignedOut) => {
                    ("You have signed out", "Log in again to see this page.")
                }
                AuthState::Anonymous(AnonymousReason::Expired) => (
                    "Your session has expired",
                    "For your security you were signed out after a while. Log in again to continue where you left off.",
                ),
                _ => (
                    "Your session has ended",
                    "For your security you were signed out. Log in again to continue where you left off.",
                ),
            };
            html! {
                <section id="session-ended" class="card state-card">
                    <h1 tabindex="-1">{ title }</h1>
                    <p class="muted">{ text }</p>
                    <a id="relogin" class="btn btn-primary" href={url}
                        onclick={Callback::from(|_: MouseEvent| browser::mark_login_started())}>
                        { "Log in again" }
                    </a>
                </section>
            }
        }
        GuardDecision::Forbidden => html! { <ForbiddenPage /> },
        GuardDecision::Unavailable => {
            // The banner above explains the failure and offers "Try again"; once it is
            // dismissed, the card offers it instead.
            let banner_offers_retry = auth
                .notice()
                .is_some_and(|n| n.action == Some(NoticeAction::RetrySessionCheck));
            let onclick = Callback::from(move |_: MouseEvent| auth.retry());
            html! {
                <section id="auth-unavailable" class="card state-card">
                    <h1 tabindex="-1">{ "This page needs a signed-in session" }</h1>
                    <p class="muted">{ "It will show as soon as we can confirm who you are." }</p>
                    if !banner_offers_retry {
                        <button type="button" class="btn btn-primary" {onclick}>{ "Try again" }</button>
                    }
                </section>
            }
        }
    }
}

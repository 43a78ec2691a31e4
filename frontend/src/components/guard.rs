//! `<Guard requirement=...>`: the library's `<RequireAuth>` with the demo's views.

use ferris_login_yew::{RequireAuth, SignedOut};
use yew::prelude::*;

use crate::auth::{AnonymousReason, NoticeAction, Requirement};
use crate::components::loading::{loading, CHECKING_SESSION};
use crate::hooks::use_auth;
use crate::pages::forbidden::ForbiddenPage;
use crate::words::LOG_IN_AGAIN;

/// The properties of [`Guard`].
#[derive(Properties, PartialEq)]
pub struct GuardProps {
    /// What the page needs.
    #[prop_or_default]
    pub requirement: Requirement,
    /// The page.
    #[prop_or_default]
    pub children: Html,
}

/// The card's heading and sentence for why the session is gone. The heading says it once; the
/// banner above (not a live region on a protected page) uses the same words.
pub fn ended_words(reason: AnonymousReason) -> (&'static str, &'static str) {
    match reason {
        AnonymousReason::SignedOut => ("You have signed out", "Log in again to see this page."),
        AnonymousReason::Expired => (
            "Your session has expired",
            "For your security you were signed out after a period of inactivity. Log in again to continue where you left off.",
        ),
        _ => (
            "Your session has ended",
            "For your security you were signed out. Log in again to continue where you left off.",
        ),
    }
}

#[derive(Properties, PartialEq)]
struct SessionEndedCardProps {
    title: &'static str,
    text: &'static str,
    login_url: AttrValue,
    on_click: Callback<MouseEvent>,
}

/// `#session-ended` with "Log in again" (`#relogin`). It takes the focus when it appears (its
/// heading): the expiry dialog that had it is gone, and the focus must not fall to `<body>`.
#[component]
fn SessionEndedCard(props: &SessionEndedCardProps) -> Html {
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with(props.title, move |_| {
            if let Some(heading) = heading.cast::<web_sys::HtmlElement>() {
                // Focus only fails on a detached element.
                let _ = heading.focus();
            }
        });
    }
    html! {
        <section id="session-ended" class="card state-card">
            <h1 tabindex="-1" ref={heading}>{ props.title }</h1>
            <p class="muted">{ props.text }</p>
            <a id="relogin" class="btn btn-primary" href={props.login_url.clone()}
                onclick={props.on_click.clone()}>
                { LOG_IN_AGAIN }
            </a>
        </section>
    }
}

/// Loading while the session check runs; then the children, or a full-page navigation to the
/// login (with the current path and query as `returnTo`), or the forbidden page. A session that
/// ended, expired or was signed out while the page was open gets a card with "Log in again"
/// (back to this page), never a surprise navigation.
#[component]
pub fn Guard(props: &GuardProps) -> Html {
    let auth = use_auth();
    let signed_out = {
        let on_click = auth.on_login_link::<MouseEvent>();
        Callback::from(move |view: SignedOut| {
            let (title, text) = ended_words(view.reason);
            html! {
                <SessionEndedCard {title} {text} login_url={view.login_url}
                    on_click={on_click.clone()} />
            }
        })
    };
    // The banner above explains a failed check and offers "Try again"; once it is dismissed,
    // the card offers it instead.
    let banner_offers_retry = auth.notice().is_some_and(|n| {
        crate::auth::Notice::from_auth(n).action == Some(NoticeAction::RetrySessionCheck)
    });
    let retry = {
        let auth = auth.clone();
        Callback::from(move |_: MouseEvent| auth.recheck())
    };
    let unavailable = html! {
        <section id="auth-unavailable" class="card state-card">
            <h1 tabindex="-1">{ "This page needs a signed-in session" }</h1>
            <p class="muted">{ "It will show as soon as we can confirm who you are." }</p>
            if !banner_offers_retry {
                <button type="button" class="btn btn-primary" onclick={retry}>{ "Try again" }</button>
            }
        </section>
    };
    html! {
        <RequireAuth requirement={props.requirement.clone()}
            loading={loading("loading", CHECKING_SESSION)}
            redirecting={loading("loading", "Taking you to the sign-in page…")}
            forbidden={html! { <ForbiddenPage /> }}
            {signed_out} {unavailable}>
            { props.children.clone() }
        </RequireAuth>
    }
}

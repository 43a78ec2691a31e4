//! Not allowed: `/forbidden`, and what the guard shows for a missing role. A visitor who is not
//! signed in is told so and offered "Log in" (never "your account is signed in").

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::LoginOptions;
use crate::hooks::use_auth;
use crate::routes::Route;
use crate::words::LOG_IN;

/// What the page says to someone signed in (it names them) and to a visitor (it offers to log
/// in): `(heading, sentence)`.
pub fn forbidden_words(signed_in: bool) -> (&'static str, &'static str) {
    if signed_in {
        (
            "You don't have access to this page",
            "Your account lacks the role or permission this page needs. An administrator can give it to you: tell them which page you need.",
        )
    } else {
        (
            "You need to log in to see this page",
            "You are not signed in. Log in, and if your account has the access this page needs, you will see it.",
        )
    }
}

#[component]
pub fn ForbiddenPage() -> Html {
    let auth = use_auth();
    let who = auth.user().map(|u| {
        html! { <p class="muted">{ "Signed in as " }<strong>{ u.display_name() }</strong></p> }
    });
    let (heading, sentence) = forbidden_words(who.is_some());
    let login = who.is_none().then(|| {
        html! {
            <a id="forbidden-login" class="btn btn-primary"
                href={auth.login_url(&LoginOptions::return_to("/"))} onclick={auth.on_login_link()}>
                { LOG_IN }
            </a>
        }
    });
    html! {
        <section id="forbidden" class="card state-card">
            <span class="state-icon" aria-hidden="true">
                <svg viewBox="0 0 24 24" width="28" height="28" fill="none" stroke="currentColor"
                    stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
                    <rect x="4" y="10" width="16" height="11" rx="2" />
                    <path d="M8 10V7a4 4 0 0 1 8 0v3" />
                </svg>
            </span>
            <h1 tabindex="-1">{ heading }</h1>
            <p class="muted">{ sentence }</p>
            { for who }
            <div class="state-actions">
                { for login }
                <Link<Route> to={Route::Home} classes="btn btn-secondary">{ "Back to home" }</Link<Route>>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_is_asked_to_log_in_and_not_told_they_are_signed_in() {
        let (heading, sentence) = forbidden_words(false);
        assert!(heading.contains("log in"), "{heading}");
        assert!(!sentence.contains("is signed in"), "{sentence}");
        let (heading, sentence) = forbidden_words(true);
        assert_eq!(heading, "You don't have access to this page");
        assert!(sentence.contains("administrator"), "{sentence}");
    }
}

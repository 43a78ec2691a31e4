//! Signed in, but not allowed: `/forbidden`, and what the guard shows for a missing role.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::hooks::use_auth;
use crate::routes::Route;

#[component]
pub fn ForbiddenPage() -> Html {
    let auth = use_auth();
    let who = auth.user().map(|u| {
        html! { <p class="muted">{ "Signed in as " }<strong>{ u.display_name() }</strong></p> }
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
            <h1 tabindex="-1">{ "You don't have access to this page" }</h1>
            <p class="muted">{ "Your account is signed in but lacks the role or permission this page needs. Ask an administrator if you think that's wrong." }</p>
            { for who }
            <Link<Route> to={Route::Home} classes="btn btn-secondary">{ "Back to home" }</Link<Route>>
        </section>
    }
}

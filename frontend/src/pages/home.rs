//! `/`: what the demo is about; a greeting when signed in.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AuthState, LoginOptions};
use crate::components::avatar::Avatar;
use crate::hooks::use_auth;
use crate::routes::Route;

#[component]
pub fn HomePage() -> Html {
    let auth = use_auth();

    let call_to_action = match auth.state() {
        AuthState::Loading => html! {
            <div class="cta" aria-hidden="true">
                <span class="skeleton skeleton-button"></span>
            </div>
        },
        AuthState::Authenticated(user) => html! {
            <div id="greeting" class="greeting">
                <Avatar user={user.clone()} decorative=true />
                <div>
                    <p class="greeting-text">
                        { "Hello, " }<strong>{ user.display_name() }</strong>{ ". You're signed in." }
                    </p>
                    <Link<Route> to={Route::Profile} classes="btn btn-primary">
                        { "View your profile" }
                    </Link<Route>>
                </div>
            </div>
        },
        AuthState::Anonymous(_) | AuthState::Unavailable(_) => html! {
            <div class="cta">
                <a id="hero-login" class="btn btn-primary btn-large" href={auth.login_url(&LoginOptions::return_to("/profile"))}
                    onclick={auth.on_login_link()}>
                    { "Log in to see your profile" }
                </a>
                <a class="btn btn-link" href="#how-it-works">{ "How it works" }</a>
            </div>
        },
    };

    html! {
        <>
            <section id="hero" class="hero">
                <p class="eyebrow">{ "OpenID Connect · Backend-for-Frontend" }</p>
                <h1 tabindex="-1">{ "Sign in with OpenID Connect through a Rust Backend-for-Frontend." }</h1>
                <p class="lead">
                    { "Tokens never reach your browser. The Rust backend runs the login with the \
                       identity provider and keeps every token on the server; this page only \
                       holds an HttpOnly session cookie." }
                </p>
                { call_to_action }
            </section>

            <section id="how-it-works" class="features" aria-label="How it works">
                <Feature title="An opaque, HttpOnly cookie" icon={Icon::Cookie}>
                    { "Your browser keeps a random session id that scripts can't read and that means nothing outside this app." }
                </Feature>
                <Feature title="Tokens stay on the server" icon={Icon::Vault}>
                    { "ID, access and refresh tokens live in the backend, encrypted at rest. This page asks the backend who you are, nothing more." }
                </Feature>
                <Feature title="Code flow with PKCE" icon={Icon::Shield}>
                    { "Every login uses the authorization code flow with PKCE, a fresh state and nonce, and a verified ID token." }
                </Feature>
                <Feature title="Log out that means it" icon={Icon::Door}>
                    { "Logging out deletes the server-side session and ends it at the provider. Back-channel logout ends it from there, too." }
                </Feature>
            </section>
        </>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Icon {
    Cookie,
    Vault,
    Shield,
    Door,
}

#[derive(Properties, PartialEq)]
struct FeatureProps {
    title: AttrValue,
    icon: Icon,
    children: Html,
}

#[component]
fn Feature(props: &FeatureProps) -> Html {
    let path = match props.icon {
        Icon::Cookie => html! {
            <>
                <circle cx="12" cy="12" r="9" />
                <circle cx="9" cy="10" r="1.2" fill="currentColor" />
                <circle cx="14.5" cy="14" r="1.2" fill="currentColor" />
                <circle cx="13" cy="8" r="1" fill="currentColor" />
            </>
        },
        Icon::Vault => html! {
            <>
                <rect x="4" y="10" width="16" height="11" rx="2" />
                <path d="M8 10V7a4 4 0 0 1 8 0v3" />
                <path d="M12 14.5v2.5" />
            </>
        },
        Icon::Shield => html! {
            <>
                <path d="M12 3l8 3v6c0 4.5-3.4 8.3-8 9-4.6-.7-8-4.5-8-9V6z" />
                <path d="M8.5 12l2.5 2.5 4.5-5" />
            </>
        },
        Icon::Door => html! {
            <>
                <path d="M14 4h4a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-4" />
                <path d="M10 16l4-4-4-4M14 12H4" />
            </>
        },
    };
    html! {
        <article class="card feature">
            <span class="feature-icon" aria-hidden="true">
                <svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor"
                    stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
                    { path }
                </svg>
            </span>
            <h2>{ props.title.clone() }</h2>
            <p>{ props.children.clone() }</p>
        </article>
    }
}

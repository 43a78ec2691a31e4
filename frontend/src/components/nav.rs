//! The top bar: brand, page links, and the session corner (Login / user + Logout).

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{login_url, AuthState, Requirement};
use crate::components::avatar::Avatar;
use crate::hooks::use_auth;
use crate::routes::{Route, ADMIN_ROLE};

/// The product's name, shown in the bar and the page title.
pub const PRODUCT_NAME: &str = "Ferris Login";

/// Ids for tests: `login` (link), `logout` (button), `user-name`, `nav-avatar`, `auth-loading`.
#[component]
pub fn Nav() -> Html {
    let auth = use_auth();
    let current = use_route::<Route>();
    let here = use_location()
        .map(|l| format!("{}{}", l.path(), l.query_str()))
        .unwrap_or_else(|| "/".to_string());
    let logging_out = use_state(|| false);

    let link = |to: Route, label: &'static str| {
        let active = current.as_ref() == Some(&to);
        html! {
            <Link<Route> to={to} classes={classes!("nav-link", active.then_some("active"))}>
                { label }
            </Link<Route>>
        }
    };
    let is_admin = auth
        .user()
        .is_some_and(|u| Requirement::Role(ADMIN_ROLE.into()).is_met_by(u));

    let session = match auth.state() {
        AuthState::Loading => html! {
            <span id="auth-loading" class="session-placeholder" role="status" aria-label="Checking your session">
                <span class="skeleton skeleton-avatar"></span>
                <span class="skeleton skeleton-text"></span>
            </span>
        },
        AuthState::Authenticated(user) => {
            let onclick = {
                let auth = auth.clone();
                let logging_out = logging_out.clone();
                Callback::from(move |_: MouseEvent| {
                    logging_out.set(true);
                    let auth = auth.clone();
                    let logging_out = logging_out.clone();
                    spawn_local(async move {
                        // On success the page is already leaving for the provider.
                        if auth.logout().await.is_err() {
                            logging_out.set(false);
                        }
                    });
                })
            };
            html! {
                <div class="session">
                    <Link<Route> to={Route::Profile} classes="user-chip">
                        <Avatar user={user.clone()} id="nav-avatar" />
                        <span id="user-name" class="user-name">{ user.display_name() }</span>
                    </Link<Route>>
                    <button id="logout" type="button" class="btn btn-secondary" disabled={*logging_out} {onclick}>
                        { if *logging_out { "Signing out…" } else { "Logout" } }
                    </button>
                </div>
            }
        }
        AuthState::Anonymous(_) | AuthState::Unavailable(_) => html! {
            <a id="login" class="btn btn-primary" href={login_url(&here)}>{ "Login" }</a>
        },
    };

    html! {
        <header class="topbar">
            <nav class="topbar-inner" aria-label="Main">
                <Link<Route> to={Route::Home} classes="brand">
                    <Logo />
                    <span class="brand-name">{ PRODUCT_NAME }</span>
                </Link<Route>>
                <div class="nav-links">
                    { link(Route::Home, "Home") }
                    { link(Route::Profile, "Profile") }
                    if is_admin { { link(Route::Admin, "Admin") } }
                </div>
                <div class="nav-session">{ session }</div>
            </nav>
        </header>
    }
}

/// The brand mark: a key in a rounded square.
#[component]
pub fn Logo() -> Html {
    html! {
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <circle cx="12" cy="16" r="5" fill="none" stroke="#fff" stroke-width="2.6" />
            <path d="M17 16h9M22.5 16v4M26 16v3" stroke="#fff" stroke-width="2.6" stroke-linecap="round" fill="none" />
        </svg>
    }
}

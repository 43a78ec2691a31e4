//! The top bar: brand, page links, and the session corner (Sign up + Login / user + Logout).

use shared::messages::permissions;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AuthState, LoginOptions, Requirement};
use crate::components::avatar::Avatar;
use crate::hooks::use_auth;
use crate::routes::{after_logout, Route, ADMIN_ROLE, PRODUCT_NAME};

/// Ids for tests: `login`, `signup` (links), `logout` (button), `user-name`, `nav-avatar`,
/// `auth-loading` (a silent skeleton: the page's own status speaks). The current page's link
/// has `aria-current="page"`.
#[component]
pub fn Nav() -> Html {
    let auth = use_auth();
    let current = use_route::<Route>();
    let here = use_location()
        .map(|l| format!("{}{}", l.path(), l.query_str()))
        .unwrap_or_else(|| "/".to_string());
    let logging_out = use_state(|| false);

    let link = |to: Route, label: &'static str| {
        html! { <NavLink {to} {label} current={current == Some(to)} /> }
    };
    let user = auth.user();
    let is_admin = user.is_some_and(|u| Requirement::Role(ADMIN_ROLE.into()).is_met_by(u));
    let reads_messages = user.is_some_and(|u| u.has_permission(permissions::READ));

    let session = match auth.state() {
        AuthState::Loading => html! {
            <span id="auth-loading" class="session-placeholder" aria-hidden="true">
                <span class="skeleton skeleton-avatar"></span>
                <span class="skeleton skeleton-text"></span>
            </span>
        },
        AuthState::Authenticated(user) => {
            let onclick = {
                let auth = auth.clone();
                let logging_out = logging_out.clone();
                let back = after_logout(current.unwrap_or(Route::Home), &here);
                Callback::from(move |_: MouseEvent| {
                    if *logging_out {
                        return;
                    }
                    logging_out.set(true);
                    let (auth, back) = (auth.clone(), back.clone());
                    let logging_out = logging_out.clone();
                    spawn_local(async move {
                        // On success the page is already leaving for the provider.
                        if auth.logout(back).await.is_err() {
                            logging_out.set(false);
                        }
                    });
                })
            };
            html! {
                <div class="session">
                    <Link<Route> to={Route::Profile} classes="user-chip">
                        <Avatar user={user.clone()} id="nav-avatar" decorative=true />
                        <span id="user-name" class="user-name">{ user.display_name() }</span>
                    </Link<Route>>
                    // Not `disabled` while it runs: the focus stays on it.
                    <button id="logout" type="button" class="btn btn-secondary"
                        aria-disabled={logging_out.then_some("true")} {onclick}>
                        { if *logging_out { "Signing out…" } else { "Logout" } }
                    </button>
                </div>
            }
        }
        AuthState::Anonymous(_) | AuthState::Unavailable(_) => {
            let mark = auth.on_login_link::<MouseEvent>();
            let login = LoginOptions::return_to(here.clone());
            let signup_url = auth.login_url(&login.clone().screen_hint("signup"));
            html! {
                <div class="session">
                    <a id="signup" class="btn btn-secondary" href={signup_url} onclick={mark.clone()}>
                        { "Sign up" }
                    </a>
                    <a id="login" class="btn btn-primary" href={auth.login_url(&login)} onclick={mark}>
                        { "Login" }
                    </a>
                </div>
            }
        }
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
                    if reads_messages { { link(Route::Messages, "Messages") } }
                    if is_admin { { link(Route::Admin, "Admin") } }
                </div>
                <div class="nav-session">{ session }</div>
            </nav>
        </header>
    }
}

#[derive(Properties, PartialEq)]
struct NavLinkProps {
    to: Route,
    label: &'static str,
    current: bool,
}

/// A page link of the bar: a router link that says `aria-current="page"` when it is the page
/// shown (yew-router's `Link` has no way to set it).
#[component]
fn NavLink(props: &NavLinkProps) -> Html {
    let navigator = use_navigator();
    let onclick = {
        let to = props.to;
        Callback::from(move |event: MouseEvent| {
            // New tab, new window, download: the browser's business.
            if event.meta_key() || event.ctrl_key() || event.shift_key() || event.alt_key() {
                return;
            }
            if let Some(navigator) = &navigator {
                event.prevent_default();
                navigator.push(&to);
            }
        })
    };
    html! {
        <a href={props.to.to_path()} class={classes!("nav-link", props.current.then_some("active"))}
            aria-current={props.current.then_some("page")} {onclick}>
            { props.label }
        </a>
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

//! The top bar: brand, page links, and the session corner (Sign up + Log in / the user menu).

use shared::messages::permissions;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AuthState, LoginOptions, Requirement};
use crate::browser;
use crate::components::user_menu::UserMenu;
use crate::hooks::use_auth;
use crate::messages::draft_key;
use crate::routes::{after_logout, Route, ADMIN_ROLE, PRODUCT_NAME};
use crate::words::{LOG_IN, SIGN_UP};

/// Ids for tests: `login`, `signup` (links), `user-menu-button` (opens `#user-menu`, which
/// holds the Profile and Your sessions links and the `logout` button), `user-name`, `nav-avatar`,
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
    // Log in / Sign up clicked: the page is leaving for the provider.
    let leaving_for = use_state(|| None::<&'static str>);
    {
        // Back from the provider through the browser's back/forward cache: not leaving any more.
        let leaving_for = leaving_for.clone();
        use_effect_with((), move |_| {
            let listener = browser::on_page_show(move || leaving_for.set(None));
            move || drop(listener)
        });
    }

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
            let on_logout = {
                let auth = auth.clone();
                let logging_out = logging_out.clone();
                let back = after_logout(current.unwrap_or(Route::Home), &here);
                let draft = draft_key(&user.sub);
                Callback::from(move |_: MouseEvent| {
                    if *logging_out {
                        return;
                    }
                    // Logging out on purpose: the unsent message goes with the session.
                    browser::tab_set(&draft, "");
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
                <UserMenu user={user.clone()} logging_out={*logging_out} {on_logout} />
            }
        }
        AuthState::Anonymous(_) | AuthState::Unavailable(_) => {
            let mark = auth.on_login_link::<MouseEvent>();
            // The link stays a link (the browser leaves for the provider); it says it is on its
            // way, as Log out does, so a slow provider is not a dead click.
            let leaving = {
                let leaving_for = leaving_for.clone();
                move |which: &'static str| {
                    let mark = mark.clone();
                    let leaving_for = leaving_for.clone();
                    Callback::from(move |event: MouseEvent| {
                        mark.emit(event.clone());
                        if !(event.meta_key() || event.ctrl_key() || event.shift_key()) {
                            leaving_for.set(Some(which));
                        }
                    })
                }
            };
            let login = LoginOptions::return_to(here.clone());
            let signup_url = auth.login_url(&login.clone().screen_hint("signup"));
            let pending = *leaving_for;
            html! {
                <div class="session">
                    <a id="signup" class="btn btn-secondary" href={signup_url} onclick={leaving("signup")}
                        aria-disabled={(pending == Some("signup")).then_some("true")}>
                        { if pending == Some("signup") { "Signing up…" } else { SIGN_UP } }
                    </a>
                    <a id="login" class="btn btn-primary" href={auth.login_url(&login)} onclick={leaving("login")}
                        aria-disabled={(pending == Some("login")).then_some("true")}>
                        { if pending == Some("login") { "Logging in…" } else { LOG_IN } }
                    </a>
                </div>
            }
        }
    };

    html! {
        <header class="topbar">
            <nav class="topbar-inner" aria-label="Main">
                <Link<Route> to={Route::Home} classes="brand">
                    { logo() }
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
pub fn logo() -> Html {
    html! {
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <circle cx="12" cy="16" r="5" fill="none" stroke="#fff" stroke-width="2.6" />
            <path d="M17 16h9M22.5 16v4M26 16v3" stroke="#fff" stroke-width="2.6" stroke-linecap="round" fill="none" />
        </svg>
    }
}

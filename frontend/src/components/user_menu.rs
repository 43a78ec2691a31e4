//! The user menu in the bar: a button with the avatar and the name that shows Profile, Your
//! sessions and Log out (the disclosure pattern: a button with `aria-expanded` over a list of
//! ordinary links and a button, so every screen reader and the keyboard already know it).
//!
//! Escape closes it and gives the focus back to its button; so does a click elsewhere, or the
//! focus moving out of it; following one of its links closes it.

use gloo_events::EventListener;
use shared::User;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, Node};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::avatar::Avatar;
use crate::routes::Route;
use crate::words::LOG_OUT;

#[derive(Properties, PartialEq)]
pub struct UserMenuProps {
    pub user: User,
    /// Log out was clicked and the sign-out runs.
    pub logging_out: bool,
    pub on_logout: Callback<MouseEvent>,
}

/// `#user-menu-button` (`aria-expanded`, `aria-controls="user-menu"`; its name is "Account menu
/// for <name>" at every width) and `#user-menu` with the links to `/profile` and
/// `/account/sessions`, and `#logout`.
#[component]
pub fn UserMenu(props: &UserMenuProps) -> Html {
    let open = use_state(|| false);
    let wrapper = use_node_ref();
    let button = use_node_ref();

    // While open: a click outside closes it.
    {
        let open = open.clone();
        let wrapper = wrapper.clone();
        use_effect_with(*open, move |is_open| {
            let listener = (*is_open)
                .then(|| web_sys::window().and_then(|w| w.document()))
                .flatten()
                .map(|document| {
                    EventListener::new(&document, "click", move |event| {
                        let inside = event
                            .target()
                            .and_then(|t| t.dyn_into::<Node>().ok())
                            .is_some_and(|t| wrapper.get().is_some_and(|w| w.contains(Some(&t))));
                        if !inside {
                            open.set(false);
                        }
                    })
                });
            move || drop(listener)
        });
    }

    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let on_keydown = {
        let open = open.clone();
        let button = button.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" && *open {
                event.prevent_default();
                open.set(false);
                if let Some(button) = button.cast::<HtmlElement>() {
                    // Focus only fails on a detached element.
                    let _ = button.focus();
                }
            }
        })
    };
    // Tabbing out of the menu closes it (the focus is elsewhere: nothing to give back).
    let on_focusout = {
        let open = open.clone();
        let wrapper = wrapper.clone();
        Callback::from(move |event: FocusEvent| {
            let to = event
                .related_target()
                .and_then(|t| t.dyn_into::<Node>().ok());
            let stays = to.is_some_and(|t| wrapper.get().is_some_and(|w| w.contains(Some(&t))));
            if !stays && to_is_some(&event) {
                open.set(false);
            }
        })
    };
    let close = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(false))
    };

    let name = props.user.display_name().to_string();
    html! {
        <div class="session user-menu-wrap" ref={wrapper} onkeydown={on_keydown} onfocusout={on_focusout}>
            <button id="user-menu-button" ref={button} type="button" class="user-chip"
                aria-expanded={open.to_string()} aria-controls="user-menu" onclick={toggle}>
                <Avatar user={props.user.clone()} id="nav-avatar" decorative=true />
                <span class="visually-hidden">{ "Account menu for " }</span>
                <span id="user-name" class="user-name">{ name }</span>
                <svg class="chevron" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true">
                    <path d="M2.5 4.5l3.5 3.5 3.5-3.5" fill="none" stroke="currentColor" stroke-width="1.8"
                        stroke-linecap="round" stroke-linejoin="round" />
                </svg>
            </button>
            <ul id="user-menu" class="user-menu" hidden={!*open}>
                <li onclick={close.clone()}>
                    <Link<Route> to={Route::Profile} classes="user-menu-item">
                        { "Profile" }
                    </Link<Route>>
                </li>
                <li onclick={close}>
                    <Link<Route> to={Route::Sessions} classes="user-menu-item">
                        { "Your sessions" }
                    </Link<Route>>
                </li>
                <li>
                    // Not `disabled` while it runs: the focus stays on it.
                    <button id="logout" type="button" class="user-menu-item"
                        aria-disabled={props.logging_out.then_some("true")}
                        onclick={props.on_logout.clone()}>
                        { if props.logging_out { "Logging out…" } else { LOG_OUT } }
                    </button>
                </li>
            </ul>
        </div>
    }
}

/// A `focusout` towards another element (not to nowhere, e.g. the window losing the focus).
fn to_is_some(event: &FocusEvent) -> bool {
    event.related_target().is_some()
}

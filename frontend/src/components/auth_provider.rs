//! `<AuthProvider>`: runs the auth state machine and shares it with everything below.

use gloo_events::EventListener;
use wasm_bindgen_futures::spawn_local;
use web_sys::VisibilityState;
use yew::prelude::*;

use crate::auth::{AuthAction, AuthModel};
use crate::hooks::use_auth::{check_session, AuthHandle};
use crate::services::api::on_unauthenticated;

#[derive(Properties, PartialEq)]
pub struct AuthProviderProps {
    /// The code of `?login_error=<code>` the page was opened with, if any.
    #[prop_or_default]
    pub login_error: Option<String>,
    #[prop_or_default]
    pub children: Html,
}

/// On mount: registers the app-wide 401 handler, asks `/api/auth/me`, and asks again whenever
/// the tab becomes visible (a session can end elsewhere: logout in another tab, back-channel
/// logout, expiry).
#[component]
pub fn AuthProvider(props: &AuthProviderProps) -> Html {
    let login_error = props.login_error.clone();
    let model = use_reducer(move || AuthModel::starting(login_error.as_deref()));

    {
        let dispatcher = model.dispatcher();
        use_effect_with((), move |_| {
            let on_401 = {
                let dispatcher = dispatcher.clone();
                on_unauthenticated(Callback::from(move |()| {
                    dispatcher.dispatch(AuthAction::Unauthenticated)
                }))
            };
            spawn_local(check_session(dispatcher.clone()));

            let on_visible = web_sys::window()
                .and_then(|w| w.document())
                .map(|document| {
                    let target = document.clone();
                    EventListener::new(&target, "visibilitychange", move |_| {
                        if document.visibility_state() == VisibilityState::Visible {
                            spawn_local(check_session(dispatcher.clone()));
                        }
                    })
                });

            move || {
                drop(on_visible);
                drop(on_401);
            }
        });
    }

    html! {
        <ContextProvider<AuthHandle> context={AuthHandle::new(model)}>
            { props.children.clone() }
        </ContextProvider<AuthHandle>>
    }
}

//! `<AuthProvider>`: runs the auth state machine and shares it with everything below.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen_futures::spawn_local;
use web_sys::VisibilityState;
use yew::prelude::*;

use crate::auth::recheck::RecheckGate;
use crate::auth::tab_event::TabEvent;
use crate::auth::{AuthAction, AuthModel, StartUp};
use crate::browser;
use crate::hooks::use_auth::{check_session, After401, AuthHandle};
use crate::services::api::on_unauthenticated;
use crate::services::tabs;

#[derive(Properties, PartialEq)]
pub struct AuthProviderProps {
    /// What the page was opened with.
    #[prop_or_default]
    pub start: StartUp,
    #[prop_or_default]
    pub children: Html,
}

/// On mount: registers the app-wide 401 handler and asks `/api/auth/me` (a tab that comes back
/// from a sign-in it started tells the other tabs). Then asks again:
/// - when another tab says someone signed in or out, or the session expired (once per event);
/// - when the tab regains focus or becomes visible (at most once per few seconds, never while
///   a check runs: see [`RecheckGate`]).
#[component]
pub fn AuthProvider(props: &AuthProviderProps) -> Html {
    let start = props.start.clone();
    let model = {
        let start = start.clone();
        use_reducer(move || AuthModel::starting(&start))
    };
    let gate = use_mut_ref(RecheckGate::default);
    let handle = AuthHandle::new(model.clone(), gate.clone());

    {
        let handle = handle.clone();
        let dispatcher = model.dispatcher();
        use_effect_with((), move |_| {
            let on_401 = {
                let dispatcher = dispatcher.clone();
                on_unauthenticated(Callback::from(move |()| {
                    dispatcher.dispatch(AuthAction::Unauthenticated)
                }))
            };

            first_check(dispatcher, gate, start.login_started);

            let from_other_tabs = {
                let handle = handle.clone();
                tabs::subscribe(Callback::from(move |event: TabEvent| match event {
                    TabEvent::SignedIn => handle.check(After401::Nothing),
                    TabEvent::SignedOut => handle.check(After401::SignedOutElsewhere),
                    TabEvent::Expired => handle.check(After401::Expired),
                    // The expiry watcher's business.
                    TabEvent::Extended => {}
                }))
            };

            let on_visible = web_sys::window()
                .and_then(|w| w.document())
                .map(|document| {
                    let target = document.clone();
                    let handle = handle.clone();
                    EventListener::new(&target, "visibilitychange", move |_| {
                        if document.visibility_state() == VisibilityState::Visible {
                            handle.revalidate();
                        }
                    })
                });
            let on_focus = web_sys::window().map(|window| {
                let handle = handle.clone();
                EventListener::new(&window, "focus", move |_| handle.revalidate())
            });

            move || {
                drop(on_focus);
                drop(on_visible);
                drop(from_other_tabs);
                drop(on_401);
            }
        });
    }

    html! {
        <ContextProvider<AuthHandle> context={handle}>
            { props.children.clone() }
        </ContextProvider<AuthHandle>>
    }
}

/// The start-up check; a tab back from a sign-in it started tells the others.
fn first_check(
    dispatcher: UseReducerDispatcher<AuthModel>,
    gate: Rc<RefCell<RecheckGate>>,
    login_started: bool,
) {
    gate.borrow_mut().start(browser::now_ms());
    spawn_local(async move {
        let user = check_session(dispatcher, gate, After401::Nothing).await;
        if login_started && user.is_some() {
            tabs::publish(TabEvent::SignedIn);
        }
    });
}

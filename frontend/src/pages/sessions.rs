//! `/account/sessions` (signed-in users): where you are signed in, and signing the other
//! devices out, one by one or all at once.
//!
//! The state machine is [`crate::account::SessionsModel`] (pure, tested natively); this page
//! runs the calls (`GET /api/auth/sessions`, `DELETE /api/auth/sessions/{id}`,
//! `DELETE /api/auth/sessions?others=true`), refreshes the list after each, and moves the
//! focus where the model says.

use std::rc::Rc;

use shared::MySession;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::account::{Revoke, SessionsAction, SessionsFocus, SessionsModel};
use crate::auth::ErrorAdvice;
use crate::browser;
use crate::components::confirm::InlineConfirm;
use crate::components::loading::loading;
use crate::components::page_notice::PageNoticeBanner;
use crate::components::refresh_button::RefreshButton;
use crate::components::time::time;
use crate::listing::ListState;
use crate::services::{self, ApiError};
use ferris_login_yew::use_api;

impl Reducible for SessionsModel {
    type Action = SessionsAction;

    fn reduce(self: Rc<Self>, action: SessionsAction) -> Rc<Self> {
        Rc::new(SessionsModel::reduce(&self, action))
    }
}

/// Ids for tests: `sessions-heading` (h1 "Your sessions"), `this-session` (the current
/// device's card), `other-sessions` (h2, focus target), `my-sessions` (the list),
/// `li.my-session[data-session-id][data-current]`, `button.session-sign-out[data-session-id]`,
/// its confirmation `button.session-sign-out-confirm` / `button.session-sign-out-cancel`,
/// `button#sign-out-others` (+ `button.sign-out-others-confirm`, `.sign-out-others-cancel`),
/// `#no-other-sessions`, `#my-sessions-notice` (+ `-dismiss`), `#refresh-my-sessions`,
/// `#my-sessions-error` + `#my-sessions-retry`.
#[component]
pub fn SessionsPage() -> Html {
    let api = use_api();
    let model = use_reducer(SessionsModel::default);
    let fetch_count = use_mut_ref(|| 0_u64);

    let fetch = {
        let api = api.clone();
        let dispatcher = model.dispatcher();
        Callback::from(move |()| {
            let number = {
                let mut count = fetch_count.borrow_mut();
                *count += 1;
                *count
            };
            dispatcher.dispatch(SessionsAction::FetchStarted(number));
            let dispatcher = dispatcher.clone();
            let api = api.clone();
            spawn_local(async move {
                let result = services::my_sessions(&api).await;
                if let Err(error) = &result {
                    if *error != ApiError::Unauthenticated {
                        browser::log(&format!("listing your sessions failed: {error}"));
                    }
                }
                dispatcher.dispatch(SessionsAction::Fetched(number, result));
            });
        })
    };
    {
        let fetch = fetch.clone();
        use_effect_with((), move |_| fetch.emit(()));
    }

    use_effect_with(model.focus.clone(), |focus| {
        let Some(focus) = focus else {
            return;
        };
        let found = match focus.target {
            SessionsFocus::Button(Revoke::Session(id)) => browser::focus_first(&format!(
                "button.session-sign-out[data-session-id=\"{id}\"]"
            )),
            SessionsFocus::Button(Revoke::Others) => browser::focus_first("#sign-out-others"),
            SessionsFocus::ListHeading => browser::focus_first("#other-sessions"),
        };
        if !found {
            browser::focus_page_heading();
        }
    });

    let ask = {
        let dispatcher = model.dispatcher();
        Callback::from(move |target: Revoke| {
            dispatcher.dispatch(SessionsAction::AskConfirm(target))
        })
    };
    let cancel = {
        let dispatcher = model.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(SessionsAction::CancelConfirm))
    };
    let confirm = {
        let api = api.clone();
        let model = model.clone();
        let fetch = fetch.clone();
        Callback::from(move |target: Revoke| {
            if model.revoking.is_some() {
                return;
            }
            let dispatcher = model.dispatcher();
            dispatcher.dispatch(SessionsAction::RevokeStarted(target));
            let fetch = fetch.clone();
            let api = api.clone();
            spawn_local(async move {
                let result = match target {
                    Revoke::Session(id) => services::end_my_session(&api, id).await,
                    Revoke::Others => services::end_my_other_sessions(&api).await,
                }
                .map(|answer| answer.revoked);
                let signed_out = result == Err(ApiError::Unauthenticated);
                if let Err(error) = &result {
                    if !signed_out {
                        browser::log(&format!("signing a session out failed: {error}"));
                    }
                }
                dispatcher.dispatch(SessionsAction::Revoked { target, result });
                if !signed_out {
                    fetch.emit(());
                }
            });
        })
    };

    let notice = model.notice.clone().map(|notice| {
        let dispatcher = model.dispatcher();
        let on_dismiss =
            Callback::from(move |()| dispatcher.dispatch(SessionsAction::DismissNotice));
        html! { <PageNoticeBanner id="my-sessions-notice" {notice} {on_dismiss} /> }
    });

    let body = match &model.list.state {
        ListState::Loading => html! {
            <section class="card">
                { loading("my-sessions-loading", "Loading your sessions…") }
            </section>
        },
        ListState::Failed(error) => {
            let onclick = {
                let fetch = fetch.clone();
                Callback::from(move |_: MouseEvent| fetch.emit(()))
            };
            html! {
                <section id="my-sessions-error" class="card state-card" data-code={error.reference()}>
                    <h2>{ "We couldn't load your sessions" }</h2>
                    <p class="muted">{ error.user_message() }</p>
                    <button id="my-sessions-retry" type="button" class="btn btn-primary" {onclick}>{ "Try again" }</button>
                </section>
            }
        }
        ListState::Loaded(_) => {
            let others = model.others();
            let this = model.current().map(|session| {
                html! {
                    <section id="this-session" class="card this-session" aria-labelledby="this-session-heading">
                        <h2 id="this-session-heading">{ "This device" }</h2>
                        { session_details(session) }
                        <p class="muted small">{ "To end this session, use Log out in the account menu at the top of the page." }</p>
                    </section>
                }
            });
            let all_others = others_action(&model, others.len(), &ask, &cancel, &confirm);
            html! {
                <>
                    { for this }
                    <section class="card other-sessions" aria-labelledby="other-sessions"
                        aria-busy={model.list.refreshing.to_string()}>
                        <div class="section-head">
                            <h2 id="other-sessions" tabindex="-1">{ "Other sessions" }</h2>
                            { all_others }
                        </div>
                        if others.is_empty() {
                            <p id="no-other-sessions" class="muted">
                                { "You are not signed in anywhere else." }
                            </p>
                        } else {
                            <ul id="my-sessions" class="my-sessions">
                                { for others.iter().map(|s| other_session(&model, s, &ask, &cancel, &confirm)) }
                            </ul>
                        }
                    </section>
                </>
            }
        }
    };

    let on_refresh = {
        let fetch = fetch.clone();
        Callback::from(move |()| fetch.emit(()))
    };
    html! {
        <div class="sessions-page">
            <div class="page-head">
                <div class="page-title">
                    <h1 id="sessions-heading" tabindex="-1">{ "Your sessions" }</h1>
                    <p class="muted">
                        { "Every browser and device signed in to your account. Signing one out ends its session on its next request." }
                    </p>
                </div>
                <RefreshButton id="refresh-my-sessions" busy={model.list.is_busy()}
                    refreshing={model.list.refreshing} {on_refresh} />
            </div>
            { for notice }
            { body }
        </div>
    }
}

/// Device, network, signed in, last seen.
fn session_details(session: &MySession) -> Html {
    html! {
        <dl class="session-facts">
            <div>
                <dt>{ "Device" }</dt>
                <dd class="session-device-name">
                    { session.device.clone() }
                    if session.current {
                        { " " }<span class="badge badge-current">{ "This device" }</span>
                    }
                </dd>
            </div>
            <div>
                <dt>{ "Network" }</dt>
                <dd class="session-network">
                    { session.network.clone().unwrap_or_else(|| "Unknown".to_string()) }
                </dd>
            </div>
            <div>
                <dt>{ "Signed in" }</dt>
                <dd>{ time(session.created_at) }</dd>
            </div>
            <div>
                <dt>{ "Last active" }</dt>
                <dd>{ time(session.last_seen_at) }</dd>
            </div>
        </dl>
    }
}

fn other_session(
    model: &SessionsModel,
    session: &MySession,
    ask: &Callback<Revoke>,
    cancel: &Callback<()>,
    confirm: &Callback<Revoke>,
) -> Html {
    let target = Revoke::Session(session.id);
    let id = session.id.to_string();
    let label_id = format!("session-{id}-device");
    let action = if model.is_revoking(target) {
        html! {
            <button type="button" class="btn btn-small btn-danger session-sign-out-confirm"
                data-session-id={id.clone()} aria-disabled="true">{ "Signing out…" }</button>
        }
    } else if model.is_confirming(target) {
        let on_confirm = {
            let confirm = confirm.clone();
            Callback::from(move |()| confirm.emit(target))
        };
        html! {
            <InlineConfirm question="Sign out this session?" label="Confirm signing out this session"
                confirm_label="Sign out" confirm_class={classes!("session-sign-out-confirm")}
                cancel_class={classes!("session-sign-out-cancel")}
                data_name="data-session-id" data_value={id.clone()}
                described_by={Some(AttrValue::from(label_id.clone()))}
                {on_confirm} on_cancel={cancel.clone()} />
        }
    } else {
        let onclick = {
            let ask = ask.clone();
            Callback::from(move |_: MouseEvent| ask.emit(target))
        };
        html! {
            <button type="button" class="btn btn-small btn-danger btn-outline session-sign-out"
                data-session-id={id.clone()} aria-describedby={label_id.clone()}
                aria-disabled={model.revoking.is_some().then_some("true")} {onclick}>
                { "Sign out" }
            </button>
        }
    };
    html! {
        <li key={id.clone()} class="my-session" data-session-id={id.clone()} data-current="false">
            <div class="my-session-text">
                <span id={label_id} class="visually-hidden">{ format!("the session on {}", session.device) }</span>
                { session_details(session) }
            </div>
            <div class="my-session-action">{ action }</div>
        </li>
    }
}

fn others_action(
    model: &SessionsModel,
    count: usize,
    ask: &Callback<Revoke>,
    cancel: &Callback<()>,
    confirm: &Callback<Revoke>,
) -> Html {
    if count == 0 {
        return html! {};
    }
    let target = Revoke::Others;
    if model.is_revoking(target) {
        return html! {
            <button type="button" class="btn btn-small btn-danger sign-out-others-confirm"
                aria-disabled="true">{ "Signing out…" }</button>
        };
    }
    if model.is_confirming(target) {
        let on_confirm = {
            let confirm = confirm.clone();
            Callback::from(move |()| confirm.emit(target))
        };
        let question = format!(
            "Sign out {count} other {}?",
            if count == 1 { "session" } else { "sessions" }
        );
        return html! {
            <InlineConfirm {question} label="Confirm signing out all other sessions"
                confirm_label="Sign out all" confirm_class={classes!("sign-out-others-confirm")}
                cancel_class={classes!("sign-out-others-cancel")}
                data_name="data-target" data_value="others"
                {on_confirm} on_cancel={cancel.clone()} />
        };
    }
    let onclick = {
        let ask = ask.clone();
        Callback::from(move |_: MouseEvent| ask.emit(target))
    };
    html! {
        <button id="sign-out-others" type="button" class="btn btn-small btn-danger btn-outline"
            aria-disabled={model.revoking.is_some().then_some("true")} {onclick}>
            { "Sign out all other sessions" }
        </button>
    }
}

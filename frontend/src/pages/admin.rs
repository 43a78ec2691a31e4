//! `/admin` (role `admin`): every live session, and revoking all sessions of a user.
//!
//! The state machine is [`crate::admin::AdminModel`] (pure, tested natively); this page runs
//! the calls (`GET /api/admin/sessions`, `POST /api/admin/users/{id}/revoke-sessions`),
//! renders, and moves the focus where the model says. A 401 from either is handled by the
//! request function (the app goes anonymous and the guard replaces this page).

use std::rc::Rc;

use shared::Uuid;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::admin::sessions::summary;
use crate::admin::{AdminAction, AdminFocus, AdminModel};
use crate::auth::ErrorAdvice;
use crate::browser;
use crate::components::loading::loading;
use crate::components::page_notice::PageNoticeBanner;
use crate::components::refresh_button::RefreshButton;
use crate::components::session_table::SessionTable;
use crate::hooks::use_auth;
use crate::listing::ListState;
use crate::services::{self, ApiError};
use ferris_login_yew::use_api;

impl Reducible for AdminModel {
    type Action = AdminAction;

    fn reduce(self: Rc<Self>, action: AdminAction) -> Rc<Self> {
        Rc::new(AdminModel::reduce(&self, action))
    }
}

/// Ids for tests: `admin` (heading "All sessions"), `refresh-sessions`, `sessions-loading`,
/// `sessions` (the table), `sessions-empty`, `sessions-summary`, `sessions-error` +
/// `sessions-retry`, `admin-forbidden`, `admin-notice` (+ `admin-notice-dismiss`). Classes:
/// `session-row`, `badge-current`, `revoke`, `revoke-confirm`, `revoke-cancel`.
#[component]
pub fn AdminPage() -> Html {
    let api = use_api();
    let auth = use_auth();
    let model = use_reducer(AdminModel::default);
    let fetch_count = use_mut_ref(|| 0_u64);

    // Fetches the list; only the answer of the latest fetch is used.
    let fetch = {
        let api = api.clone();
        let dispatcher = model.dispatcher();
        Callback::from(move |()| {
            let number = {
                let mut count = fetch_count.borrow_mut();
                *count += 1;
                *count
            };
            dispatcher.dispatch(AdminAction::FetchStarted(number));
            let dispatcher = dispatcher.clone();
            let api = api.clone();
            spawn_local(async move {
                let result = services::list_sessions(&api).await;
                if let Err(error) = &result {
                    if *error != ApiError::Unauthenticated {
                        browser::log(&format!("listing sessions failed: {error}"));
                    }
                }
                dispatcher.dispatch(AdminAction::Fetched(number, result));
            });
        })
    };
    {
        let fetch = fetch.clone();
        use_effect_with((), move |_| fetch.emit(()));
    }

    // A 403 while the app thinks the user is an admin: the roles may have changed; ask
    // `/api/auth/me` again (without the role the guard shows the forbidden page).
    {
        let auth = auth.clone();
        use_effect_with(model.lost_the_role(), move |lost| {
            if *lost {
                auth.recheck();
            }
        });
    }

    use_effect_with(model.focus.clone(), |focus| {
        if let Some(focus) = focus {
            match focus.target {
                AdminFocus::RevokeButton(user_id) => {
                    browser::focus_first(&format!("button.revoke[data-user-id=\"{user_id}\"]"));
                }
                AdminFocus::Heading => {
                    browser::focus_first("#admin");
                }
            }
        }
    });

    let on_revoke = {
        let dispatcher = model.dispatcher();
        Callback::from(move |user_id: Uuid| dispatcher.dispatch(AdminAction::AskConfirm(user_id)))
    };
    let on_cancel = {
        let dispatcher = model.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(AdminAction::CancelConfirm))
    };
    let on_confirm = {
        let api = api.clone();
        let model = model.clone();
        let fetch = fetch.clone();
        Callback::from(move |user_id: Uuid| {
            if model.revoking.is_some() {
                return;
            }
            let name = model
                .groups()
                .and_then(|groups| groups.iter().find(|g| g.user_id == user_id))
                .map(|g| g.display_name().to_string())
                .unwrap_or_else(|| "this user".to_string());
            let dispatcher = model.dispatcher();
            dispatcher.dispatch(AdminAction::RevokeStarted(user_id));
            let fetch = fetch.clone();
            let api = api.clone();
            spawn_local(async move {
                let result = services::revoke_user_sessions(&api, user_id)
                    .await
                    .map(|answer| answer.revoked);
                let signed_out = result == Err(ApiError::Unauthenticated);
                if let Err(error) = &result {
                    if !signed_out {
                        browser::log(&format!("revoking sessions failed: {error}"));
                    }
                }
                dispatcher.dispatch(AdminAction::Revoked {
                    user_id,
                    name,
                    result,
                });
                // The list changed (or may have). After revoking one's own user this call is
                // the 401 that signs the admin out.
                if !signed_out {
                    fetch.emit(());
                }
            });
        })
    };

    let notice = model.notice.clone().map(|notice| {
        let dispatcher = model.dispatcher();
        let on_dismiss = Callback::from(move |()| dispatcher.dispatch(AdminAction::DismissNotice));
        html! { <PageNoticeBanner id="admin-notice" {notice} {on_dismiss} /> }
    });

    let body = match &model.list.state {
        ListState::Loading => html! {
            <section class="card">
                { loading("sessions-loading", "Loading sessions…") }
            </section>
        },
        ListState::Failed(_) if model.lost_the_role() => html! {
            <section id="admin-forbidden" class="card state-card">
                <h2>{ "You need the admin role" }</h2>
                <p class="muted">{ "The server refused to list sessions for your account. If your roles changed recently, log out and in again." }</p>
            </section>
        },
        ListState::Failed(error) => {
            let onclick = {
                let fetch = fetch.clone();
                Callback::from(move |_: MouseEvent| fetch.emit(()))
            };
            html! {
                <section id="sessions-error" class="card state-card" data-code={error.reference()}>
                    <h2>{ "We couldn't load the sessions" }</h2>
                    <p class="muted">{ error.user_message() }</p>
                    <button id="sessions-retry" type="button" class="btn btn-primary" {onclick}>{ "Try again" }</button>
                </section>
            }
        }
        ListState::Loaded(groups) => html! {
            <>
                <section class="card sessions-card" aria-busy={model.list.refreshing.to_string()}>
                    <SessionTable groups={groups.clone()}
                        confirming={model.confirming}
                        revoking={model.revoking}
                        {on_revoke} {on_confirm} {on_cancel} />
                </section>
                if !groups.is_empty() {
                    <p id="sessions-summary" class="sessions-summary muted">{ summary(groups) }</p>
                }
            </>
        },
    };

    let on_refresh = {
        let fetch = fetch.clone();
        Callback::from(move |()| fetch.emit(()))
    };
    html! {
        <div class="admin-page">
            <div class="page-head">
                <div class="page-title">
                    <h1 id="admin" tabindex="-1">{ "All sessions" }</h1>
                    <p class="muted">
                        { "Every live session. Signing out a user's sessions ends them everywhere on their next request." }
                    </p>
                </div>
                <RefreshButton id="refresh-sessions" busy={model.list.is_busy()}
                    refreshing={model.list.refreshing} on_refresh={on_refresh} />
            </div>
            { for notice }
            { body }
        </div>
    }
}

//! `/admin` (role `admin`): every live session, and revoking all sessions of a user.
//!
//! The state machine is [`crate::admin::AdminModel`] (pure, tested natively); this page runs
//! the calls (`GET /api/admin/sessions`, `POST /api/admin/users/{id}/revoke-sessions`) and
//! renders. A 401 from either is handled by the request function (the app goes anonymous and
//! the guard replaces this page).

use std::rc::Rc;

use shared::error_code;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::admin::{sessions::summary, AdminAction, AdminModel, AdminNoticeKind, ListState};
use crate::browser;
use crate::components::loading::Loading;
use crate::components::session_table::SessionTable;
use crate::hooks::use_auth;
use crate::services::{self, ApiError};

impl Reducible for AdminModel {
    type Action = AdminAction;

    fn reduce(self: Rc<Self>, action: AdminAction) -> Rc<Self> {
        Rc::new(AdminModel::reduce(&self, action))
    }
}

/// Ids for tests: `admin` (heading "Sessions"), `refresh-sessions`, `sessions-loading`,
/// `sessions` (the table), `sessions-empty`, `sessions-summary`, `sessions-error` +
/// `sessions-retry`, `admin-forbidden`, `admin-notice` (+ `admin-notice-dismiss`). Classes:
/// `session-row`, `badge-current`, `revoke`, `revoke-confirm`, `revoke-cancel`.
#[component]
pub fn AdminPage() -> Html {
    let auth = use_auth();
    let model = use_reducer(AdminModel::default);
    let fetch_count = use_mut_ref(|| 0_u64);

    // Fetches the list; only the answer of the latest fetch is used.
    let fetch = {
        let dispatcher = model.dispatcher();
        Callback::from(move |()| {
            let number = {
                let mut count = fetch_count.borrow_mut();
                *count += 1;
                *count
            };
            dispatcher.dispatch(AdminAction::FetchStarted(number));
            let dispatcher = dispatcher.clone();
            spawn_local(async move {
                let result = services::list_sessions().await;
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
        let forbidden = matches!(&model.list, ListState::Failed(ApiError::Forbidden(d)) if d.code == error_code::FORBIDDEN);
        use_effect_with(forbidden, move |forbidden| {
            if *forbidden {
                auth.recheck();
            }
        });
    }

    let on_refresh = {
        let fetch = fetch.clone();
        Callback::from(move |_: MouseEvent| fetch.emit(()))
    };
    let on_revoke = {
        let dispatcher = model.dispatcher();
        Callback::from(move |user_id: String| dispatcher.dispatch(AdminAction::AskConfirm(user_id)))
    };
    let on_cancel = {
        let dispatcher = model.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(AdminAction::CancelConfirm))
    };
    let on_confirm = {
        let model = model.clone();
        let fetch = fetch.clone();
        Callback::from(move |user_id: String| {
            if model.revoking.is_some() {
                return;
            }
            let name = match &model.list {
                ListState::Loaded(groups) => groups
                    .iter()
                    .find(|g| g.user_id == user_id)
                    .map(|g| g.display_name().to_string()),
                _ => None,
            }
            .unwrap_or_else(|| "this user".to_string());
            let dispatcher = model.dispatcher();
            dispatcher.dispatch(AdminAction::RevokeStarted(user_id.clone()));
            let fetch = fetch.clone();
            spawn_local(async move {
                let result = services::revoke_user_sessions(&user_id)
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

    let busy = model.refreshing || model.list == ListState::Loading;
    let notice = model.notice.as_ref().map(|notice| {
        let (kind, role) = match notice.kind {
            AdminNoticeKind::Success => ("success", "status"),
            AdminNoticeKind::Error => ("error", "alert"),
        };
        let dismiss = {
            let dispatcher = model.dispatcher();
            Callback::from(move |_: MouseEvent| dispatcher.dispatch(AdminAction::DismissNotice))
        };
        html! {
            <div id="admin-notice" class={classes!("notice", format!("notice-{kind}"))} {role}
                data-kind={kind} data-code={notice.code.clone()}>
                <span class="notice-icon" aria-hidden="true">{ notice_icon(notice.kind) }</span>
                <p class="notice-message">{ notice.message.clone() }</p>
                <button id="admin-notice-dismiss" type="button" class="notice-dismiss"
                    aria-label="Dismiss this message" title="Dismiss" onclick={dismiss}>
                    <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
                        <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" stroke-width="2" stroke-linecap="round" fill="none" />
                    </svg>
                </button>
            </div>
        }
    });

    let body = match &model.list {
        ListState::Loading => html! {
            <section class="card">
                <Loading id="sessions-loading" message="Loading sessions…" />
            </section>
        },
        ListState::Failed(ApiError::Forbidden(detail)) if detail.code == error_code::FORBIDDEN => {
            html! {
                <section id="admin-forbidden" class="card state-card">
                    <h2>{ "You need the admin role" }</h2>
                    <p class="muted">{ "The server refused to list sessions for your account. If your roles changed recently, log out and in again." }</p>
                </section>
            }
        }
        ListState::Failed(error) => {
            let onclick = {
                let fetch = fetch.clone();
                Callback::from(move |_: MouseEvent| fetch.emit(()))
            };
            html! {
                <section id="sessions-error" class="card state-card" data-code={error.code().to_string()}>
                    <h2>{ "We couldn't load the sessions" }</h2>
                    <p class="muted">{ error.user_message() }</p>
                    <button id="sessions-retry" type="button" class="btn btn-primary" {onclick}>{ "Try again" }</button>
                </section>
            }
        }
        ListState::Loaded(groups) => html! {
            <>
                <section class="card sessions-card" aria-busy={model.refreshing.to_string()}>
                    <SessionTable groups={groups.clone()}
                        confirming={model.confirming.clone()}
                        revoking={model.revoking.clone()}
                        {on_revoke} {on_confirm} {on_cancel} />
                </section>
                if !groups.is_empty() {
                    <p id="sessions-summary" class="sessions-summary muted">{ summary(groups) }</p>
                }
            </>
        },
    };

    html! {
        <div class="admin-page">
            <div class="page-head">
                <div class="page-title">
                    <h1 id="admin">{ "Sessions" }</h1>
                    <p class="muted">
                        { "Every live session. Revoking a user's sessions signs them out everywhere on their next request." }
                    </p>
                </div>
                <button id="refresh-sessions" type="button" class="btn btn-secondary"
                    disabled={busy} onclick={on_refresh}>
                    <svg class={classes!("refresh-icon", busy.then_some("spinning"))} viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
                        <path d="M16.5 10a6.5 6.5 0 1 1-1.9-4.6M16.5 3.5v3.8h-3.8" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
                    </svg>
                    { if model.refreshing { "Refreshing…" } else { "Refresh" } }
                </button>
            </div>
            { for notice }
            { body }
        </div>
    }
}

fn notice_icon(kind: AdminNoticeKind) -> Html {
    match kind {
        AdminNoticeKind::Success => html! {
            <svg viewBox="0 0 20 20" width="20" height="20">
                <circle cx="10" cy="10" r="8" fill="none" stroke="currentColor" stroke-width="2" />
                <path d="M6.5 10.2l2.3 2.3 4.7-4.8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
            </svg>
        },
        AdminNoticeKind::Error => html! {
            <svg viewBox="0 0 20 20" width="20" height="20">
                <path d="M10 2.5l8 14.5H2z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" />
                <path d="M10 8v4M10 14.6v.1" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
            </svg>
        },
    }
}

//! `/messages` (permission `read:messages`): the worked example of permissions. Everyone who
//! may read sees the list; with `write:messages` there is a form and "Delete" on one's own
//! messages; without, one plain sentence says so.
//!
//! The state machine is [`crate::messages::MessagesModel`] (pure, tested natively). Bodies are
//! text, never markup.

use std::rc::Rc;

use shared::messages::{permissions, MAX_MESSAGE_CHARS};
use shared::{Message, Uuid};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::auth::ErrorAdvice;
use crate::browser;
use crate::components::confirm::InlineConfirm;
use crate::components::loading::loading;
use crate::components::page_notice::PageNoticeBanner;
use crate::components::refresh_button::RefreshButton;
use crate::components::time::time;
use crate::hooks::use_auth;
use crate::listing::ListState;
use crate::messages::{
    check_draft, delete_label, delete_question, draft_key, MessagesAction, MessagesFocus,
    MessagesModel,
};
use crate::services::{self, ApiError};
use ferris_login_yew::use_api;

impl Reducible for MessagesModel {
    type Action = MessagesAction;

    fn reduce(self: Rc<Self>, action: MessagesAction) -> Rc<Self> {
        Rc::new(MessagesModel::reduce(&self, action))
    }
}

/// Ids for tests: `messages-heading` (h1), `message-form`, `message-body` (textarea, label
/// "Your message"), `message-count` (`12 / 500`), `message-problem`, `post-message`,
/// `read-only` (the sentence for readers), `message-list`, `li.message[data-message-id]
/// [data-mine]` with `.message-author`, `.message-body`, `time`, `button.delete-message`,
/// `button.delete-confirm` / `button.delete-cancel` (the confirmation, in place of Delete),
/// `#messages-list-heading`, `#no-messages`, `#messages-notice` (+ `-dismiss`),
/// `#refresh-messages`, `#messages-error` + `#messages-retry`.
#[component]
pub fn MessagesPage() -> Html {
    let api = use_api();
    let auth = use_auth();
    let may_write = auth
        .user()
        .is_some_and(|u| u.has_permission(permissions::WRITE));
    // The unsent message of this user in this tab (kept through an expiry and a new sign-in).
    let key = auth.user().map(|u| draft_key(&u.sub));
    let model = {
        let key = key.clone();
        use_reducer(move || MessagesModel {
            draft: key
                .as_deref()
                .and_then(browser::tab_get)
                .unwrap_or_default(),
            ..MessagesModel::default()
        })
    };
    {
        // Every change is kept; posting clears the draft, and so the stored copy.
        let key = key.clone();
        use_effect_with(model.draft.clone(), move |draft| {
            if let Some(key) = key {
                browser::tab_set(&key, draft);
            }
        });
    }
    let fetch_count = use_mut_ref(|| 0_u64);
    let composer = use_node_ref();

    let fetch = {
        let api = api.clone();
        let dispatcher = model.dispatcher();
        Callback::from(move |()| {
            let number = {
                let mut count = fetch_count.borrow_mut();
                *count += 1;
                *count
            };
            dispatcher.dispatch(MessagesAction::FetchStarted(number));
            let dispatcher = dispatcher.clone();
            let api = api.clone();
            spawn_local(async move {
                let result = services::messages(&api).await;
                if let Err(error) = &result {
                    if *error != ApiError::Unauthenticated {
                        browser::log(&format!("listing messages failed: {error}"));
                    }
                }
                dispatcher.dispatch(MessagesAction::Fetched(number, result));
            });
        })
    };
    {
        let fetch = fetch.clone();
        use_effect_with((), move |_| fetch.emit(()));
    }

    // A 403 on a page the guard let through: the permissions changed; ask /me again.
    {
        let auth = auth.clone();
        let forbidden = matches!(model.list.state, ListState::Failed(ApiError::Forbidden(_)));
        use_effect_with(forbidden, move |forbidden| {
            if *forbidden {
                auth.recheck();
            }
        });
    }

    {
        let composer = composer.clone();
        use_effect_with(model.focus.clone(), move |focus| {
            let Some(focus) = focus else {
                return;
            };
            let found = match focus.target {
                MessagesFocus::Composer => composer
                    .cast::<HtmlTextAreaElement>()
                    .is_some_and(|c| c.focus().is_ok()),
                MessagesFocus::ListHeading => browser::focus_first("#messages-list-heading"),
                MessagesFocus::DeleteButton(id) => browser::focus_first(&format!(
                    "button.delete-message[data-message-id=\"{id}\"]"
                )),
            };
            if !found {
                browser::focus_page_heading();
            }
        });
    }

    let on_input = {
        let dispatcher = model.dispatcher();
        Callback::from(move |event: InputEvent| {
            if let Some(area) = event.target_dyn_into::<HtmlTextAreaElement>() {
                dispatcher.dispatch(MessagesAction::Edit(area.value()));
            }
        })
    };
    let on_submit = {
        let api = api.clone();
        let model = model.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if model.posting {
                return;
            }
            let dispatcher = model.dispatcher();
            let check = check_draft(&model.draft);
            if let Some(problem) = check.problem {
                dispatcher.dispatch(MessagesAction::Refused(problem));
                return;
            }
            let body = model.draft.trim().to_string();
            dispatcher.dispatch(MessagesAction::PostStarted);
            let api = api.clone();
            spawn_local(async move {
                let result = services::post_message(&api, &body).await;
                if let Err(error) = &result {
                    if *error != ApiError::Unauthenticated {
                        browser::log(&format!("posting failed: {error}"));
                    }
                }
                dispatcher.dispatch(MessagesAction::Posted(result));
            });
        })
    };
    let on_ask = {
        let dispatcher = model.dispatcher();
        Callback::from(move |id: Uuid| dispatcher.dispatch(MessagesAction::AskDelete(id)))
    };
    let on_cancel = {
        let dispatcher = model.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(MessagesAction::CancelDelete))
    };
    let on_delete = {
        let api = api.clone();
        let model = model.clone();
        Callback::from(move |id: Uuid| {
            if model.deleting.is_some() {
                return;
            }
            let dispatcher = model.dispatcher();
            dispatcher.dispatch(MessagesAction::DeleteStarted(id));
            let api = api.clone();
            spawn_local(async move {
                let result = services::delete_message(&api, id).await;
                if let Err(error) = &result {
                    if *error != ApiError::Unauthenticated {
                        browser::log(&format!("deleting failed: {error}"));
                    }
                }
                dispatcher.dispatch(MessagesAction::Deleted(id, result));
            });
        })
    };

    let check = check_draft(&model.draft);
    let over = matches!(
        check.problem,
        Some(crate::messages::DraftProblem::TooLong(_))
    );
    let problem = model.draft_problem.map(|p| p.message());
    let described_by = if problem.is_some() {
        "message-count message-problem"
    } else {
        "message-count"
    };
    let form = if may_write {
        html! {
            <form id="message-form" class="card message-form" onsubmit={on_submit} novalidate=true>
                <label for="message-body" class="field-label">{ "Your message" }</label>
                <textarea id="message-body" ref={composer} rows="3" value={model.draft.clone()}
                    oninput={on_input} aria-describedby={described_by}
                    aria-invalid={problem.is_some().then_some("true")}
                    maxlength={(MAX_MESSAGE_CHARS * 2).to_string()} />
                <div class="message-form-foot">
                    <p id="message-count" class={classes!("counter", over.then_some("counter-over"))}>
                        { check.counter() }<span class="visually-hidden">{ " characters" }</span>
                    </p>
                    <button id="post-message" type="submit" class="btn btn-primary"
                        aria-disabled={model.posting.then_some("true")}>
                        { if model.posting { "Posting…" } else { "Post" } }
                    </button>
                </div>
                <p id="message-problem" class="field-problem" role="alert">
                    { problem.unwrap_or_default() }
                </p>
            </form>
        }
    } else {
        html! {
            <p id="read-only" class="card read-only">
                { "You can read messages but not write them. To post, ask an administrator for permission to write messages, then log in again." }
            </p>
        }
    };

    let notice = model.notice.clone().map(|notice| {
        let dispatcher = model.dispatcher();
        let on_dismiss =
            Callback::from(move |()| dispatcher.dispatch(MessagesAction::DismissNotice));
        html! { <PageNoticeBanner id="messages-notice" {notice} {on_dismiss} /> }
    });

    let list = match &model.list.state {
        ListState::Loading => html! {
            { loading("messages-loading", "Loading messages…") }
        },
        ListState::Failed(error) => {
            let onclick = {
                let fetch = fetch.clone();
                Callback::from(move |_: MouseEvent| fetch.emit(()))
            };
            html! {
                <div id="messages-error" class="state-card" data-code={error.reference()}>
                    <p class="muted">{ format!("We couldn't load the messages. {}", error.user_message()) }</p>
                    <button id="messages-retry" type="button" class="btn btn-primary" {onclick}>{ "Try again" }</button>
                </div>
            }
        }
        ListState::Loaded(messages) if messages.is_empty() => html! {
            <p id="no-messages" class="muted">{ "No messages yet." }</p>
        },
        ListState::Loaded(messages) => html! {
            <ul id="message-list" class="message-list">
                { for messages.iter().map(|m| {
                    let actions = DeleteActions {
                        deleting: model.deleting,
                        confirming: model.confirming,
                        on_ask: &on_ask,
                        on_cancel: &on_cancel,
                        on_delete: &on_delete,
                    };
                    message_item(m, may_write, &actions)
                }) }
            </ul>
        },
    };

    let on_refresh = {
        let fetch = fetch.clone();
        Callback::from(move |()| fetch.emit(()))
    };
    html! {
        <div class="messages-page">
            <div class="page-head">
                <div class="page-title">
                    <h1 id="messages-heading" tabindex="-1">{ "Messages" }</h1>
                    <p class="muted">
                        { "Everyone with permission to read messages sees them here; posting needs permission to write them. The server checks both on every call." }
                    </p>
                </div>
                <RefreshButton id="refresh-messages" busy={model.list.is_busy()}
                    refreshing={model.list.refreshing} {on_refresh} />
            </div>
            { for notice }
            { form }
            <section class="card messages" aria-labelledby="messages-list-heading"
                aria-busy={model.list.refreshing.to_string()}>
                <h2 id="messages-list-heading" tabindex="-1">{ "Latest messages" }</h2>
                { list }
            </section>
        </div>
    }
}

/// What a message's "Delete" needs from the page.
struct DeleteActions<'a> {
    deleting: Option<Uuid>,
    confirming: Option<Uuid>,
    on_ask: &'a Callback<Uuid>,
    on_cancel: &'a Callback<()>,
    on_delete: &'a Callback<Uuid>,
}

fn message_item(message: &Message, may_write: bool, actions: &DeleteActions<'_>) -> Html {
    let id = message.id;
    let delete = (may_write && message.mine).then(|| {
        if actions.confirming == Some(id) {
            let on_confirm = {
                let on_delete = actions.on_delete.clone();
                Callback::from(move |()| on_delete.emit(id))
            };
            return html! {
                <InlineConfirm question={delete_question(message)} label="Confirm deleting this message"
                    confirm_label="Delete" confirm_class={classes!("delete-confirm")}
                    cancel_class={classes!("delete-cancel")} data_name="data-message-id"
                    data_value={id.to_string()} described_by={format!("message-{id}-body")}
                    {on_confirm} on_cancel={actions.on_cancel.clone()} />
            };
        }
        let busy = actions.deleting == Some(id);
        let onclick = {
            let on_ask = actions.on_ask.clone();
            Callback::from(move |_: MouseEvent| on_ask.emit(id))
        };
        html! {
            <button type="button" class="btn btn-small btn-danger btn-outline delete-message"
                data-message-id={id.to_string()} aria-label={delete_label(message)}
                aria-disabled={actions.deleting.is_some().then_some("true")} {onclick}>
                { if busy { "Deleting…" } else { "Delete" } }
            </button>
        }
    });
    html! {
        <li key={id.to_string()} class="message" data-message-id={id.to_string()}
            data-mine={message.mine.to_string()}>
            <div class="message-meta">
                <span class="message-author">{ message.author.clone() }</span>
                if message.mine {
                    <span class="badge badge-current">{ "You" }</span>
                }
                <span class="message-time">{ time(message.created_at) }</span>
            </div>
            <p id={format!("message-{id}-body")} class="message-body">{ message.body.clone() }</p>
            { for delete }
        </li>
    }
}

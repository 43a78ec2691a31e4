//! `<SessionTable>`: the admin page's list of live sessions, one row group per user, with the
//! per-user "Revoke all sessions" action and its inline confirmation.

use shared::{SessionInfo, User};
use web_sys::HtmlElement;
use yew::prelude::*;

use crate::admin::{describe_user_agent, timestamp_parts, UserSessions};
use crate::components::avatar::Avatar;

#[derive(Properties, PartialEq)]
pub struct SessionTableProps {
    /// Grouped as [`crate::admin::group_by_user`] does.
    pub groups: Vec<UserSessions>,
    /// The user whose revocation awaits confirmation.
    #[prop_or_default]
    pub confirming: Option<String>,
    /// The user whose sessions are being revoked.
    #[prop_or_default]
    pub revoking: Option<String>,
    /// "Revoke all sessions" clicked (user id).
    pub on_revoke: Callback<String>,
    /// "Confirm revoke" clicked (user id).
    pub on_confirm: Callback<String>,
    /// "Cancel" clicked, or Escape pressed in the confirmation.
    pub on_cancel: Callback<()>,
}

/// A `<table id="sessions">`; one `<tbody class="session-group" data-user-id>` per user; one
/// `<tr class="session-row" data-user-id data-sub data-current>` per session. The first row of
/// a group carries the user cell and the action cell (both span the group's rows).
#[component]
pub fn SessionTable(props: &SessionTableProps) -> Html {
    let cancel_ref = use_node_ref();
    {
        // Entering the confirmation moves the focus to its safe choice, "Cancel".
        let cancel_ref = cancel_ref.clone();
        use_effect_with(props.confirming.clone(), move |confirming| {
            if confirming.is_some() {
                if let Some(cancel) = cancel_ref.cast::<HtmlElement>() {
                    // Focus can only fail on a detached element; nothing to do then.
                    let _ = cancel.focus();
                }
            }
        });
    }

    if props.groups.is_empty() {
        return html! {
            <p id="sessions-empty" class="sessions-empty muted">{ "No live sessions." }</p>
        };
    }

    html! {
        <table id="sessions" class="sessions-table">
            <caption class="visually-hidden">{ "Live sessions, grouped by user" }</caption>
            <thead>
                <tr>
                    <th scope="col" class="col-user">{ "User" }</th>
                    <th scope="col" class="col-created">{ "Signed in" }</th>
                    <th scope="col" class="col-seen">{ "Last seen" }</th>
                    <th scope="col" class="col-device">{ "Device" }</th>
                    <th scope="col" class="col-actions"><span class="visually-hidden">{ "Actions" }</span></th>
                </tr>
            </thead>
            { for props.groups.iter().map(|group| group_rows(props, group, &cancel_ref)) }
        </table>
    }
}

fn group_rows(props: &SessionTableProps, group: &UserSessions, cancel_ref: &NodeRef) -> Html {
    let span = group.sessions.len().to_string();
    let rows = group.sessions.iter().enumerate().map(|(index, session)| {
        let first = index == 0;
        html! {
            <tr key={index}
                class={classes!("session-row", first.then_some("group-first"), session.current.then_some("session-current"))}
                data-user-id={session.user_id.clone()}
                data-sub={session.sub.clone()}
                data-current={session.current.to_string()}>
                if first {
                    <th scope="rowgroup" rowspan={span.clone()} class="cell-user">{ user_cell(group) }</th>
                }
                <td class="cell-created" data-label="Signed in">{ time(&session.created_at) }</td>
                <td class="cell-seen" data-label="Last seen">{ time(&session.last_seen_at) }</td>
                <td class="cell-device" data-label="Device">{ device(session) }</td>
                if first {
                    <td rowspan={span.clone()} class="cell-actions">{ actions(props, group, cancel_ref) }</td>
                }
            </tr>
        }
    });
    html! {
        <tbody key={group.user_id.clone()} class="session-group" data-user-id={group.user_id.clone()}>
            { for rows }
        </tbody>
    }
}

fn user_cell(group: &UserSessions) -> Html {
    // The avatar shows initials: sessions carry no picture.
    let user = User {
        sub: group.sub.clone(),
        issuer: group.issuer.clone(),
        name: group.name.clone(),
        email: group.email.clone(),
        email_verified: None,
        picture: None,
        roles: Vec::new(),
        permissions: Vec::new(),
    };
    let email = group
        .email
        .clone()
        .filter(|email| Some(email.as_str()) != Some(group.display_name()));
    html! {
        <div class="session-user">
            <Avatar {user} />
            <div class="session-user-text">
                <span id={name_id(&group.user_id)} class="session-user-name">{ group.display_name() }</span>
                if let Some(email) = email {
                    <span class="session-user-email">{ email }</span>
                }
                <code class="session-sub" title={format!("Issuer: {}", group.issuer)}>{ group.sub.clone() }</code>
            </div>
        </div>
    }
}

/// The id of the element holding a user's name (describes their revoke button).
fn name_id(user_id: &str) -> String {
    format!("session-user-{user_id}")
}

/// `27 Nov 2026, 04:12 UTC` (text content), breaking only after the comma; the exact value in
/// `datetime` and `title`.
fn time(rfc3339: &str) -> Html {
    let (date, time) = timestamp_parts(rfc3339);
    html! {
        <time datetime={rfc3339.to_string()} title={rfc3339.to_string()}>
            if let Some(time) = time {
                <span class="time-date">{ format!("{date},") }</span>{ " " }<span class="time-clock">{ time }</span>
            } else {
                { date }
            }
        </time>
    }
}

fn device(session: &SessionInfo) -> Html {
    let full = session
        .user_agent
        .clone()
        .unwrap_or_else(|| "No user agent recorded".to_string());
    html! {
        <div class="session-device">
            <span class="device" title={full}>{ describe_user_agent(session.user_agent.as_deref()) }</span>
            if session.current {
                <span class="badge badge-current">{ "This session" }</span>
            }
        </div>
    }
}

fn actions(props: &SessionTableProps, group: &UserSessions, cancel_ref: &NodeRef) -> Html {
    let user_id = group.user_id.clone();
    let described_by = name_id(&user_id);

    if props.revoking.as_deref() == Some(user_id.as_str()) {
        return html! {
            <button type="button" class="btn btn-small btn-danger revoke-confirm"
                data-user-id={user_id} aria-describedby={described_by} disabled=true>
                { "Revoking…" }
            </button>
        };
    }

    if props.confirming.as_deref() == Some(user_id.as_str()) {
        let count = group.sessions.len();
        let question = format!(
            "End {count} {}{}?",
            if count == 1 { "session" } else { "sessions" },
            if group.has_current() {
                ", including yours"
            } else {
                ""
            }
        );
        let on_confirm = {
            let on_confirm = props.on_confirm.clone();
            let user_id = user_id.clone();
            Callback::from(move |_: MouseEvent| on_confirm.emit(user_id.clone()))
        };
        let on_cancel = {
            let on_cancel = props.on_cancel.clone();
            Callback::from(move |_: MouseEvent| on_cancel.emit(()))
        };
        let on_keydown = {
            let on_cancel = props.on_cancel.clone();
            Callback::from(move |event: KeyboardEvent| {
                if event.key() == "Escape" {
                    on_cancel.emit(());
                }
            })
        };
        return html! {
            <div class="revoke-confirmation" role="group" aria-label="Confirm revoking all sessions"
                onkeydown={on_keydown}>
                <span class="revoke-question">{ question }</span>
                <div class="revoke-buttons">
                    <button type="button" class="btn btn-small btn-danger revoke-confirm"
                        data-user-id={user_id.clone()} aria-describedby={described_by}
                        onclick={on_confirm}>
                        { "Confirm revoke" }
                    </button>
                    <button type="button" class="btn btn-small btn-secondary revoke-cancel"
                        data-user-id={user_id} ref={cancel_ref.clone()} onclick={on_cancel}>
                        { "Cancel" }
                    </button>
                </div>
            </div>
        };
    }

    let onclick = {
        let on_revoke = props.on_revoke.clone();
        let user_id = user_id.clone();
        Callback::from(move |_: MouseEvent| on_revoke.emit(user_id.clone()))
    };
    html! {
        <button type="button" class="btn btn-small btn-danger btn-outline revoke"
            data-user-id={user_id} aria-describedby={described_by}
            disabled={props.revoking.is_some()} {onclick}>
            { "Revoke all sessions" }
        </button>
    }
}

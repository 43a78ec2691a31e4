//! `<SessionTable>`: the admin page's list of live sessions, one row group per user, with the
//! per-user "Sign out all sessions" action and its inline confirmation.

use shared::{SessionInfo, User, Uuid};
use yew::prelude::*;

use crate::admin::UserSessions;
use crate::components::avatar::Avatar;
use crate::components::confirm::InlineConfirm;
use crate::components::time::time;
use crate::format::describe_user_agent;
use crate::words::SIGN_OUT;

#[derive(Properties, PartialEq)]
pub struct SessionTableProps {
    /// Grouped as [`crate::admin::group_by_user`] does.
    pub groups: Vec<UserSessions>,
    /// The user whose revocation awaits confirmation.
    #[prop_or_default]
    pub confirming: Option<Uuid>,
    /// The user whose sessions are being revoked.
    #[prop_or_default]
    pub revoking: Option<Uuid>,
    /// "Sign out all sessions" clicked (user id).
    pub on_revoke: Callback<Uuid>,
    /// The confirmation's "Sign out" clicked (user id).
    pub on_confirm: Callback<Uuid>,
    /// "Cancel" clicked, or Escape pressed in the confirmation.
    pub on_cancel: Callback<()>,
}

/// A `<table id="sessions">`; one `<tbody class="session-group" data-user-id>` per user; one
/// `<tr class="session-row" data-user-id data-sub data-current>` per session. The first row of
/// a group carries the user cell and the action cell (both span the group's rows).
#[component]
pub fn SessionTable(props: &SessionTableProps) -> Html {
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
            { for props.groups.iter().map(|group| group_rows(props, group)) }
        </table>
    }
}

fn group_rows(props: &SessionTableProps, group: &UserSessions) -> Html {
    let span = group.sessions.len().to_string();
    let rows = group.sessions.iter().enumerate().map(|(index, session)| {
        let first = index == 0;
        html! {
            <tr key={index}
                class={classes!("session-row", first.then_some("group-first"), session.current.then_some("session-current"))}
                data-user-id={session.user_id.to_string()}
                data-sub={session.sub.clone()}
                data-current={session.current.to_string()}>
                if first {
                    <th scope="rowgroup" rowspan={span.clone()} class="cell-user">{ user_cell(group) }</th>
                }
                <td class="cell-created" data-label="Signed in">{ time(session.created_at) }</td>
                <td class="cell-seen" data-label="Last seen">{ time(session.last_seen_at) }</td>
                <td class="cell-device" data-label="Device">
                    // The user's cell spans the group; a row read on its own still says whose.
                    if !first {
                        <span class="visually-hidden session-owner">{ format!("{}: ", group.display_name()) }</span>
                    }
                    { device(session) }
                </td>
                if first {
                    <td rowspan={span.clone()} class="cell-actions">{ actions(props, group) }</td>
                }
            </tr>
        }
    });
    html! {
        <tbody key={group.user_id.to_string()} class="session-group" data-user-id={group.user_id.to_string()}>
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
        extra: Default::default(),
    };
    let email = group
        .email
        .clone()
        .filter(|email| Some(email.as_str()) != Some(group.display_name()));
    html! {
        <div class="session-user">
            <Avatar {user} decorative=true />
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
fn name_id(user_id: &Uuid) -> String {
    format!("session-user-{user_id}")
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

fn actions(props: &SessionTableProps, group: &UserSessions) -> Html {
    let user_id = group.user_id;
    let described_by = name_id(&user_id);

    if props.revoking == Some(user_id) {
        // Not `disabled`: the focus stays on it until the page moves it.
        return html! {
            <button type="button" class="btn btn-small btn-danger revoke-confirm"
                data-user-id={user_id.to_string()} aria-describedby={described_by} aria-disabled="true">
                { "Signing out…" }
            </button>
        };
    }

    if props.confirming == Some(user_id) {
        let count = group.sessions.len();
        let question = format!(
            "Sign out {count} {}{}?",
            if count == 1 { "session" } else { "sessions" },
            if group.has_current() {
                ", including yours"
            } else {
                ""
            }
        );
        let on_confirm = {
            let on_confirm = props.on_confirm.clone();
            Callback::from(move |()| on_confirm.emit(user_id))
        };
        return html! {
            <InlineConfirm question={question} label="Confirm signing out all sessions of this user"
                confirm_label={SIGN_OUT} confirm_class={classes!("revoke-confirm")}
                cancel_class={classes!("revoke-cancel")}
                data_name="data-user-id" data_value={user_id.to_string()}
                described_by={Some(AttrValue::from(described_by))}
                {on_confirm} on_cancel={props.on_cancel.clone()} />
        };
    }

    let onclick = {
        let on_revoke = props.on_revoke.clone();
        Callback::from(move |_: MouseEvent| on_revoke.emit(user_id))
    };
    html! {
        <button type="button" class="btn btn-small btn-danger btn-outline revoke"
            data-user-id={user_id.to_string()} aria-describedby={described_by}
            aria-disabled={props.revoking.is_some().then_some("true")} {onclick}>
            { "Sign out all sessions" }
        </button>
    }
}

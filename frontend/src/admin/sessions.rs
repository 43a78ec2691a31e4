//! The admin sessions page, the pure part: grouping sessions by user and the page's state
//! machine (loading, listing, confirming and revoking, and where the focus goes).

use std::cmp::Ordering;

use shared::{ErrorCode, OffsetDateTime, SessionInfo, Uuid};

use crate::listing::{FocusRequest, ListState, Listing, PageNotice, PageNoticeKind};
use crate::services::ApiError;

/// The live sessions of one user, most recently seen first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSessions {
    pub user_id: Uuid,
    pub sub: String,
    pub issuer: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Never empty.
    pub sessions: Vec<SessionInfo>,
}

impl UserSessions {
    /// The name, else the email, else the subject (like [`shared::User::display_name`]).
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .or(self.email.as_deref().filter(|e| !e.trim().is_empty()))
            .unwrap_or(&self.sub)
    }

    /// Whether the session making the request belongs to this user (revoking signs the admin
    /// out).
    pub fn has_current(&self) -> bool {
        self.sessions.iter().any(|s| s.current)
    }

    /// When this user was last seen (their most recent session).
    pub fn last_seen(&self) -> Option<OffsetDateTime> {
        self.sessions.iter().map(|s| s.last_seen_at).max()
    }
}

/// Groups sessions by `user_id`. The admin's own user comes first, then users by display name
/// (case-insensitive), then by id; within a user, the most recently seen session first.
pub fn group_by_user(sessions: &[SessionInfo]) -> Vec<UserSessions> {
    let mut groups: Vec<UserSessions> = Vec::new();
    for session in sessions {
        match groups.iter_mut().find(|g| g.user_id == session.user_id) {
            Some(group) => group.sessions.push(session.clone()),
            None => groups.push(UserSessions {
                user_id: session.user_id,
                sub: session.sub.clone(),
                issuer: session.issuer.clone(),
                name: session.name.clone(),
                email: session.email.clone(),
                sessions: vec![session.clone()],
            }),
        }
    }
    for group in &mut groups {
        group.sessions.sort_by(|a, b| {
            b.last_seen_at
                .cmp(&a.last_seen_at)
                .then_with(|| b.created_at.cmp(&a.created_at))
                .then_with(|| b.current.cmp(&a.current))
        });
    }
    groups.sort_by(compare_groups);
    groups
}

fn compare_groups(a: &UserSessions, b: &UserSessions) -> Ordering {
    b.has_current()
        .cmp(&a.has_current())
        .then_with(|| {
            a.display_name()
                .to_lowercase()
                .cmp(&b.display_name().to_lowercase())
        })
        .then_with(|| a.user_id.cmp(&b.user_id))
}

/// `Signed out 2 sessions of Bob`.
pub fn revoked_message(revoked: u64, name: &str) -> String {
    let noun = if revoked == 1 { "session" } else { "sessions" };
    format!("Signed out {revoked} {noun} of {name}")
}

/// `4 live sessions of 2 users`.
pub fn summary(groups: &[UserSessions]) -> String {
    let sessions: usize = groups.iter().map(|g| g.sessions.len()).sum();
    let users = groups.len();
    format!(
        "{sessions} live {} of {users} {}",
        if sessions == 1 { "session" } else { "sessions" },
        if users == 1 { "user" } else { "users" }
    )
}

/// Where the focus goes after an action on the admin page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminFocus {
    /// Back to this user's "Sign out all sessions" button (the confirmation was cancelled).
    RevokeButton(Uuid),
    /// The page heading (the row that had the focus is gone, or the notice was closed).
    Heading,
}

/// The admin page's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdminModel {
    pub list: Listing<Vec<UserSessions>>,
    /// The user whose "Sign out all sessions" awaits confirmation.
    pub confirming: Option<Uuid>,
    /// The user whose sessions are being revoked.
    pub revoking: Option<Uuid>,
    pub notice: Option<PageNotice>,
    pub focus: Option<FocusRequest<AdminFocus>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAction {
    /// Fetch number `n` of `GET /api/admin/sessions` started.
    FetchStarted(u64),
    /// Fetch number `n` answered.
    Fetched(u64, Result<Vec<SessionInfo>, ApiError>),
    /// "Sign out all sessions" clicked for this user.
    AskConfirm(Uuid),
    /// "Cancel" clicked, or Escape pressed in the confirmation.
    CancelConfirm,
    /// the confirmation's "Sign out" clicked for this user.
    RevokeStarted(Uuid),
    /// The revocation of `user_id`'s sessions answered (`name` is for the message).
    Revoked {
        user_id: Uuid,
        name: String,
        result: Result<u64, ApiError>,
    },
    DismissNotice,
}

impl AdminModel {
    /// The transition function.
    pub fn reduce(&self, action: AdminAction) -> AdminModel {
        let mut next = self.clone();
        match action {
            AdminAction::FetchStarted(n) => next.list.start(n),
            AdminAction::Fetched(n, result) => {
                let groups = result.map(|sessions| group_by_user(&sessions));
                if next.list.finish(n, groups) {
                    let listed = |id: &Uuid| {
                        next.list
                            .loaded()
                            .is_some_and(|groups| groups.iter().any(|g| &g.user_id == id))
                    };
                    if !next.confirming.as_ref().is_some_and(listed) {
                        next.confirming = None;
                    }
                }
            }
            AdminAction::AskConfirm(user_id) => {
                if self.revoking.is_none() {
                    next.confirming = Some(user_id);
                }
            }
            AdminAction::CancelConfirm => {
                if let Some(user_id) = self.confirming {
                    next.confirming = None;
                    next.focus =
                        FocusRequest::after(&self.focus, AdminFocus::RevokeButton(user_id));
                }
            }
            AdminAction::RevokeStarted(user_id) => {
                if self.revoking.is_none() {
                    next.confirming = None;
                    next.revoking = Some(user_id);
                    next.notice = None;
                }
            }
            AdminAction::Revoked {
                user_id,
                name,
                result,
            } => {
                if self.revoking == Some(user_id) {
                    next.revoking = None;
                }
                next.notice = match result {
                    Ok(revoked) => Some(PageNotice::success(
                        revoked_message(revoked, &name),
                        "revoked",
                    )),
                    Err(ApiError::Unauthenticated) => None,
                    Err(ApiError::Forbidden(detail)) if detail.code == ErrorCode::Forbidden => {
                        Some(PageNotice {
                            kind: PageNoticeKind::Error,
                            message: format!(
                                "Couldn't sign out the sessions of {name}. You need the admin role to do that."
                            ),
                            code: ErrorCode::Forbidden.as_str().to_string(),
                        })
                    }
                    Err(error) => Some(PageNotice::failure(
                        &format!("Couldn't sign out the sessions of {name}."),
                        &error,
                    )),
                };
                next.focus = FocusRequest::after(&self.focus, AdminFocus::Heading);
            }
            AdminAction::DismissNotice => {
                if self.notice.is_some() {
                    next.notice = None;
                    next.focus = FocusRequest::after(&self.focus, AdminFocus::Heading);
                }
            }
        }
        next
    }

    /// Whether the button of `user_id` asks for confirmation now.
    pub fn is_confirming(&self, user_id: Uuid) -> bool {
        self.confirming == Some(user_id)
    }

    /// Whether `user_id`'s sessions are being revoked now.
    pub fn is_revoking(&self, user_id: Uuid) -> bool {
        self.revoking == Some(user_id)
    }

    /// The groups shown, if any.
    pub fn groups(&self) -> Option<&Vec<UserSessions>> {
        self.list.loaded()
    }

    /// The list failed with a 403 `forbidden`: the role went away.
    pub fn lost_the_role(&self) -> bool {
        matches!(&self.list.state, ListState::Failed(ApiError::Forbidden(d)) if d.code == ErrorCode::Forbidden)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use shared::ErrorDetail;
    use time::macros::datetime;

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    pub(crate) fn session(user: u128, name: Option<&str>, seen: OffsetDateTime) -> SessionInfo {
        SessionInfo {
            id: Uuid::from_u128(1_000 + user),
            user_id: id(user),
            sub: format!("sub-{user}"),
            issuer: "http://127.0.0.1:4000".to_string(),
            name: name.map(str::to_string),
            email: Some(format!("u{user}@example.com")),
            created_at: datetime!(2026-01-01 00:00 UTC),
            last_seen_at: seen,
            user_agent: None,
            current: false,
        }
    }

    const DAY1: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
    const DAY2: OffsetDateTime = datetime!(2026-01-02 00:00 UTC);
    const DAY3: OffsetDateTime = datetime!(2026-01-03 00:00 UTC);

    fn ids(groups: &[UserSessions]) -> Vec<Uuid> {
        groups.iter().map(|g| g.user_id).collect()
    }

    #[test]
    fn groups_by_user_with_the_current_user_first_then_by_name() {
        let mut mine = session(26, Some("Zed"), DAY2);
        mine.current = true;
        let sessions = vec![
            session(2, Some("bob"), DAY2),
            session(1, Some("Amy"), DAY2),
            mine,
            session(2, Some("bob"), DAY3),
            session(26, Some("Zed"), DAY1),
        ];
        let groups = group_by_user(&sessions);
        assert_eq!(ids(&groups), [id(26), id(1), id(2)]);
        assert_eq!(groups[2].sessions.len(), 2);
        assert_eq!(groups[2].sessions[0].last_seen_at, DAY3);
        assert_eq!(groups[2].last_seen(), Some(DAY3));
        assert!(groups[0].has_current());
        assert!(groups[0].sessions[0].current);
        assert!(!groups[1].has_current());
    }

    #[test]
    fn sessions_are_ordered_by_instant_whatever_the_offset() {
        let plus_two = time::UtcOffset::from_hms(2, 0, 0).unwrap();
        let groups = group_by_user(&[
            session(1, None, datetime!(2026-01-01 05:00 +2)),
            session(1, None, datetime!(2026-01-01 04:00 UTC)),
        ]);
        assert_eq!(
            groups[0].sessions[0].last_seen_at,
            datetime!(2026-01-01 04:00 UTC),
            "03:00Z is older than 04:00Z"
        );
        assert_eq!(groups[0].sessions[1].last_seen_at.offset(), plus_two);
    }

    #[test]
    fn users_without_a_name_sort_by_email_or_subject_and_ties_by_id() {
        let mut nameless = session(2, None, DAY1);
        nameless.email = None;
        nameless.sub = "auth0|abc".into();
        let groups = group_by_user(&[
            nameless,
            session(3, Some("Same"), DAY1),
            session(1, Some("same"), DAY1),
            session(4, None, DAY1),
        ]);
        assert_eq!(groups[0].display_name(), "auth0|abc");
        assert_eq!(groups[3].display_name(), "u4@example.com");
        assert_eq!(ids(&groups), [id(2), id(1), id(3), id(4)]);
        assert!(group_by_user(&[]).is_empty());
    }

    #[test]
    fn blank_names_fall_back_to_the_email() {
        let groups = group_by_user(&[session(7, Some("  "), DAY1)]);
        assert_eq!(groups[0].display_name(), "u7@example.com");
    }

    #[test]
    fn messages_count_correctly() {
        assert_eq!(revoked_message(1, "Bob"), "Signed out 1 session of Bob");
        assert_eq!(revoked_message(3, "Bob"), "Signed out 3 sessions of Bob");
        assert_eq!(revoked_message(0, "Bob"), "Signed out 0 sessions of Bob");
        let one = group_by_user(&[session(1, None, DAY1)]);
        assert_eq!(summary(&one), "1 live session of 1 user");
        let more = group_by_user(&[
            session(1, None, DAY1),
            session(1, None, DAY1),
            session(2, None, DAY1),
        ]);
        assert_eq!(summary(&more), "3 live sessions of 2 users");
    }

    fn loaded() -> AdminModel {
        AdminModel::default()
            .reduce(AdminAction::FetchStarted(1))
            .reduce(AdminAction::Fetched(
                1,
                Ok(vec![
                    session(1, Some("Ann"), DAY1),
                    session(2, Some("Bob"), DAY1),
                ]),
            ))
    }

    #[test]
    fn fetches_fill_the_list_grouped() {
        let model = loaded();
        assert_eq!(model.groups().map(Vec::len), Some(2));
        let stale = model
            .reduce(AdminAction::FetchStarted(2))
            .reduce(AdminAction::FetchStarted(3));
        assert_eq!(stale.reduce(AdminAction::Fetched(2, Ok(vec![]))), stale);
    }

    #[test]
    fn a_403_is_a_failure_of_its_own() {
        let forbidden = ApiError::Forbidden(ErrorDetail {
            code: ErrorCode::Forbidden,
            message: "admin role required".into(),
        });
        let model = AdminModel::default()
            .reduce(AdminAction::FetchStarted(1))
            .reduce(AdminAction::Fetched(1, Err(forbidden.clone())));
        assert_eq!(model.list.state, ListState::Failed(forbidden));
        assert!(model.lost_the_role());
        assert!(!loaded().lost_the_role());
    }

    #[test]
    fn revoking_asks_for_confirmation_first() {
        let model = loaded().reduce(AdminAction::AskConfirm(id(2)));
        assert!(model.is_confirming(id(2)));
        assert!(!model.is_confirming(id(1)));

        // Another user's button moves the confirmation there.
        let moved = model.reduce(AdminAction::AskConfirm(id(1)));
        assert!(moved.is_confirming(id(1)) && !moved.is_confirming(id(2)));

        let revoking = model.reduce(AdminAction::RevokeStarted(id(2)));
        assert!(revoking.is_revoking(id(2)));
        assert_eq!(revoking.confirming, None);
        // Nothing else starts while a revocation runs.
        assert_eq!(revoking.reduce(AdminAction::AskConfirm(id(1))), revoking);
        assert_eq!(revoking.reduce(AdminAction::RevokeStarted(id(1))), revoking);
    }

    #[test]
    fn cancelling_puts_the_focus_back_on_the_button_that_asked() {
        let cancelled = loaded()
            .reduce(AdminAction::AskConfirm(id(2)))
            .reduce(AdminAction::CancelConfirm);
        assert_eq!(cancelled.confirming, None);
        assert_eq!(
            cancelled.focus.map(|f| f.target),
            Some(AdminFocus::RevokeButton(id(2)))
        );
        let nothing = loaded().reduce(AdminAction::CancelConfirm);
        assert_eq!(nothing.focus, None, "no confirmation, no focus move");
    }

    #[test]
    fn a_revocation_reports_how_many_sessions_ended_and_focuses_the_heading() {
        let done =
            loaded()
                .reduce(AdminAction::RevokeStarted(id(2)))
                .reduce(AdminAction::Revoked {
                    user_id: id(2),
                    name: "Bob".into(),
                    result: Ok(2),
                });
        assert_eq!(done.revoking, None);
        let notice = done.notice.clone().unwrap();
        assert_eq!(notice.kind, PageNoticeKind::Success);
        assert_eq!(notice.message, "Signed out 2 sessions of Bob");
        assert_eq!(notice.code, "revoked");
        assert_eq!(
            done.focus.as_ref().map(|f| f.target),
            Some(AdminFocus::Heading)
        );
        let closed = done.reduce(AdminAction::DismissNotice);
        assert_eq!(closed.notice, None);
        assert_eq!(
            closed.focus.map(|f| f.seq),
            Some(2),
            "closing moves focus again"
        );
    }

    #[test]
    fn a_failed_revocation_says_so_without_server_text() {
        let failed =
            loaded()
                .reduce(AdminAction::RevokeStarted(id(2)))
                .reduce(AdminAction::Revoked {
                    user_id: id(2),
                    name: "Bob".into(),
                    result: Err(ApiError::from_status(
                        503,
                        r#"{"error":{"code":"store_unavailable","message":"db down"}}"#,
                    )),
                });
        let notice = failed.notice.unwrap();
        assert_eq!(notice.kind, PageNoticeKind::Error);
        assert_eq!(notice.code, "store_unavailable");
        assert!(notice
            .message
            .starts_with("Couldn't sign out the sessions of Bob."));
        assert!(!notice.message.contains("db down"));

        let forbidden = loaded().reduce(AdminAction::Revoked {
            user_id: id(2),
            name: "Bob".into(),
            result: Err(ApiError::from_status(403, "")),
        });
        let notice = forbidden.notice.unwrap();
        assert!(notice.message.contains("admin role"));
        assert_eq!(notice.code, "forbidden");

        let ended = loaded().reduce(AdminAction::Revoked {
            user_id: id(2),
            name: "Bob".into(),
            result: Err(ApiError::Unauthenticated),
        });
        assert_eq!(ended.notice, None);
    }

    #[test]
    fn a_reload_drops_a_confirmation_of_a_user_who_is_gone() {
        let model = loaded()
            .reduce(AdminAction::AskConfirm(id(2)))
            .reduce(AdminAction::FetchStarted(2));
        let still = model.reduce(AdminAction::Fetched(
            2,
            Ok(vec![session(2, Some("Bob"), DAY1)]),
        ));
        assert!(still.is_confirming(id(2)));
        let gone = model.reduce(AdminAction::Fetched(2, Ok(vec![])));
        assert_eq!(gone.confirming, None);
    }
}

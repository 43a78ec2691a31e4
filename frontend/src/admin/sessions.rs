//! The admin sessions page, the pure part: grouping sessions by user and the page's state
//! machine (loading, listing, confirming and revoking).

use std::cmp::Ordering;

use shared::SessionInfo;

use super::format::compare_timestamps;
use crate::services::error::ApiError;

/// The live sessions of one user, most recently seen first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSessions {
    pub user_id: String,
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
}

/// Groups sessions by `user_id`. The admin's own user comes first, then users by display name
/// (case-insensitive), then by id; within a user, the most recently seen session first.
pub fn group_by_user(sessions: &[SessionInfo]) -> Vec<UserSessions> {
    let mut groups: Vec<UserSessions> = Vec::new();
    for session in sessions {
        match groups.iter_mut().find(|g| g.user_id == session.user_id) {
            Some(group) => group.sessions.push(session.clone()),
            None => groups.push(UserSessions {
                user_id: session.user_id.clone(),
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
            compare_timestamps(&b.last_seen_at, &a.last_seen_at)
                .then_with(|| compare_timestamps(&b.created_at, &a.created_at))
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

/// `Revoked 2 sessions of Bob`.
pub fn revoked_message(revoked: u64, name: &str) -> String {
    let noun = if revoked == 1 { "session" } else { "sessions" };
    format!("Revoked {revoked} {noun} of {name}")
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

/// What the list area shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListState {
    Loading,
    Loaded(Vec<UserSessions>),
    /// The last fetch failed (not with a 401: that ends the page through the auth state).
    Failed(ApiError),
}

/// The outcome of a revocation, shown above the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminNotice {
    pub kind: AdminNoticeKind,
    pub message: String,
    /// `revoked`, or the API error code.
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminNoticeKind {
    Success,
    Error,
}

/// The admin page's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminModel {
    pub list: ListState,
    /// A fetch runs while the (previous) list stays visible.
    pub refreshing: bool,
    /// The number of the latest fetch; answers of older fetches are ignored.
    pub latest_fetch: u64,
    /// The user whose "Revoke all sessions" awaits confirmation.
    pub confirming: Option<String>,
    /// The user whose sessions are being revoked.
    pub revoking: Option<String>,
    pub notice: Option<AdminNotice>,
}

impl Default for AdminModel {
    fn default() -> Self {
        Self {
            list: ListState::Loading,
            refreshing: false,
            latest_fetch: 0,
            confirming: None,
            revoking: None,
            notice: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAction {
    /// Fetch number `n` of `GET /api/admin/sessions` started.
    FetchStarted(u64),
    /// Fetch number `n` answered.
    Fetched(u64, Result<Vec<SessionInfo>, ApiError>),
    /// "Revoke all sessions" clicked for this user.
    AskConfirm(String),
    CancelConfirm,
    /// "Confirm revoke" clicked for this user.
    RevokeStarted(String),
    /// The revocation of `user_id`'s sessions answered (`name` is for the message).
    Revoked {
        user_id: String,
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
            AdminAction::FetchStarted(n) => {
                next.latest_fetch = n;
                match self.list {
                    ListState::Loaded(_) => next.refreshing = true,
                    _ => next.list = ListState::Loading,
                }
            }
            AdminAction::Fetched(n, _) if n != self.latest_fetch => {}
            AdminAction::Fetched(_, result) => {
                next.refreshing = false;
                match result {
                    Ok(sessions) => {
                        let groups = group_by_user(&sessions);
                        let listed = |id: &Option<String>| {
                            id.as_ref()
                                .is_some_and(|id| groups.iter().any(|g| &g.user_id == id))
                        };
                        if !listed(&next.confirming) {
                            next.confirming = None;
                        }
                        next.list = ListState::Loaded(groups);
                    }
                    // The request function told the auth state; the guard takes over.
                    Err(ApiError::Unauthenticated) => {}
                    Err(error) => {
                        next.confirming = None;
                        next.list = ListState::Failed(error);
                    }
                }
            }
            AdminAction::AskConfirm(user_id) => {
                if self.revoking.is_none() {
                    next.confirming = Some(user_id);
                }
            }
            AdminAction::CancelConfirm => next.confirming = None,
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
                if self.revoking.as_deref() == Some(user_id.as_str()) {
                    next.revoking = None;
                }
                next.notice = match result {
                    Ok(revoked) => Some(AdminNotice {
                        kind: AdminNoticeKind::Success,
                        message: revoked_message(revoked, &name),
                        code: "revoked".to_string(),
                    }),
                    Err(ApiError::Unauthenticated) => None,
                    Err(error) => Some(AdminNotice {
                        kind: AdminNoticeKind::Error,
                        message: format!(
                            "Couldn't revoke the sessions of {name}. {}",
                            match &error {
                                ApiError::Forbidden(d)
                                    if d.code == shared::error_code::FORBIDDEN =>
                                    "You need the admin role to do that.",
                                other => other.user_message(),
                            }
                        ),
                        code: error.code().to_string(),
                    }),
                };
            }
            AdminAction::DismissNotice => next.notice = None,
        }
        next
    }

    /// Whether the button of `user_id` asks for confirmation now.
    pub fn is_confirming(&self, user_id: &str) -> bool {
        self.confirming.as_deref() == Some(user_id)
    }

    /// Whether `user_id`'s sessions are being revoked now.
    pub fn is_revoking(&self, user_id: &str) -> bool {
        self.revoking.as_deref() == Some(user_id)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use shared::ErrorDetail;

    use super::*;

    pub(crate) fn session(user_id: &str, name: Option<&str>, seen: &str) -> SessionInfo {
        SessionInfo {
            user_id: user_id.to_string(),
            sub: format!("sub-{user_id}"),
            issuer: "http://127.0.0.1:4000".to_string(),
            name: name.map(str::to_string),
            email: Some(format!("{user_id}@example.com")),
            created_at: "2026-01-01T00:00:00Z".to_string(),
            last_seen_at: seen.to_string(),
            user_agent: None,
            current: false,
        }
    }

    fn ids(groups: &[UserSessions]) -> Vec<&str> {
        groups.iter().map(|g| g.user_id.as_str()).collect()
    }

    #[test]
    fn groups_by_user_with_the_current_user_first_then_by_name() {
        let mut mine = session("u-zed", Some("Zed"), "2026-01-02T00:00:00Z");
        mine.current = true;
        let sessions = vec![
            session("u-bob", Some("bob"), "2026-01-02T00:00:00Z"),
            session("u-amy", Some("Amy"), "2026-01-02T00:00:00Z"),
            mine,
            session("u-bob", Some("bob"), "2026-01-03T00:00:00Z"),
            session("u-zed", Some("Zed"), "2026-01-01T00:00:00Z"),
        ];
        let groups = group_by_user(&sessions);
        assert_eq!(ids(&groups), ["u-zed", "u-amy", "u-bob"]);
        assert_eq!(groups[2].sessions.len(), 2);
        assert_eq!(groups[2].sessions[0].last_seen_at, "2026-01-03T00:00:00Z");
        assert!(groups[0].has_current());
        assert!(groups[0].sessions[0].current);
        assert!(!groups[1].has_current());
    }

    #[test]
    fn sessions_are_ordered_by_instant_not_by_text() {
        let groups = group_by_user(&[
            session("u", None, "2026-01-01T05:00:00+02:00"),
            session("u", None, "2026-01-01T04:00:00Z"),
        ]);
        assert_eq!(
            groups[0].sessions[0].last_seen_at, "2026-01-01T04:00:00Z",
            "03:00Z is older than 04:00Z"
        );
    }

    #[test]
    fn users_without_a_name_sort_by_email_or_subject_and_ties_by_id() {
        let mut nameless = session("u-2", None, "2026-01-01T00:00:00Z");
        nameless.email = None;
        nameless.sub = "auth0|abc".into();
        let groups = group_by_user(&[
            nameless,
            session("u-3", Some("Same"), "2026-01-01T00:00:00Z"),
            session("u-1", Some("same"), "2026-01-01T00:00:00Z"),
            session("u-4", None, "2026-01-01T00:00:00Z"),
        ]);
        assert_eq!(groups[0].display_name(), "auth0|abc");
        assert_eq!(groups[3].display_name(), "u-4@example.com");
        assert_eq!(ids(&groups), ["u-2", "u-1", "u-3", "u-4"]);
        assert!(group_by_user(&[]).is_empty());
    }

    #[test]
    fn blank_names_fall_back_to_the_email() {
        let groups = group_by_user(&[session("u", Some("  "), "2026-01-01T00:00:00Z")]);
        assert_eq!(groups[0].display_name(), "u@example.com");
    }

    #[test]
    fn messages_count_correctly() {
        assert_eq!(revoked_message(1, "Bob"), "Revoked 1 session of Bob");
        assert_eq!(revoked_message(3, "Bob"), "Revoked 3 sessions of Bob");
        assert_eq!(revoked_message(0, "Bob"), "Revoked 0 sessions of Bob");
        let one = group_by_user(&[session("u", None, "2026-01-01T00:00:00Z")]);
        assert_eq!(summary(&one), "1 live session of 1 user");
        let more = group_by_user(&[
            session("u", None, "2026-01-01T00:00:00Z"),
            session("u", None, "2026-01-01T00:00:00Z"),
            session("v", None, "2026-01-01T00:00:00Z"),
        ]);
        assert_eq!(summary(&more), "3 live sessions of 2 users");
    }

    fn loaded() -> AdminModel {
        let model = AdminModel::default().reduce(AdminAction::FetchStarted(1));
        model.reduce(AdminAction::Fetched(
            1,
            Ok(vec![
                session("u-1", Some("Ann"), "2026-01-01T00:00:00Z"),
                session("u-2", Some("Bob"), "2026-01-01T00:00:00Z"),
            ]),
        ))
    }

    #[test]
    fn first_fetch_loads_and_refreshes_keep_the_list() {
        let model = AdminModel::default();
        assert_eq!(model.list, ListState::Loading);
        let model = loaded();
        assert!(matches!(&model.list, ListState::Loaded(g) if g.len() == 2));
        assert!(!model.refreshing);

        let refreshing = model.reduce(AdminAction::FetchStarted(2));
        assert!(refreshing.refreshing);
        assert_eq!(
            refreshing.list, model.list,
            "the table stays while refreshing"
        );
        let done = refreshing.reduce(AdminAction::Fetched(2, Ok(vec![])));
        assert_eq!(done.list, ListState::Loaded(vec![]));
        assert!(!done.refreshing);
    }

    #[test]
    fn answers_of_superseded_fetches_are_ignored() {
        let model = loaded()
            .reduce(AdminAction::FetchStarted(2))
            .reduce(AdminAction::FetchStarted(3));
        let stale = model.reduce(AdminAction::Fetched(2, Ok(vec![])));
        assert_eq!(stale, model);
        let fresh = model.reduce(AdminAction::Fetched(3, Ok(vec![])));
        assert_eq!(fresh.list, ListState::Loaded(vec![]));
    }

    #[test]
    fn failures_show_the_error_and_a_retry_loads_again() {
        let failed = loaded()
            .reduce(AdminAction::FetchStarted(2))
            .reduce(AdminAction::Fetched(
                2,
                Err(ApiError::Network("offline".into())),
            ));
        assert!(matches!(
            failed.list,
            ListState::Failed(ApiError::Network(_))
        ));
        assert!(!failed.refreshing);
        let retry = failed.reduce(AdminAction::FetchStarted(3));
        assert_eq!(retry.list, ListState::Loading);
        assert!(!retry.refreshing);
    }

    #[test]
    fn a_401_leaves_the_page_to_the_auth_state() {
        let model = loaded().reduce(AdminAction::FetchStarted(2));
        let after = model.reduce(AdminAction::Fetched(2, Err(ApiError::Unauthenticated)));
        assert_eq!(after.list, model.list);
        assert!(!after.refreshing);
    }

    #[test]
    fn a_403_is_a_failure_of_its_own() {
        let forbidden = ApiError::Forbidden(ErrorDetail {
            code: "forbidden".into(),
            message: "admin role required".into(),
        });
        let model = AdminModel::default()
            .reduce(AdminAction::FetchStarted(1))
            .reduce(AdminAction::Fetched(1, Err(forbidden.clone())));
        assert_eq!(model.list, ListState::Failed(forbidden));
    }

    #[test]
    fn revoking_asks_for_confirmation_first() {
        let model = loaded().reduce(AdminAction::AskConfirm("u-2".into()));
        assert!(model.is_confirming("u-2"));
        assert!(!model.is_confirming("u-1"));
        let cancelled = model.reduce(AdminAction::CancelConfirm);
        assert_eq!(cancelled.confirming, None);

        // Another user's button moves the confirmation there.
        let moved = model.reduce(AdminAction::AskConfirm("u-1".into()));
        assert!(moved.is_confirming("u-1") && !moved.is_confirming("u-2"));

        let revoking = model.reduce(AdminAction::RevokeStarted("u-2".into()));
        assert!(revoking.is_revoking("u-2"));
        assert_eq!(revoking.confirming, None);
        // Nothing else starts while a revocation runs.
        assert_eq!(
            revoking.reduce(AdminAction::AskConfirm("u-1".into())),
            revoking
        );
        assert_eq!(
            revoking.reduce(AdminAction::RevokeStarted("u-1".into())),
            revoking
        );
    }

    #[test]
    fn a_revocation_reports_how_many_sessions_ended() {
        let done = loaded()
            .reduce(AdminAction::RevokeStarted("u-2".into()))
            .reduce(AdminAction::Revoked {
                user_id: "u-2".into(),
                name: "Bob".into(),
                result: Ok(2),
            });
        assert_eq!(done.revoking, None);
        let notice = done.notice.clone().unwrap();
        assert_eq!(notice.kind, AdminNoticeKind::Success);
        assert_eq!(notice.message, "Revoked 2 sessions of Bob");
        assert_eq!(notice.code, "revoked");
        assert_eq!(done.reduce(AdminAction::DismissNotice).notice, None);
    }

    #[test]
    fn a_failed_revocation_says_so_without_server_text() {
        let failed = loaded()
            .reduce(AdminAction::RevokeStarted("u-2".into()))
            .reduce(AdminAction::Revoked {
                user_id: "u-2".into(),
                name: "Bob".into(),
                result: Err(ApiError::from_status(
                    503,
                    r#"{"error":{"code":"store_unavailable","message":"db down"}}"#,
                )),
            });
        let notice = failed.notice.unwrap();
        assert_eq!(notice.kind, AdminNoticeKind::Error);
        assert_eq!(notice.code, "store_unavailable");
        assert!(notice
            .message
            .starts_with("Couldn't revoke the sessions of Bob."));
        assert!(!notice.message.contains("db down"));

        let forbidden = loaded().reduce(AdminAction::Revoked {
            user_id: "u-2".into(),
            name: "Bob".into(),
            result: Err(ApiError::from_status(403, "")),
        });
        assert!(forbidden.notice.unwrap().message.contains("admin role"));

        let ended = loaded().reduce(AdminAction::Revoked {
            user_id: "u-2".into(),
            name: "Bob".into(),
            result: Err(ApiError::Unauthenticated),
        });
        assert_eq!(ended.notice, None);
    }

    #[test]
    fn a_reload_drops_a_confirmation_of_a_user_who_is_gone() {
        let model = loaded()
            .reduce(AdminAction::AskConfirm("u-2".into()))
            .reduce(AdminAction::FetchStarted(2));
        let still = model.reduce(AdminAction::Fetched(
            2,
            Ok(vec![session("u-2", Some("Bob"), "2026-01-01T00:00:00Z")]),
        ));
        assert!(still.is_confirming("u-2"));
        let gone = model.reduce(AdminAction::Fetched(2, Ok(vec![])));
        assert_eq!(gone.confirming, None);
    }
}

//! "Your sessions" (`/account/sessions`), the pure part: the order of the list and the page's
//! state machine (loading, confirming and signing out one other session or all of them, the
//! result, and where the focus goes).

use shared::{ErrorCode, MySession, Uuid};

use crate::listing::{FocusRequest, Listing, PageNotice};
use crate::services::ApiError;

/// What a "Sign out" ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoke {
    /// One of the person's other sessions.
    Session(Uuid),
    /// Every session but this one.
    Others,
}

/// Where the focus goes after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionsFocus {
    /// Back on the button that opened the confirmation.
    Button(Revoke),
    /// The "Other sessions" heading (the row that had the focus is gone, or the notice closed).
    ListHeading,
}

/// This device first, then the most recently used.
pub fn sorted(mut sessions: Vec<MySession>) -> Vec<MySession> {
    sessions.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then_with(|| b.last_seen_at.cmp(&a.last_seen_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    sessions
}

/// The result sentence of a sign-out.
pub fn signed_out_message(target: Revoke, revoked: u64) -> String {
    match (target, revoked) {
        (Revoke::Session(_), 0) => "That session had already ended.".to_string(),
        (Revoke::Session(_), _) => "That session is signed out.".to_string(),
        (Revoke::Others, 0) => "There were no other sessions to sign out.".to_string(),
        (Revoke::Others, 1) => "Signed out 1 other session.".to_string(),
        (Revoke::Others, n) => format!("Signed out {n} other sessions."),
    }
}

/// The page's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionsModel {
    /// Sorted by [`sorted`].
    pub list: Listing<Vec<MySession>>,
    pub confirming: Option<Revoke>,
    pub revoking: Option<Revoke>,
    pub notice: Option<PageNotice>,
    pub focus: Option<FocusRequest<SessionsFocus>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionsAction {
    FetchStarted(u64),
    Fetched(u64, Result<Vec<MySession>, ApiError>),
    /// "Sign out" (one session) or "Sign out all other sessions" clicked.
    AskConfirm(Revoke),
    /// "Cancel" clicked, or Escape pressed in the confirmation.
    CancelConfirm,
    /// The confirmation's "Sign out" clicked.
    RevokeStarted(Revoke),
    Revoked {
        target: Revoke,
        result: Result<u64, ApiError>,
    },
    DismissNotice,
}

impl SessionsModel {
    pub fn reduce(&self, action: SessionsAction) -> SessionsModel {
        let mut next = self.clone();
        match action {
            SessionsAction::FetchStarted(n) => next.list.start(n),
            SessionsAction::Fetched(n, result) => {
                if next.list.finish(n, result.map(sorted)) {
                    if let Some(Revoke::Session(id)) = next.confirming {
                        if !next.others().iter().any(|s| s.id == id) {
                            next.confirming = None;
                        }
                    }
                    if next.confirming == Some(Revoke::Others) && next.others().is_empty() {
                        next.confirming = None;
                    }
                }
            }
            SessionsAction::AskConfirm(target) => {
                if self.revoking.is_none() {
                    next.confirming = Some(target);
                }
            }
            SessionsAction::CancelConfirm => {
                if let Some(target) = self.confirming {
                    next.confirming = None;
                    next.focus = FocusRequest::after(&self.focus, SessionsFocus::Button(target));
                }
            }
            SessionsAction::RevokeStarted(target) => {
                if self.revoking.is_none() {
                    next.confirming = None;
                    next.revoking = Some(target);
                    next.notice = None;
                }
            }
            SessionsAction::Revoked { target, result } => {
                if self.revoking == Some(target) {
                    next.revoking = None;
                }
                next.notice = match result {
                    Ok(revoked) => Some(PageNotice::success(
                        signed_out_message(target, revoked),
                        "revoked",
                    )),
                    // Not ours (any more): it ended elsewhere in the meantime.
                    Err(ApiError::Server {
                        error: Some(ref detail),
                        ..
                    }) if detail.code == ErrorCode::NotFound => Some(PageNotice::success(
                        signed_out_message(target, 0),
                        "not_found",
                    )),
                    Err(ApiError::Unauthenticated) => None,
                    Err(error) => Some(PageNotice::failure(
                        match target {
                            Revoke::Session(_) => "Couldn't sign out that session.",
                            Revoke::Others => "Couldn't sign out your other sessions.",
                        },
                        &error,
                    )),
                };
                next.focus = FocusRequest::after(&self.focus, SessionsFocus::ListHeading);
            }
            SessionsAction::DismissNotice => {
                if self.notice.is_some() {
                    next.notice = None;
                    next.focus = FocusRequest::after(&self.focus, SessionsFocus::ListHeading);
                }
            }
        }
        next
    }

    /// The session of this device, once loaded.
    pub fn current(&self) -> Option<&MySession> {
        self.list.loaded()?.iter().find(|s| s.current)
    }

    /// The other sessions, once loaded (empty before).
    pub fn others(&self) -> Vec<&MySession> {
        self.list
            .loaded()
            .map(|all| all.iter().filter(|s| !s.current).collect())
            .unwrap_or_default()
    }

    pub fn is_confirming(&self, target: Revoke) -> bool {
        self.confirming == Some(target)
    }

    pub fn is_revoking(&self, target: Revoke) -> bool {
        self.revoking == Some(target)
    }
}

#[cfg(test)]
mod tests {
    use shared::{ErrorDetail, OffsetDateTime};
    use time::macros::datetime;

    use super::*;
    use crate::listing::PageNoticeKind;

    fn session(n: u128, current: bool, seen: OffsetDateTime) -> MySession {
        MySession {
            id: Uuid::from_u128(n),
            created_at: datetime!(2026-01-01 00:00 UTC),
            last_seen_at: seen,
            device: "Chrome on Linux".into(),
            network: Some("127.0.0.0/24".into()),
            current,
        }
    }

    fn loaded() -> SessionsModel {
        SessionsModel::default()
            .reduce(SessionsAction::FetchStarted(1))
            .reduce(SessionsAction::Fetched(
                1,
                Ok(vec![
                    session(1, false, datetime!(2026-01-02 00:00 UTC)),
                    session(2, true, datetime!(2026-01-01 00:00 UTC)),
                    session(3, false, datetime!(2026-01-03 00:00 UTC)),
                ]),
            ))
    }

    fn one(n: u128) -> Revoke {
        Revoke::Session(Uuid::from_u128(n))
    }

    #[test]
    fn this_device_comes_first_then_the_most_recently_used() {
        let model = loaded();
        let ids: Vec<u128> = model
            .list
            .loaded()
            .unwrap()
            .iter()
            .map(|s| s.id.as_u128())
            .collect();
        assert_eq!(ids, [2, 3, 1]);
        assert_eq!(model.current().map(|s| s.id.as_u128()), Some(2));
        assert_eq!(model.others().len(), 2);
        assert!(SessionsModel::default().others().is_empty());
    }

    #[test]
    fn signing_out_asks_first_and_cancelling_returns_to_the_button() {
        let asking = loaded().reduce(SessionsAction::AskConfirm(one(3)));
        assert!(asking.is_confirming(one(3)));
        let cancelled = asking.reduce(SessionsAction::CancelConfirm);
        assert_eq!(cancelled.confirming, None);
        assert_eq!(
            cancelled.focus.map(|f| f.target),
            Some(SessionsFocus::Button(one(3)))
        );
        let all = loaded()
            .reduce(SessionsAction::AskConfirm(Revoke::Others))
            .reduce(SessionsAction::CancelConfirm);
        assert_eq!(
            all.focus.map(|f| f.target),
            Some(SessionsFocus::Button(Revoke::Others))
        );
    }

    #[test]
    fn one_sign_out_at_a_time() {
        let revoking = loaded().reduce(SessionsAction::RevokeStarted(one(3)));
        assert!(revoking.is_revoking(one(3)));
        assert_eq!(
            revoking.reduce(SessionsAction::AskConfirm(Revoke::Others)),
            revoking
        );
        assert_eq!(
            revoking.reduce(SessionsAction::RevokeStarted(one(1))),
            revoking
        );
    }

    #[test]
    fn the_result_is_said_and_the_focus_goes_to_the_list_heading() {
        let done = loaded()
            .reduce(SessionsAction::RevokeStarted(Revoke::Others))
            .reduce(SessionsAction::Revoked {
                target: Revoke::Others,
                result: Ok(2),
            });
        assert_eq!(done.revoking, None);
        let notice = done.notice.clone().unwrap();
        assert_eq!(notice.kind, PageNoticeKind::Success);
        assert_eq!(notice.message, "Signed out 2 other sessions.");
        assert_eq!(
            done.focus.as_ref().map(|f| f.target),
            Some(SessionsFocus::ListHeading)
        );
        let closed = done.reduce(SessionsAction::DismissNotice);
        assert_eq!(closed.notice, None);
        assert_eq!(closed.focus.map(|f| f.seq), Some(2));
    }

    #[test]
    fn sentences_count_correctly() {
        assert_eq!(signed_out_message(one(1), 1), "That session is signed out.");
        assert_eq!(
            signed_out_message(one(1), 0),
            "That session had already ended."
        );
        assert_eq!(
            signed_out_message(Revoke::Others, 0),
            "There were no other sessions to sign out."
        );
        assert_eq!(
            signed_out_message(Revoke::Others, 1),
            "Signed out 1 other session."
        );
    }

    #[test]
    fn a_session_that_is_already_gone_is_not_an_error() {
        let gone = loaded()
            .reduce(SessionsAction::RevokeStarted(one(3)))
            .reduce(SessionsAction::Revoked {
                target: one(3),
                result: Err(ApiError::Server {
                    status: 404,
                    error: Some(ErrorDetail {
                        code: ErrorCode::NotFound,
                        message: "no such session".into(),
                    }),
                }),
            });
        let notice = gone.notice.unwrap();
        assert_eq!(notice.kind, PageNoticeKind::Success);
        assert_eq!(notice.code, "not_found");
    }

    #[test]
    fn failures_use_our_words() {
        let failed = loaded()
            .reduce(SessionsAction::RevokeStarted(Revoke::Others))
            .reduce(SessionsAction::Revoked {
                target: Revoke::Others,
                result: Err(ApiError::Network("reset".into())),
            });
        let notice = failed.notice.unwrap();
        assert_eq!(notice.kind, PageNoticeKind::Error);
        assert!(notice
            .message
            .starts_with("Couldn't sign out your other sessions."));
        assert_eq!(notice.code, "network");
        let ended = loaded().reduce(SessionsAction::Revoked {
            target: one(3),
            result: Err(ApiError::Unauthenticated),
        });
        assert_eq!(ended.notice, None, "the auth state says it");
    }

    #[test]
    fn a_refresh_drops_a_confirmation_that_no_longer_applies() {
        let asking = loaded()
            .reduce(SessionsAction::AskConfirm(one(3)))
            .reduce(SessionsAction::FetchStarted(2));
        let gone = asking.reduce(SessionsAction::Fetched(
            2,
            Ok(vec![session(2, true, datetime!(2026-01-01 00:00 UTC))]),
        ));
        assert_eq!(gone.confirming, None);
        let all = loaded()
            .reduce(SessionsAction::AskConfirm(Revoke::Others))
            .reduce(SessionsAction::FetchStarted(2))
            .reduce(SessionsAction::Fetched(
                2,
                Ok(vec![session(2, true, datetime!(2026-01-01 00:00 UTC))]),
            ));
        assert_eq!(all.confirming, None, "nothing left to sign out");
    }
}

//! The SPA's one auth state machine. Pure Rust: no browser, no Yew; the provider component
//! (`components::auth_provider`) runs it with `use_reducer`.
//!
//! ```text
//!            Loaded(user)                      Unauthenticated (any 401)
//! Loading ─────────────────> Authenticated ───────────────────────────> Anonymous(SessionEnded)
//!    │  Unauthenticated                         │ SignedOut               + "session ended" notice
//!    ├────────────────> Anonymous(NotSignedIn)  └──────────> Anonymous(SignedOut)
//!    │  LoadFailed(e)
//!    └────────────────> Unavailable(e) ──Recheck──> Loading
//! ```

use shared::{error_code, User};

use super::messages;
use crate::services::error::ApiError;

/// Who the SPA believes is using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// `/api/auth/me` has not answered yet.
    Loading,
    /// No session.
    Anonymous(AnonymousReason),
    /// A live session for this user.
    Authenticated(User),
    /// The session check failed (network, 5xx, unexpected body): we do not know. Not treated as
    /// anonymous, so a protected page does not bounce the user into a login loop.
    Unavailable(ApiError),
}

/// How the SPA came to be anonymous: it decides whether the guard may navigate away on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnonymousReason {
    /// The first session check found no session: an ordinary visitor.
    NotSignedIn,
    /// A call answered 401 while the user was signed in in this page.
    SessionEnded,
    /// The user logged out in this page.
    SignedOut,
}

/// How loud a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Warning,
    Error,
}

/// A visible, dismissible message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub message: String,
    /// The stable code behind it (known codes only; `"unknown"` otherwise), for tests and support.
    pub code: String,
    /// The notice is about a failed session check and offers "Try again".
    pub retry: bool,
}

impl Notice {
    pub fn new(kind: NoticeKind, message: impl Into<String>, code: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: code.into(),
            retry: false,
        }
    }

    /// The message for `/?login_error=<code>`.
    pub fn login_failed(code: &str) -> Self {
        let shown = if messages::is_known_code(code) {
            code
        } else {
            "unknown"
        };
        Self::new(
            NoticeKind::Error,
            messages::login_error_message(code),
            shown,
        )
    }

    /// The message when a call answers 401 in the middle of a session.
    pub fn session_ended() -> Self {
        Self::new(
            NoticeKind::Warning,
            messages::SESSION_ENDED,
            error_code::UNAUTHENTICATED,
        )
    }

    /// The message when the session check itself failed.
    pub fn session_check_failed(error: &ApiError) -> Self {
        let message = match error {
            ApiError::Network(_) => messages::SESSION_CHECK_UNREACHABLE,
            _ => messages::SESSION_CHECK_FAILED,
        };
        Self {
            retry: true,
            ..Self::new(NoticeKind::Error, message, error.code())
        }
    }
}

/// What can happen to the auth state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthAction {
    /// `/api/auth/me` answered with a user.
    Loaded(User),
    /// Some `/api` call answered 401. Whether that means "never signed in" or "your session
    /// ended" follows from the state it arrives in.
    Unauthenticated,
    /// The session check failed for a reason other than 401.
    LoadFailed(ApiError),
    /// `POST /api/auth/logout` succeeded; the browser is about to leave for the provider.
    SignedOut,
    /// The user asked to check the session again after a failure.
    Recheck,
    /// The backend came back from a failed login with `?login_error=<code>`.
    LoginFailed(String),
    /// Show a message.
    Notify(Notice),
    /// The user closed the message.
    DismissNotice,
}

/// The auth state plus the message currently shown: what the provider shares with the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthModel {
    pub state: AuthState,
    pub notice: Option<Notice>,
}

impl Default for AuthModel {
    fn default() -> Self {
        Self::starting(None)
    }
}

impl AuthModel {
    /// The model at start-up: loading, with the failed-login message if the URL carried one.
    pub fn starting(login_error: Option<&str>) -> Self {
        Self {
            state: AuthState::Loading,
            notice: login_error.map(Notice::login_failed),
        }
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        match &self.state {
            AuthState::Authenticated(user) => Some(user),
            _ => None,
        }
    }

    /// The transition function of the state machine.
    pub fn reduce(&self, action: AuthAction) -> AuthModel {
        let mut next = self.clone();
        match action {
            AuthAction::Loaded(user) => {
                next.state = AuthState::Authenticated(user);
                next.clear_retry_notice();
            }
            AuthAction::Unauthenticated => match &self.state {
                AuthState::Authenticated(_) => {
                    next.state = AuthState::Anonymous(AnonymousReason::SessionEnded);
                    next.notice = Some(Notice::session_ended());
                }
                AuthState::Loading | AuthState::Unavailable(_) => {
                    next.state = AuthState::Anonymous(AnonymousReason::NotSignedIn);
                    next.clear_retry_notice();
                }
                AuthState::Anonymous(_) => {}
            },
            AuthAction::LoadFailed(error) => match &self.state {
                AuthState::Loading | AuthState::Unavailable(_) => {
                    next.notice = Some(Notice::session_check_failed(&error));
                    next.state = AuthState::Unavailable(error);
                }
                // A background re-check hiccup does not sign anybody out or in.
                AuthState::Authenticated(_) | AuthState::Anonymous(_) => {}
            },
            AuthAction::SignedOut => {
                next.state = AuthState::Anonymous(AnonymousReason::SignedOut);
                next.notice = Some(Notice::new(
                    NoticeKind::Info,
                    messages::SIGNED_OUT,
                    "signed_out",
                ));
            }
            AuthAction::Recheck => {
                if let AuthState::Unavailable(_) = self.state {
                    next.state = AuthState::Loading;
                    next.clear_retry_notice();
                }
            }
            AuthAction::LoginFailed(code) => next.notice = Some(Notice::login_failed(&code)),
            AuthAction::Notify(notice) => next.notice = Some(notice),
            AuthAction::DismissNotice => next.notice = None,
        }
        next
    }

    fn clear_retry_notice(&mut self) {
        if self.notice.as_ref().is_some_and(|n| n.retry) {
            self.notice = None;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use shared::ErrorDetail;

    pub(crate) fn user() -> User {
        User {
            sub: "auth0|42".into(),
            issuer: "https://idp.example/".into(),
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
            email_verified: Some(true),
            picture: Some("https://idp.example/ada.png".into()),
            roles: vec!["admin".into()],
            permissions: vec!["read:reports".into()],
        }
    }

    fn store_down() -> ApiError {
        ApiError::Server {
            status: 503,
            error: ErrorDetail {
                code: "store_unavailable".into(),
                message: "db".into(),
            },
        }
    }

    fn run(start: AuthModel, actions: impl IntoIterator<Item = AuthAction>) -> AuthModel {
        actions.into_iter().fold(start, |m, a| m.reduce(a))
    }

    #[test]
    fn starts_loading_without_a_notice() {
        let m = AuthModel::default();
        assert_eq!(m.state, AuthState::Loading);
        assert_eq!(m.notice, None);
        assert_eq!(m.user(), None);
    }

    #[test]
    fn me_with_a_user_signs_in() {
        let m = AuthModel::default().reduce(AuthAction::Loaded(user()));
        assert_eq!(m.state, AuthState::Authenticated(user()));
        assert_eq!(m.user().map(|u| u.display_name()), Some("Ada Lovelace"));
        assert_eq!(m.notice, None);
    }

    #[test]
    fn first_401_is_an_ordinary_visitor_without_a_message() {
        let m = AuthModel::default().reduce(AuthAction::Unauthenticated);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::NotSignedIn));
        assert_eq!(m.notice, None);
    }

    #[test]
    fn a_401_while_signed_in_ends_the_session_with_a_visible_message() {
        let m = run(
            AuthModel::default(),
            [AuthAction::Loaded(user()), AuthAction::Unauthenticated],
        );
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SessionEnded));
        let notice = m.notice.expect("a visible message");
        assert_eq!(notice.kind, NoticeKind::Warning);
        assert_eq!(
            notice.message,
            "Your session has ended. Please log in again."
        );
        assert_eq!(notice.code, "unauthenticated");
    }

    #[test]
    fn repeated_401s_are_idempotent() {
        let once = run(
            AuthModel::default(),
            [AuthAction::Loaded(user()), AuthAction::Unauthenticated],
        );
        assert_eq!(once.reduce(AuthAction::Unauthenticated), once);
        let visitor = AuthModel::default().reduce(AuthAction::Unauthenticated);
        assert_eq!(visitor.reduce(AuthAction::Unauthenticated), visitor);
    }

    #[test]
    fn login_error_is_shown_from_the_start_and_survives_the_first_check() {
        let m = AuthModel::starting(Some("login_denied"));
        assert_eq!(m.state, AuthState::Loading);
        let notice = m.notice.clone().unwrap();
        assert_eq!(notice.kind, NoticeKind::Error);
        assert_eq!(notice.code, "login_denied");
        assert!(notice.message.contains("cancelled or denied"));
        let m = m.reduce(AuthAction::Unauthenticated);
        assert_eq!(m.notice, Some(notice));
    }

    #[test]
    fn unknown_login_error_codes_are_not_echoed() {
        let notice = AuthModel::starting(Some("<img src=x onerror=alert(1)>"))
            .notice
            .unwrap();
        assert_eq!(notice.code, "unknown");
        assert_eq!(notice.message, "We couldn't sign you in. Please try again.");
        let later = AuthModel::default().reduce(AuthAction::LoginFailed("weird".into()));
        assert_eq!(later.notice.unwrap().code, "unknown");
    }

    #[test]
    fn failed_check_is_unavailable_not_anonymous_and_offers_retry() {
        let m = AuthModel::default().reduce(AuthAction::LoadFailed(store_down()));
        assert_eq!(m.state, AuthState::Unavailable(store_down()));
        let notice = m.notice.clone().unwrap();
        assert!(notice.retry);
        assert_eq!(notice.code, "store_unavailable");
        assert_eq!(
            notice.message,
            "We couldn't check whether you're signed in. The service may be temporarily unavailable."
        );

        let retrying = m.reduce(AuthAction::Recheck);
        assert_eq!(retrying.state, AuthState::Loading);
        assert_eq!(retrying.notice, None);

        let recovered = m.reduce(AuthAction::Loaded(user()));
        assert_eq!(recovered.state, AuthState::Authenticated(user()));
        assert_eq!(recovered.notice, None, "the stale failure goes away");
    }

    #[test]
    fn unreachable_server_says_so() {
        let m = AuthModel::default().reduce(AuthAction::LoadFailed(ApiError::Network("x".into())));
        let notice = m.notice.unwrap();
        assert!(notice.message.contains("couldn't reach the server"));
        assert_eq!(notice.code, "network");
    }

    #[test]
    fn failed_check_then_401_is_a_visitor() {
        let m = run(
            AuthModel::default(),
            [
                AuthAction::LoadFailed(ApiError::Network("offline".into())),
                AuthAction::Recheck,
                AuthAction::Unauthenticated,
            ],
        );
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::NotSignedIn));
        assert_eq!(m.notice, None);
    }

    #[test]
    fn a_failed_background_recheck_keeps_the_user_signed_in() {
        let signed_in = AuthModel::default().reduce(AuthAction::Loaded(user()));
        assert_eq!(
            signed_in.reduce(AuthAction::LoadFailed(store_down())),
            signed_in
        );
        let visitor = AuthModel::default().reduce(AuthAction::Unauthenticated);
        assert_eq!(
            visitor.reduce(AuthAction::LoadFailed(store_down())),
            visitor
        );
    }

    #[test]
    fn recheck_only_applies_after_a_failure() {
        let signed_in = AuthModel::default().reduce(AuthAction::Loaded(user()));
        assert_eq!(signed_in.reduce(AuthAction::Recheck), signed_in);
    }

    #[test]
    fn a_visitor_who_signs_in_elsewhere_is_picked_up_by_a_recheck() {
        let m = run(
            AuthModel::default(),
            [AuthAction::Unauthenticated, AuthAction::Loaded(user())],
        );
        assert_eq!(m.state, AuthState::Authenticated(user()));
    }

    #[test]
    fn sign_out_is_anonymous_with_an_info_message() {
        let m = run(
            AuthModel::default(),
            [AuthAction::Loaded(user()), AuthAction::SignedOut],
        );
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SignedOut));
        assert_eq!(m.notice.unwrap().kind, NoticeKind::Info);
    }

    #[test]
    fn notices_can_be_replaced_and_dismissed() {
        let m = AuthModel::starting(Some("bad_callback"));
        let custom = Notice::new(NoticeKind::Error, messages::LOGOUT_FAILED, "internal");
        let m = m.reduce(AuthAction::Notify(custom.clone()));
        assert_eq!(m.notice, Some(custom));
        let m = m.reduce(AuthAction::DismissNotice);
        assert_eq!(m.notice, None);
        assert_eq!(
            m.state,
            AuthState::Loading,
            "dismissing changes nothing else"
        );
    }

    #[test]
    fn a_login_error_notice_is_not_cleared_by_signing_in() {
        let m = run(
            AuthModel::starting(Some("login_transaction_invalid")),
            [AuthAction::Loaded(user())],
        );
        assert_eq!(m.notice.unwrap().code, "login_transaction_invalid");
    }
}

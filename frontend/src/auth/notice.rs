//! The banner's words for what the auth state machine (`ferris-login-yew`) noticed: a login
//! that failed, a session that ended or expired, a sign-out, a check or a logout that failed.
//! Pure: tested natively.

use ferris_login_yew::{ApiError, AuthNotice, ErrorCode};

use super::advice::{self, ErrorAdvice, NextStep};

/// How loud a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Nothing went wrong (signed out).
    Info,
    /// Worth attention (the session ended, a cancelled sign-in).
    Warning,
    /// Something failed.
    Error,
}

/// What a notice is about: decides which notices a later event replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeTopic {
    /// `/?login_error=`.
    Login,
    /// The session check failed.
    SessionCheck,
    /// Signed out, ended, expired (the guard's card may already say it).
    SessionState,
    /// Anything else (a failed logout).
    Other,
}

/// The button a notice carries: its next step, bound to what failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeAction {
    /// "Log in again": a new sign-in that returns to this page.
    LogIn,
    /// "Try again" after a failed sign-in: starts the sign-in again.
    RetryLogin,
    /// "Try again" after a failed session check.
    RetrySessionCheck,
    /// "Try again" after a failed logout.
    RetryLogout,
    /// "Contact the administrator": shows the reference to give them.
    ContactAdministrator,
}

impl NoticeAction {
    /// The step for a failed sign-in (`?login_error=`).
    fn after_login(step: NextStep) -> Self {
        match step {
            NextStep::LogInAgain => NoticeAction::LogIn,
            NextStep::TryAgain => NoticeAction::RetryLogin,
            NextStep::ContactAdministrator => NoticeAction::ContactAdministrator,
        }
    }

    /// The next step this button stands for (its label).
    pub fn next_step(self) -> NextStep {
        match self {
            NoticeAction::LogIn => NextStep::LogInAgain,
            NoticeAction::RetryLogin
            | NoticeAction::RetrySessionCheck
            | NoticeAction::RetryLogout => NextStep::TryAgain,
            NoticeAction::ContactAdministrator => NextStep::ContactAdministrator,
        }
    }

    /// The button's label.
    pub fn label(self) -> &'static str {
        self.next_step().label()
    }
}

/// A visible, dismissible message with its next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub message: String,
    /// The stable code behind it (an API code, `network`, `signed_out`, ...), for tests and
    /// for the reference given to an administrator.
    pub code: String,
    pub topic: NoticeTopic,
    pub action: Option<NoticeAction>,
}

impl Notice {
    /// The words for what the library noticed.
    pub fn from_auth(notice: &AuthNotice) -> Self {
        match notice {
            AuthNotice::LoginFailed { code, .. } => Self::login_failed(*code),
            AuthNotice::SessionEnded => Self::session_ended(),
            AuthNotice::SessionExpired => Self::session_expired(),
            AuthNotice::SignedOut => Self::signed_out(),
            AuthNotice::SessionCheckFailed(error) => Self::session_check_failed(error),
            AuthNotice::LogoutFailed(error) => Self::logout_failed(error),
        }
    }

    /// The message for `/?login_error=<code>` (any code, unknown ones included).
    pub fn login_failed(code: ErrorCode) -> Self {
        let advice = advice::advice(code);
        let kind = if code == ErrorCode::AccessDenied {
            NoticeKind::Warning
        } else {
            NoticeKind::Error
        };
        Self {
            kind,
            message: advice.message.to_string(),
            code: code.as_str().to_string(),
            topic: NoticeTopic::Login,
            action: Some(NoticeAction::after_login(advice.next_step)),
        }
    }

    /// A call answered 401 in the middle of a session.
    pub fn session_ended() -> Self {
        Self::session_state(
            NoticeKind::Warning,
            advice::SESSION_ENDED,
            ErrorCode::Unauthenticated.as_str(),
        )
    }

    /// The session ran out.
    pub fn session_expired() -> Self {
        Self::session_state(
            NoticeKind::Warning,
            advice::SESSION_EXPIRED,
            "session_expired",
        )
    }

    /// The person signed out.
    pub fn signed_out() -> Self {
        Self::session_state(NoticeKind::Info, advice::SIGNED_OUT, "signed_out")
    }

    fn session_state(kind: NoticeKind, message: &str, code: &str) -> Self {
        Self {
            kind,
            message: message.to_string(),
            code: code.to_string(),
            topic: NoticeTopic::SessionState,
            action: Some(NoticeAction::LogIn),
        }
    }

    /// The session check itself failed.
    pub fn session_check_failed(error: &ApiError) -> Self {
        let message = match error {
            ApiError::Network(_) => advice::SESSION_CHECK_UNREACHABLE,
            _ => advice::SESSION_CHECK_FAILED,
        };
        Self {
            kind: NoticeKind::Error,
            message: message.to_string(),
            code: error.reference().to_string(),
            topic: NoticeTopic::SessionCheck,
            action: Some(NoticeAction::RetrySessionCheck),
        }
    }

    /// `POST /api/auth/logout` failed (not with a 401: that is an ended session).
    pub fn logout_failed(error: &ApiError) -> Self {
        let advice = error.advice();
        Self {
            kind: NoticeKind::Error,
            message: format!("{} {}", advice::LOGOUT_FAILED, advice.message),
            code: error.reference().to_string(),
            topic: NoticeTopic::Other,
            action: Some(match advice.next_step {
                NextStep::ContactAdministrator => NoticeAction::ContactAdministrator,
                NextStep::LogInAgain => NoticeAction::LogIn,
                NextStep::TryAgain => NoticeAction::RetryLogout,
            }),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use shared::{ErrorDetail, User};

    use super::*;

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
            extra: Default::default(),
        }
    }

    fn store_down() -> ApiError {
        ApiError::Server {
            status: 503,
            error: Some(ErrorDetail {
                code: ErrorCode::StoreUnavailable,
                message: "db".into(),
            }),
        }
    }

    fn login_error(code: ErrorCode) -> Notice {
        Notice::from_auth(&AuthNotice::LoginFailed { code, reason: None })
    }

    #[test]
    fn an_ended_session_is_a_warning_with_a_new_sign_in() {
        let notice = Notice::from_auth(&AuthNotice::SessionEnded);
        assert_eq!(notice.kind, NoticeKind::Warning);
        assert_eq!(notice.message, "Your session has ended.");
        assert_eq!(notice.code, "unauthenticated");
        assert_eq!(notice.topic, NoticeTopic::SessionState);
        assert_eq!(notice.action, Some(NoticeAction::LogIn));
    }

    #[test]
    fn signing_out_is_information() {
        let notice = Notice::from_auth(&AuthNotice::SignedOut);
        assert_eq!(notice.message, "You have signed out.");
        assert_eq!(notice.kind, NoticeKind::Info);
        assert_eq!(notice.code, "signed_out");
    }

    #[test]
    fn expiry_says_so_and_offers_a_new_sign_in() {
        let notice = Notice::from_auth(&AuthNotice::SessionExpired);
        assert_eq!(notice.code, "session_expired");
        assert_eq!(notice.action, Some(NoticeAction::LogIn));
        assert_eq!(notice.topic, NoticeTopic::SessionState);
    }

    #[test]
    fn a_cancelled_login_is_a_warning_with_a_new_sign_in() {
        let notice = login_error(ErrorCode::AccessDenied);
        assert_eq!(notice.kind, NoticeKind::Warning);
        assert_eq!(notice.code, "access_denied");
        assert!(notice.message.contains("cancelled"));
        assert_eq!(notice.action, Some(NoticeAction::LogIn));
        assert_eq!(notice.action.unwrap().label(), "Log in again");
        assert_eq!(notice.topic, NoticeTopic::Login);
    }

    #[test]
    fn every_login_error_carries_its_next_step() {
        let retry = login_error(ErrorCode::ProviderUnavailable);
        assert_eq!(retry.action, Some(NoticeAction::RetryLogin));
        assert_eq!(retry.kind, NoticeKind::Error);
        let admin = login_error(ErrorCode::ProviderMisconfigured);
        assert_eq!(admin.action, Some(NoticeAction::ContactAdministrator));
        for code in ErrorCode::ALL {
            let notice = login_error(code);
            assert_eq!(
                notice.action.map(NoticeAction::next_step),
                Some(advice::advice(code).next_step),
                "{code}"
            );
        }
    }

    #[test]
    fn a_login_the_app_refused_says_so_whatever_the_reason() {
        let notice = Notice::from_auth(&AuthNotice::LoginFailed {
            code: ErrorCode::LoginRefused,
            reason: Some("<b>not-in-beta</b>".into()),
        });
        assert_eq!(notice.code, "login_refused");
        assert_eq!(
            notice.message,
            "This app did not accept the sign-in for your account."
        );
        assert_eq!(notice.action, Some(NoticeAction::ContactAdministrator));
    }

    #[test]
    fn unknown_login_error_codes_are_not_echoed() {
        let notice = login_error(ErrorCode::parse("<img src=x onerror=alert(1)>"));
        assert_eq!(notice.code, "unknown");
        assert_eq!(notice.message, "Something went wrong.");
    }

    #[test]
    fn a_failed_check_offers_a_retry() {
        let notice = Notice::from_auth(&AuthNotice::SessionCheckFailed(store_down()));
        assert_eq!(notice.action, Some(NoticeAction::RetrySessionCheck));
        assert_eq!(notice.code, "store_unavailable");
        assert_eq!(notice.message, advice::SESSION_CHECK_FAILED);
        assert_eq!(notice.topic, NoticeTopic::SessionCheck);
    }

    #[test]
    fn unreachable_server_says_so() {
        let notice = Notice::from_auth(&AuthNotice::SessionCheckFailed(ApiError::Network(
            "x".into(),
        )));
        assert!(notice.message.contains("could not reach the server"));
        assert_eq!(notice.code, "network");
    }

    #[test]
    fn a_failed_logout_offers_to_try_it_again() {
        let notice = Notice::from_auth(&AuthNotice::LogoutFailed(store_down()));
        assert_eq!(notice.action, Some(NoticeAction::RetryLogout));
        assert!(notice.message.starts_with("We could not sign you out."));
        assert!(!notice.message.contains("db"), "no server text");
    }
}

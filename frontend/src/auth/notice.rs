//! The SPA's one auth state machine. Pure Rust: no browser, no Yew; the provider component
//! (`components::auth_provider`) runs it with `use_reducer`.
//!
//! ```text
//!            Loaded(user)                      Unauthenticated (any 401)
//! Loading ─────────────────> Authenticated ───────────────────────────> Anonymous(SessionEnded)
//!    │  Unauthenticated           │  │ SignedOut / SignedOutElsewhere       │ SignedOutElsewhere
//!    ├──────> Anonymous(NotSignedIn) │ └──────────> Anonymous(SignedOut) <───┤ Expired
//!    │        (SignedOut after a     └─ Expired ──> Anonymous(Expired) <─────┘
//!    │         logout round trip)
//!    │  LoadFailed(e)
//!    └────────────────> Unavailable(e) ──Recheck──> Loading
//! ```

use shared::{ErrorCode, User};

use super::advice::{self, NextStep};
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

/// How the SPA came to be anonymous: it decides whether the guard may navigate away on its own,
/// and what the page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnonymousReason {
    /// The first session check found no session: an ordinary visitor.
    NotSignedIn,
    /// A call answered 401 while the user was signed in in this page.
    SessionEnded,
    /// The person logged out (in this tab, in another one, or came back from the logout round
    /// trip).
    SignedOut,
    /// The session ran out while this page was open.
    Expired,
}

/// How loud a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Warning,
    Error,
}

/// What a notice is about: decides which notices a later event replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeTopic {
    /// `/?login_error=`: stays until closed, even if a session turns up.
    Login,
    /// The session check failed.
    SessionCheck,
    /// Signed out, ended, expired: obsolete once signed in again.
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

/// What the page was opened with (read once from the address bar and the tab's storage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartUp {
    /// `?login_error=<code>`.
    pub login_error: Option<ErrorCode>,
    /// `?signed_out=1`: back from the logout round trip.
    pub signed_out: bool,
    /// This tab started a sign-in before it left for the provider (tell other tabs once the
    /// session shows up).
    pub login_started: bool,
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
    /// `POST /api/auth/logout` succeeded in this tab.
    SignedOut,
    /// Another tab signed out, and `/api/auth/me` confirmed it.
    SignedOutElsewhere,
    /// The session ran out (the expiry watcher, or another tab, saw the 401 at the deadline).
    Expired,
    /// The user asked to check the session again after a failure.
    Recheck,
    /// The backend came back from a failed login with `?login_error=<code>`.
    LoginFailed(ErrorCode),
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
    /// Back from the logout round trip: the first 401 means "signed out", not "visitor".
    signed_out_pending: bool,
}

impl Default for AuthModel {
    fn default() -> Self {
        Self::starting(&StartUp::default())
    }
}

impl AuthModel {
    /// The model at start-up: loading, with the failed-login message if the URL carried one.
    pub fn starting(start: &StartUp) -> Self {
        Self {
            state: AuthState::Loading,
            notice: start.login_error.map(Notice::login_failed),
            signed_out_pending: start.signed_out,
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
                next.signed_out_pending = false;
                next.clear(&[NoticeTopic::SessionCheck, NoticeTopic::SessionState]);
            }
            AuthAction::Unauthenticated => match &self.state {
                AuthState::Authenticated(_) => {
                    next.state = AuthState::Anonymous(AnonymousReason::SessionEnded);
                    next.notice = Some(Notice::session_ended());
                }
                AuthState::Loading | AuthState::Unavailable(_) if self.signed_out_pending => {
                    next.state = AuthState::Anonymous(AnonymousReason::SignedOut);
                    next.signed_out_pending = false;
                    next.notice = Some(Notice::signed_out());
                }
                AuthState::Loading | AuthState::Unavailable(_) => {
                    next.state = AuthState::Anonymous(AnonymousReason::NotSignedIn);
                    next.clear(&[NoticeTopic::SessionCheck]);
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
                next.notice = Some(Notice::signed_out());
            }
            AuthAction::SignedOutElsewhere => {
                if self.was_signed_in() {
                    next.state = AuthState::Anonymous(AnonymousReason::SignedOut);
                    next.notice = Some(Notice::signed_out());
                }
            }
            AuthAction::Expired => {
                if self.was_signed_in() {
                    next.state = AuthState::Anonymous(AnonymousReason::Expired);
                    next.notice = Some(Notice::session_expired());
                }
            }
            AuthAction::Recheck => {
                if let AuthState::Unavailable(_) = self.state {
                    next.state = AuthState::Loading;
                    next.clear(&[NoticeTopic::SessionCheck]);
                }
            }
            AuthAction::LoginFailed(code) => next.notice = Some(Notice::login_failed(code)),
            AuthAction::Notify(notice) => next.notice = Some(notice),
            AuthAction::DismissNotice => next.notice = None,
        }
        next
    }

    /// Signed in, or just found signed out by a 401 (which a more precise reason may refine).
    fn was_signed_in(&self) -> bool {
        matches!(
            self.state,
            AuthState::Authenticated(_) | AuthState::Anonymous(AnonymousReason::SessionEnded)
        )
    }

    fn clear(&mut self, topics: &[NoticeTopic]) {
        if self
            .notice
            .as_ref()
            .is_some_and(|n| topics.contains(&n.topic))
        {
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

    fn run(start: AuthModel, actions: impl IntoIterator<Item = AuthAction>) -> AuthModel {
        actions.into_iter().fold(start, |m, a| m.reduce(a))
    }

    fn signed_in() -> AuthModel {
        AuthModel::default().reduce(AuthAction::Loaded(user()))
    }

    fn login_error(code: ErrorCode) -> AuthModel {
        AuthModel::starting(&StartUp {
            login_error: Some(code),
            ..StartUp::default()
        })
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
        let m = signed_in();
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
        let m = signed_in().reduce(AuthAction::Unauthenticated);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SessionEnded));
        let notice = m.notice.expect("a visible message");
        assert_eq!(notice.kind, NoticeKind::Warning);
        assert_eq!(notice.message, "Your session has ended.");
        assert_eq!(notice.code, "unauthenticated");
        assert_eq!(notice.action, Some(NoticeAction::LogIn));
    }

    #[test]
    fn repeated_401s_are_idempotent() {
        let once = signed_in().reduce(AuthAction::Unauthenticated);
        assert_eq!(once.reduce(AuthAction::Unauthenticated), once);
        let visitor = AuthModel::default().reduce(AuthAction::Unauthenticated);
        assert_eq!(visitor.reduce(AuthAction::Unauthenticated), visitor);
    }

    #[test]
    fn back_from_the_logout_round_trip_the_first_401_says_signed_out() {
        let start = AuthModel::starting(&StartUp {
            signed_out: true,
            ..StartUp::default()
        });
        assert_eq!(start.notice, None, "nothing is claimed before the check");
        let m = start.reduce(AuthAction::Unauthenticated);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SignedOut));
        let notice = m.notice.unwrap();
        assert_eq!(notice.message, "You have signed out.");
        assert_eq!(notice.kind, NoticeKind::Info);

        // Still (or again) signed in: the flag was stale, nothing is said.
        let still = AuthModel::starting(&StartUp {
            signed_out: true,
            ..StartUp::default()
        })
        .reduce(AuthAction::Loaded(user()));
        assert_eq!(still.notice, None);
        assert_eq!(
            still.reduce(AuthAction::Unauthenticated).state,
            AuthState::Anonymous(AnonymousReason::SessionEnded),
            "the flag is used once"
        );
    }

    #[test]
    fn login_error_is_shown_from_the_start_and_survives_the_first_check() {
        let m = login_error(ErrorCode::AccessDenied);
        assert_eq!(m.state, AuthState::Loading);
        let notice = m.notice.clone().unwrap();
        assert_eq!(notice.kind, NoticeKind::Warning);
        assert_eq!(notice.code, "access_denied");
        assert!(notice.message.contains("cancelled"));
        assert_eq!(notice.action, Some(NoticeAction::LogIn));
        assert_eq!(notice.action.unwrap().label(), "Log in again");
        let m = m.reduce(AuthAction::Unauthenticated);
        assert_eq!(m.notice, Some(notice));
    }

    #[test]
    fn every_login_error_carries_its_next_step() {
        let retry = login_error(ErrorCode::ProviderUnavailable).notice.unwrap();
        assert_eq!(retry.action, Some(NoticeAction::RetryLogin));
        assert_eq!(retry.kind, NoticeKind::Error);
        let admin = login_error(ErrorCode::ProviderMisconfigured)
            .notice
            .unwrap();
        assert_eq!(admin.action, Some(NoticeAction::ContactAdministrator));
        for code in ErrorCode::ALL {
            let notice = login_error(code).notice.unwrap();
            assert_eq!(
                notice.action.map(NoticeAction::next_step),
                Some(advice::advice(code).next_step),
                "{code}"
            );
        }
    }

    #[test]
    fn unknown_login_error_codes_are_not_echoed() {
        let notice = login_error(ErrorCode::parse("<img src=x onerror=alert(1)>"))
            .notice
            .unwrap();
        assert_eq!(notice.code, "unknown");
        assert_eq!(notice.message, "Something went wrong.");
        let later = AuthModel::default().reduce(AuthAction::LoginFailed(ErrorCode::Unknown));
        assert_eq!(later.notice.unwrap().code, "unknown");
    }

    #[test]
    fn failed_check_is_unavailable_not_anonymous_and_offers_retry() {
        let m = AuthModel::default().reduce(AuthAction::LoadFailed(store_down()));
        assert_eq!(m.state, AuthState::Unavailable(store_down()));
        let notice = m.notice.clone().unwrap();
        assert_eq!(notice.action, Some(NoticeAction::RetrySessionCheck));
        assert_eq!(notice.code, "store_unavailable");
        assert_eq!(notice.message, advice::SESSION_CHECK_FAILED);

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
        assert!(notice.message.contains("could not reach the server"));
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
        let signed_in = signed_in();
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
        let signed_in = signed_in();
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
    fn signing_in_again_clears_the_signed_out_message_but_not_a_login_error() {
        let m = run(
            signed_in(),
            [AuthAction::SignedOutElsewhere, AuthAction::Loaded(user())],
        );
        assert_eq!(m.notice, None);
        let m = run(
            login_error(ErrorCode::LoginTransactionInvalid),
            [AuthAction::Loaded(user())],
        );
        assert_eq!(m.notice.unwrap().code, "login_transaction_invalid");
    }

    #[test]
    fn sign_out_is_anonymous_with_an_info_message() {
        let m = signed_in().reduce(AuthAction::SignedOut);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SignedOut));
        let notice = m.notice.unwrap();
        assert_eq!(notice.kind, NoticeKind::Info);
        assert_eq!(notice.message, "You have signed out.");
    }

    #[test]
    fn a_logout_in_another_tab_reads_as_signed_out_not_as_an_ended_session() {
        // The re-check's 401 arrives first (through the request function), then the reason.
        let m = run(
            signed_in(),
            [AuthAction::Unauthenticated, AuthAction::SignedOutElsewhere],
        );
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SignedOut));
        assert_eq!(m.notice.unwrap().code, "signed_out");
        // A visitor's tab does not claim anybody signed out.
        let visitor = AuthModel::default().reduce(AuthAction::Unauthenticated);
        assert_eq!(visitor.reduce(AuthAction::SignedOutElsewhere), visitor);
    }

    #[test]
    fn expiry_says_so_and_offers_a_new_sign_in() {
        let m = run(
            signed_in(),
            [AuthAction::Unauthenticated, AuthAction::Expired],
        );
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::Expired));
        let notice = m.notice.unwrap();
        assert_eq!(notice.code, "session_expired");
        assert_eq!(notice.action, Some(NoticeAction::LogIn));
        let visitor = AuthModel::default().reduce(AuthAction::Unauthenticated);
        assert_eq!(visitor.reduce(AuthAction::Expired), visitor);
        let out = signed_in().reduce(AuthAction::SignedOut);
        assert_eq!(
            out.reduce(AuthAction::Expired),
            out,
            "signed out stays signed out"
        );
    }

    #[test]
    fn a_failed_logout_offers_to_try_it_again() {
        let notice = Notice::logout_failed(&store_down());
        assert_eq!(notice.action, Some(NoticeAction::RetryLogout));
        assert!(notice.message.starts_with("We could not sign you out."));
        assert!(!notice.message.contains("db"), "no server text");
    }

    #[test]
    fn notices_can_be_replaced_and_dismissed() {
        let m = login_error(ErrorCode::BadCallback);
        let custom = Notice::logout_failed(&ApiError::Network("x".into()));
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
}

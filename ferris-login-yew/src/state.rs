//! The one auth state machine. Pure Rust: no browser; the provider runs it with
//! `use_reducer`.
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

use std::rc::Rc;

use shared::{ErrorCode, User, LOGIN_ERROR_PARAM, LOGIN_ERROR_REASON_PARAM};
use yew::Reducible;

use crate::error::ApiError;
use crate::urls::{take_query_param, SIGNED_OUT_PARAM};

/// Who the app believes is using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// `GET {prefix}/auth/me` has not answered yet.
    Loading,
    /// No session, and why.
    Anonymous(AnonymousReason),
    /// A live session for this user.
    Authenticated(User),
    /// The session check failed (network, 5xx, unexpected body): nobody knows. Not treated as
    /// anonymous, so a protected page does not bounce the user into a login loop.
    Unavailable(ApiError),
}

/// How the app came to be anonymous: it decides whether `<RequireAuth>` may navigate away on
/// its own, and what the page can say.
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

/// Something about the session the app should tell the person, until they dismiss it
/// ([`AuthHandle::dismiss_notice`](crate::AuthHandle::dismiss_notice)). The words are the
/// app's; this only says what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthNotice {
    /// The page was opened after a failed sign-in (`?login_error=<code>`, with
    /// `&login_error_reason=<slug>` when the app's own check refused the sign-in). Stays until
    /// dismissed, even if a session turns up.
    LoginFailed {
        /// What failed (an unknown code reads as [`ErrorCode::Unknown`]).
        code: ErrorCode,
        /// The app's reason slug (`[a-z0-9_-]`, at most 64 characters), if one came. Map it
        /// to your own text; never render it as markup.
        reason: Option<String>,
    },
    /// A call answered 401 while the user was signed in.
    SessionEnded,
    /// The session ran out.
    SessionExpired,
    /// The person signed out (here, in another tab, or back from the logout round trip).
    SignedOut,
    /// The session check failed; [`AuthHandle::recheck`](crate::AuthHandle::recheck) tries
    /// again.
    SessionCheckFailed(ApiError),
    /// `POST {prefix}/auth/logout` failed (not with a 401: that is an ended session).
    LogoutFailed(ApiError),
}

/// What a notice is about: decides which notices a later event replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    Login,
    SessionCheck,
    SessionState,
    Other,
}

impl AuthNotice {
    fn topic(&self) -> Topic {
        match self {
            AuthNotice::LoginFailed { .. } => Topic::Login,
            AuthNotice::SessionCheckFailed(_) => Topic::SessionCheck,
            AuthNotice::SessionEnded | AuthNotice::SessionExpired | AuthNotice::SignedOut => {
                Topic::SessionState
            }
            AuthNotice::LogoutFailed(_) => Topic::Other,
        }
    }
}

/// What the page was opened with: read once from the address bar and the tab's storage by
/// [`StartUp::take`] (the provider does it itself unless given one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartUp {
    /// `?login_error=<code>`: the sign-in failed.
    pub login_error: Option<ErrorCode>,
    /// `&login_error_reason=<slug>` beside it; anything that is not a slug is dropped.
    pub login_error_reason: Option<String>,
    /// `?signed_out=1`: back from the logout round trip.
    pub signed_out: bool,
    /// This tab started a sign-in before it left for the provider (the other tabs are told
    /// once the session shows up).
    pub login_started: bool,
}

impl StartUp {
    /// Reads `?login_error=`, `?login_error_reason=` and `?signed_out=1`, removes them from the
    /// address bar (`history.replaceState`, so a reload or a shared link does not show the
    /// message again), and this tab's sign-in flag. Call once, before a router reads the URL.
    pub fn take() -> Self {
        crate::browser::take_start_up()
    }

    /// The start-up flags in a query string (`?a=1&login_error=...`), and what is left of it.
    pub(crate) fn from_query(search: &str) -> (Self, String) {
        let (code, rest) = take_query_param(search, LOGIN_ERROR_PARAM);
        let (reason, rest) = take_query_param(&rest, LOGIN_ERROR_REASON_PARAM);
        let (signed_out, rest) = take_query_param(&rest, SIGNED_OUT_PARAM);
        let login_error = code.as_deref().map(ErrorCode::parse);
        let start = StartUp {
            login_error,
            login_error_reason: reason.filter(|r| login_error.is_some() && is_slug(r)),
            signed_out: signed_out.is_some(),
            login_started: false,
        };
        (start, rest)
    }
}

/// `[a-z0-9_-]{1,64}`.
fn is_slug(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// What can happen to the auth state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// `/auth/me` answered with a user.
    Loaded(User),
    /// Some API call answered 401. Whether that means "never signed in" or "your session
    /// ended" follows from the state it arrives in.
    Unauthenticated,
    /// The session check failed for a reason other than 401.
    LoadFailed(ApiError),
    /// `POST /auth/logout` succeeded in this tab.
    SignedOut,
    /// Another tab signed out, and `/auth/me` confirmed it.
    SignedOutElsewhere,
    /// The session ran out (the expiry watch, or another tab, saw the 401 at the deadline).
    Expired,
    /// Check the session again (after a failure: back to loading).
    Recheck,
    /// `POST /auth/logout` failed.
    LogoutFailed(ApiError),
    /// Another tab extended the session.
    ExtendedElsewhere,
    /// The person closed the notice.
    DismissNotice,
}

/// The auth state plus the notice currently shown: what the provider shares with the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Model {
    pub(crate) state: AuthState,
    pub(crate) notice: Option<AuthNotice>,
    /// Back from the logout round trip: the first 401 means "signed out", not "visitor".
    signed_out_pending: bool,
    /// How many times another tab extended the session (the expiry watch looks again).
    pub(crate) extended_elsewhere: u64,
}

impl Default for Model {
    fn default() -> Self {
        Self::starting(&StartUp::default())
    }
}

impl Model {
    /// The model at start-up: loading, with the failed-login notice if the URL carried one.
    /// A state machine that never moves: what a component outside any provider sees.
    pub(crate) fn fixed(state: AuthState) -> Self {
        Self {
            state,
            ..Self::default()
        }
    }

    pub(crate) fn starting(start: &StartUp) -> Self {
        Self {
            state: AuthState::Loading,
            notice: start.login_error.map(|code| AuthNotice::LoginFailed {
                code,
                reason: start.login_error_reason.clone(),
            }),
            signed_out_pending: start.signed_out,
            extended_elsewhere: 0,
        }
    }

    /// The signed-in user, if any.
    pub(crate) fn user(&self) -> Option<&User> {
        match &self.state {
            AuthState::Authenticated(user) => Some(user),
            _ => None,
        }
    }

    /// The transition function of the state machine.
    pub(crate) fn reduce(&self, action: Action) -> Model {
        let mut next = self.clone();
        match action {
            Action::Loaded(user) => {
                next.state = AuthState::Authenticated(user);
                next.signed_out_pending = false;
                next.clear(&[Topic::SessionCheck, Topic::SessionState]);
            }
            Action::Unauthenticated => match &self.state {
                AuthState::Authenticated(_) => {
                    next.state = AuthState::Anonymous(AnonymousReason::SessionEnded);
                    next.notice = Some(AuthNotice::SessionEnded);
                }
                AuthState::Loading | AuthState::Unavailable(_) if self.signed_out_pending => {
                    next.state = AuthState::Anonymous(AnonymousReason::SignedOut);
                    next.signed_out_pending = false;
                    next.notice = Some(AuthNotice::SignedOut);
                }
                AuthState::Loading | AuthState::Unavailable(_) => {
                    next.state = AuthState::Anonymous(AnonymousReason::NotSignedIn);
                    next.clear(&[Topic::SessionCheck]);
                }
                AuthState::Anonymous(_) => {}
            },
            Action::LoadFailed(error) => match &self.state {
                AuthState::Loading | AuthState::Unavailable(_) => {
                    next.notice = Some(AuthNotice::SessionCheckFailed(error.clone()));
                    next.state = AuthState::Unavailable(error);
                }
                // A background re-check hiccup does not sign anybody out or in.
                AuthState::Authenticated(_) | AuthState::Anonymous(_) => {}
            },
            Action::SignedOut => {
                next.state = AuthState::Anonymous(AnonymousReason::SignedOut);
                next.notice = Some(AuthNotice::SignedOut);
            }
            Action::SignedOutElsewhere => {
                if self.was_signed_in() {
                    next.state = AuthState::Anonymous(AnonymousReason::SignedOut);
                    next.notice = Some(AuthNotice::SignedOut);
                }
            }
            Action::Expired => {
                if self.was_signed_in() {
                    next.state = AuthState::Anonymous(AnonymousReason::Expired);
                    next.notice = Some(AuthNotice::SessionExpired);
                }
            }
            Action::Recheck => {
                if let AuthState::Unavailable(_) = self.state {
                    next.state = AuthState::Loading;
                    next.clear(&[Topic::SessionCheck]);
                }
            }
            Action::LogoutFailed(error) => next.notice = Some(AuthNotice::LogoutFailed(error)),
            Action::ExtendedElsewhere => next.extended_elsewhere += 1,
            Action::DismissNotice => next.notice = None,
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

    fn clear(&mut self, topics: &[Topic]) {
        if self
            .notice
            .as_ref()
            .is_some_and(|n| topics.contains(&n.topic()))
        {
            self.notice = None;
        }
    }
}

impl Reducible for Model {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(Model::reduce(&self, action))
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

    fn run(start: Model, actions: impl IntoIterator<Item = Action>) -> Model {
        actions.into_iter().fold(start, |m, a| m.reduce(a))
    }

    fn signed_in() -> Model {
        Model::default().reduce(Action::Loaded(user()))
    }

    fn login_error(code: ErrorCode) -> Model {
        Model::starting(&StartUp {
            login_error: Some(code),
            ..StartUp::default()
        })
    }

    #[test]
    fn starts_loading_without_a_notice() {
        let m = Model::default();
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
    fn first_401_is_an_ordinary_visitor_without_a_notice() {
        let m = Model::default().reduce(Action::Unauthenticated);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::NotSignedIn));
        assert_eq!(m.notice, None);
    }

    #[test]
    fn a_401_while_signed_in_ends_the_session_with_a_notice() {
        let m = signed_in().reduce(Action::Unauthenticated);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SessionEnded));
        assert_eq!(m.notice, Some(AuthNotice::SessionEnded));
    }

    #[test]
    fn repeated_401s_are_idempotent() {
        let once = signed_in().reduce(Action::Unauthenticated);
        assert_eq!(once.reduce(Action::Unauthenticated), once);
        let visitor = Model::default().reduce(Action::Unauthenticated);
        assert_eq!(visitor.reduce(Action::Unauthenticated), visitor);
    }

    #[test]
    fn back_from_the_logout_round_trip_the_first_401_says_signed_out() {
        let start = Model::starting(&StartUp {
            signed_out: true,
            ..StartUp::default()
        });
        assert_eq!(start.notice, None, "nothing is claimed before the check");
        let m = start.reduce(Action::Unauthenticated);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SignedOut));
        assert_eq!(m.notice, Some(AuthNotice::SignedOut));

        // Still (or again) signed in: the flag was stale, nothing is said.
        let still = Model::starting(&StartUp {
            signed_out: true,
            ..StartUp::default()
        })
        .reduce(Action::Loaded(user()));
        assert_eq!(still.notice, None);
        assert_eq!(
            still.reduce(Action::Unauthenticated).state,
            AuthState::Anonymous(AnonymousReason::SessionEnded),
            "the flag is used once"
        );
    }

    #[test]
    fn login_error_is_noticed_from_the_start_and_survives_the_first_check() {
        let m = login_error(ErrorCode::AccessDenied);
        assert_eq!(m.state, AuthState::Loading);
        let notice = m.notice.clone().unwrap();
        assert_eq!(
            notice,
            AuthNotice::LoginFailed {
                code: ErrorCode::AccessDenied,
                reason: None
            }
        );
        let m = m.reduce(Action::Unauthenticated);
        assert_eq!(m.notice, Some(notice.clone()));
        let m = m.reduce(Action::Loaded(user()));
        assert_eq!(m.notice, Some(notice), "a session does not hide it");
    }

    #[test]
    fn the_start_up_query_is_read_and_removed() {
        let (start, rest) = StartUp::from_query(
            "?tab=2&login_error=login_refused&login_error_reason=not-in-beta&signed_out=1",
        );
        assert_eq!(start.login_error, Some(ErrorCode::LoginRefused));
        assert_eq!(start.login_error_reason.as_deref(), Some("not-in-beta"));
        assert!(start.signed_out && !start.login_started);
        assert_eq!(rest, "?tab=2");
        assert_eq!(
            Model::starting(&start).notice,
            Some(AuthNotice::LoginFailed {
                code: ErrorCode::LoginRefused,
                reason: Some("not-in-beta".into())
            })
        );
        let (plain, rest) = StartUp::from_query("?a=1");
        assert_eq!(plain, StartUp::default());
        assert_eq!(rest, "?a=1");
    }

    #[test]
    fn a_reason_that_is_not_a_slug_is_dropped() {
        for reason in [
            "%3Cimg%20src%3Dx%3E",
            "Not_Allowed",
            "a%20b",
            "",
            &"x".repeat(65),
        ] {
            let (start, _) = StartUp::from_query(&format!(
                "?login_error=login_refused&login_error_reason={reason}"
            ));
            assert_eq!(start.login_error_reason, None, "{reason:?}");
        }
        let (start, _) = StartUp::from_query(&format!(
            "?login_error=login_refused&login_error_reason={}",
            "a".repeat(64)
        ));
        assert!(start.login_error_reason.is_some());
        let (alone, rest) = StartUp::from_query("?login_error_reason=x");
        assert_eq!(alone.login_error_reason, None, "only beside a login error");
        assert_eq!(rest, "");
    }

    #[test]
    fn unknown_login_error_codes_are_not_echoed() {
        let (start, _) = StartUp::from_query("?login_error=%3Cimg%20src%3Dx%3E");
        assert_eq!(start.login_error, Some(ErrorCode::Unknown));
    }

    #[test]
    fn failed_check_is_unavailable_not_anonymous() {
        let m = Model::default().reduce(Action::LoadFailed(store_down()));
        assert_eq!(m.state, AuthState::Unavailable(store_down()));
        assert_eq!(m.notice, Some(AuthNotice::SessionCheckFailed(store_down())));

        let retrying = m.reduce(Action::Recheck);
        assert_eq!(retrying.state, AuthState::Loading);
        assert_eq!(retrying.notice, None);

        let recovered = m.reduce(Action::Loaded(user()));
        assert_eq!(recovered.state, AuthState::Authenticated(user()));
        assert_eq!(recovered.notice, None, "the stale failure goes away");
    }

    #[test]
    fn failed_check_then_401_is_a_visitor() {
        let m = run(
            Model::default(),
            [
                Action::LoadFailed(ApiError::Network("offline".into())),
                Action::Recheck,
                Action::Unauthenticated,
            ],
        );
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::NotSignedIn));
        assert_eq!(m.notice, None);
    }

    #[test]
    fn a_failed_background_recheck_keeps_the_user_signed_in() {
        let signed_in = signed_in();
        assert_eq!(
            signed_in.reduce(Action::LoadFailed(store_down())),
            signed_in
        );
        let visitor = Model::default().reduce(Action::Unauthenticated);
        assert_eq!(visitor.reduce(Action::LoadFailed(store_down())), visitor);
    }

    #[test]
    fn recheck_only_changes_the_state_after_a_failure() {
        let signed_in = signed_in();
        assert_eq!(signed_in.reduce(Action::Recheck), signed_in);
    }

    #[test]
    fn a_visitor_who_signs_in_elsewhere_is_picked_up_by_a_recheck() {
        let m = run(
            Model::default(),
            [Action::Unauthenticated, Action::Loaded(user())],
        );
        assert_eq!(m.state, AuthState::Authenticated(user()));
    }

    #[test]
    fn signing_in_again_clears_the_signed_out_notice_but_not_a_login_error() {
        let m = run(
            signed_in(),
            [Action::SignedOutElsewhere, Action::Loaded(user())],
        );
        assert_eq!(m.notice, None);
        let m = run(
            login_error(ErrorCode::LoginTransactionInvalid),
            [Action::Loaded(user())],
        );
        assert!(matches!(
            m.notice,
            Some(AuthNotice::LoginFailed {
                code: ErrorCode::LoginTransactionInvalid,
                ..
            })
        ));
    }

    #[test]
    fn sign_out_is_anonymous_with_a_notice() {
        let m = signed_in().reduce(Action::SignedOut);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SignedOut));
        assert_eq!(m.notice, Some(AuthNotice::SignedOut));
    }

    #[test]
    fn a_logout_in_another_tab_reads_as_signed_out_not_as_an_ended_session() {
        // The re-check's 401 arrives first (through the request function), then the reason.
        let m = run(
            signed_in(),
            [Action::Unauthenticated, Action::SignedOutElsewhere],
        );
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::SignedOut));
        assert_eq!(m.notice, Some(AuthNotice::SignedOut));
        // A visitor's tab does not claim anybody signed out.
        let visitor = Model::default().reduce(Action::Unauthenticated);
        assert_eq!(visitor.reduce(Action::SignedOutElsewhere), visitor);
    }

    #[test]
    fn expiry_says_so() {
        let m = run(signed_in(), [Action::Unauthenticated, Action::Expired]);
        assert_eq!(m.state, AuthState::Anonymous(AnonymousReason::Expired));
        assert_eq!(m.notice, Some(AuthNotice::SessionExpired));
        let visitor = Model::default().reduce(Action::Unauthenticated);
        assert_eq!(visitor.reduce(Action::Expired), visitor);
        let out = signed_in().reduce(Action::SignedOut);
        assert_eq!(
            out.reduce(Action::Expired),
            out,
            "signed out stays signed out"
        );
    }

    #[test]
    fn a_failed_logout_is_noticed_and_changes_nothing_else() {
        let m = signed_in().reduce(Action::LogoutFailed(store_down()));
        assert_eq!(m.state, AuthState::Authenticated(user()));
        assert_eq!(m.notice, Some(AuthNotice::LogoutFailed(store_down())));
    }

    #[test]
    fn notices_can_be_replaced_and_dismissed() {
        let m = login_error(ErrorCode::BadCallback);
        let m = m.reduce(Action::LogoutFailed(ApiError::Network("x".into())));
        assert_eq!(
            m.notice,
            Some(AuthNotice::LogoutFailed(ApiError::Network("x".into())))
        );
        let m = m.reduce(Action::DismissNotice);
        assert_eq!(m.notice, None);
        assert_eq!(
            m.state,
            AuthState::Loading,
            "dismissing changes nothing else"
        );
    }

    #[test]
    fn extensions_elsewhere_are_counted() {
        let m = run(
            signed_in(),
            [Action::ExtendedElsewhere, Action::ExtendedElsewhere],
        );
        assert_eq!(m.extended_elsewhere, 2);
        assert_eq!(m.state, AuthState::Authenticated(user()));
    }
}

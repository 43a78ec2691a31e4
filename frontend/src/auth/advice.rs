//! What to tell people when something fails, and what they can do about it: one table from
//! every [`ErrorCode`] to a plain sentence and a next step (a button on the banner).
//!
//! The match in [`advice`] is exhaustive, so a code added to `shared` does not compile here
//! until it has its sentence and its next step. Only these sentences are shown; the SPA never
//! renders a code, a provider's text or a server's text as markup (a crafted `?login_error=`
//! is just an unknown code).

use ferris_login_yew::{ApiError, ErrorCode};

/// What the person can do next, offered as a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Start a new sign-in (back to the same page afterwards).
    LogInAgain,
    /// Do the same thing again: it may work in a moment.
    TryAgain,
    /// Nothing the person can fix: ask whoever runs the app, with a reference.
    ContactAdministrator,
}

impl NextStep {
    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            NextStep::LogInAgain => "Log in again",
            NextStep::TryAgain => "Try again",
            NextStep::ContactAdministrator => "Contact the administrator",
        }
    }
}

/// A sentence saying what happened, and the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advice {
    pub message: &'static str,
    pub next_step: NextStep,
}

/// The table: what every error code means to a person, and what they can do.
pub fn advice(code: ErrorCode) -> Advice {
    use NextStep::{ContactAdministrator, LogInAgain, TryAgain};
    let (message, next_step) = match code {
        ErrorCode::Unauthenticated => ("Your session has ended.", LogInAgain),
        ErrorCode::Forbidden => (
            "Your account is not allowed to do that.",
            ContactAdministrator,
        ),
        ErrorCode::CsrfRejected => (
            "A security check blocked the request. Reload the page before you try again.",
            TryAgain,
        ),
        ErrorCode::LoginTransactionInvalid => (
            "The sign-in could not be finished: it was started in another tab, or already used.",
            LogInAgain,
        ),
        ErrorCode::LoginExpired => (
            "The sign-in took too long, so it was stopped for your security.",
            LogInAgain,
        ),
        ErrorCode::AccessDenied => (
            "The sign-in was cancelled, so you are not signed in.",
            LogInAgain,
        ),
        ErrorCode::LoginDenied => (
            "The identity provider did not let the sign-in go through.",
            LogInAgain,
        ),
        ErrorCode::LoginRefused => (
            "This app did not accept the sign-in for your account.",
            ContactAdministrator,
        ),
        ErrorCode::BadCallback => (
            "The answer from the sign-in page was incomplete, so you are not signed in.",
            LogInAgain,
        ),
        ErrorCode::InvalidIdToken => (
            "We could not verify the identity provider's answer, so you are not signed in.",
            ContactAdministrator,
        ),
        ErrorCode::InvalidLogoutToken => (
            "A sign-out message from the identity provider could not be verified.",
            ContactAdministrator,
        ),
        ErrorCode::ProviderUnavailable => {
            ("The sign-in service is not responding right now.", TryAgain)
        }
        ErrorCode::ProviderMisconfigured => (
            "Sign-in is not set up correctly on our side.",
            ContactAdministrator,
        ),
        ErrorCode::ParRefused => (
            "The identity provider refused to start the sign-in: it is not set up correctly on our side.",
            ContactAdministrator,
        ),
        ErrorCode::StoreUnavailable => ("The service is temporarily unavailable.", TryAgain),
        ErrorCode::BadRequest => ("The server could not use that request.", TryAgain),
        ErrorCode::NotFound => ("That is not there any more.", TryAgain),
        ErrorCode::MethodNotAllowed => (
            "The server does not accept that action.",
            ContactAdministrator,
        ),
        ErrorCode::PayloadTooLarge => ("That was too large to send.", TryAgain),
        ErrorCode::RateLimited => (
            "There were too many attempts in a short time. Wait a moment.",
            TryAgain,
        ),
        ErrorCode::Internal => ("Something went wrong on our side.", TryAgain),
        ErrorCode::Unknown => ("Something went wrong.", TryAgain),
    };
    Advice { message, next_step }
}

/// No HTTP answer at all (offline, DNS, connection refused).
pub const NETWORK: Advice = Advice {
    message: "We could not reach the server. Check your connection.",
    next_step: NextStep::TryAgain,
};
/// A success status with a body the SPA does not understand.
pub const DECODE: Advice = Advice {
    message: "The server sent an answer we did not understand.",
    next_step: NextStep::TryAgain,
};
/// A bare 5xx without our error body (something in front of the backend).
pub const UNAVAILABLE: Advice = Advice {
    message: "The service is temporarily unavailable.",
    next_step: NextStep::TryAgain,
};

/// Shown when `/api/auth/me` could not be answered (5xx, unexpected body).
pub const SESSION_CHECK_FAILED: &str =
    "We could not check whether you are signed in. The service may be temporarily unavailable.";
/// Shown when `/api/auth/me` got no HTTP answer at all.
pub const SESSION_CHECK_UNREACHABLE: &str =
    "We could not reach the server to check whether you are signed in. Check your connection.";
/// Shown when a call answers 401 while the person was signed in.
pub const SESSION_ENDED: &str = "Your session has ended.";
/// Shown when the session ran out (idle or absolute deadline).
pub const SESSION_EXPIRED: &str = "Your session has expired.";
/// Shown when `POST /api/auth/logout` failed for a reason other than an ended session.
pub const LOGOUT_FAILED: &str = "We could not sign you out.";
/// Shown after a logout (in this tab or another one).
pub const SIGNED_OUT: &str = "You have signed out.";

/// The advice for a failed call: what to tell the person and what they can do next (never the
/// server's own text).
pub trait ErrorAdvice {
    /// The sentence and the next step.
    fn advice(&self) -> Advice;

    /// The sentence of [`ErrorAdvice::advice`].
    fn user_message(&self) -> &'static str {
        self.advice().message
    }
}

impl ErrorAdvice for ApiError {
    fn advice(&self) -> Advice {
        match (self, self.code()) {
            (ApiError::Network(_), _) => NETWORK,
            (ApiError::Decode(_), _) => DECODE,
            // A 5xx we cannot name (a newer server's code, a proxy): say it is passing.
            (ApiError::Server { status, .. }, None | Some(ErrorCode::Unknown))
                if *status >= 500 =>
            {
                UNAVAILABLE
            }
            (_, Some(code)) => advice(code),
            (_, None) => advice(ErrorCode::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_plain_sentence_of_its_own() {
        let mut seen = Vec::new();
        for code in ErrorCode::ALL {
            let Advice { message, .. } = advice(code);
            assert!(message.ends_with('.'), "{code}: a full sentence");
            assert!(
                message.chars().next().is_some_and(char::is_uppercase),
                "{code}: starts like a sentence"
            );
            assert!(!message.contains('_'), "{code}: no code in the sentence");
            assert!(
                !message.contains('<') && !message.contains('&'),
                "{code}: plain text"
            );
            assert!(!seen.contains(&message), "{code}: reads like another code");
            seen.push(message);
        }
    }

    #[test]
    fn sign_in_problems_offer_a_new_sign_in() {
        for code in [
            ErrorCode::Unauthenticated,
            ErrorCode::LoginExpired,
            ErrorCode::LoginTransactionInvalid,
            ErrorCode::AccessDenied,
            ErrorCode::LoginDenied,
            ErrorCode::BadCallback,
        ] {
            assert_eq!(advice(code).next_step, NextStep::LogInAgain, "{code}");
        }
    }

    #[test]
    fn passing_trouble_offers_to_try_again() {
        for code in [
            ErrorCode::ProviderUnavailable,
            ErrorCode::StoreUnavailable,
            ErrorCode::RateLimited,
            ErrorCode::Internal,
            ErrorCode::CsrfRejected,
            ErrorCode::Unknown,
        ] {
            assert_eq!(advice(code).next_step, NextStep::TryAgain, "{code}");
        }
        assert_eq!(NETWORK.next_step, NextStep::TryAgain);
        assert_eq!(DECODE.next_step, NextStep::TryAgain);
        assert_eq!(UNAVAILABLE.next_step, NextStep::TryAgain);
    }

    #[test]
    fn what_only_an_operator_can_fix_says_so() {
        for code in [
            ErrorCode::ProviderMisconfigured,
            ErrorCode::ParRefused,
            ErrorCode::InvalidIdToken,
            ErrorCode::InvalidLogoutToken,
            ErrorCode::Forbidden,
            ErrorCode::MethodNotAllowed,
        ] {
            assert_eq!(
                advice(code).next_step,
                NextStep::ContactAdministrator,
                "{code}"
            );
        }
    }

    #[test]
    fn the_buttons_say_what_they_do() {
        assert_eq!(NextStep::LogInAgain.label(), "Log in again");
        assert_eq!(NextStep::TryAgain.label(), "Try again");
        assert_eq!(
            NextStep::ContactAdministrator.label(),
            "Contact the administrator"
        );
    }

    #[test]
    fn a_cancelled_sign_in_is_named_as_such() {
        assert!(advice(ErrorCode::AccessDenied)
            .message
            .contains("cancelled"));
        assert!(advice(ErrorCode::ProviderUnavailable)
            .message
            .contains("not responding"));
    }

    fn body(code: ErrorCode, message: &str) -> String {
        serde_json::to_string(&shared::ErrorBody::new(code, message)).unwrap()
    }

    #[test]
    fn an_ended_session_offers_a_new_sign_in() {
        assert_eq!(
            ApiError::Unauthenticated.advice().next_step,
            NextStep::LogInAgain
        );
    }

    #[test]
    fn a_rejected_anti_forgery_check_names_the_security_check() {
        let err = ApiError::from_status(403, &body(ErrorCode::CsrfRejected, "missing X-CSRF"));
        assert!(err.user_message().contains("security check"));
    }

    #[test]
    fn server_text_stays_out_of_the_sentence() {
        let err = ApiError::from_status(503, &body(ErrorCode::StoreUnavailable, "db down"));
        assert!(err.user_message().contains("temporarily unavailable"));
        assert!(!err.user_message().contains("db down"));
        let gateway = ApiError::from_status(502, "Bad Gateway");
        assert!(gateway.user_message().contains("temporarily unavailable"));
    }

    #[test]
    fn a_5xx_code_from_a_newer_server_reads_as_passing_trouble() {
        let err = ApiError::from_status(503, r#"{"error":{"code":"brand_new","message":"x"}}"#);
        assert_eq!(err.advice(), UNAVAILABLE);
    }

    #[test]
    fn transport_failures_have_their_own_sentences() {
        let offline = ApiError::Network("refused".into());
        assert!(offline.user_message().contains("could not reach"));
        let garbled = ApiError::Decode("eof".into());
        assert!(garbled.user_message().contains("did not understand"));
    }
}

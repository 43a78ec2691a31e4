//! Human sentences for the API's stable error codes ([`shared::error_code`]).
//!
//! The SPA never shows a raw code or a server-supplied text to the user: a code it does not
//! know gets a generic sentence, so a crafted `?login_error=` cannot put words on the page.

use shared::error_code as code;

/// Shown when a call answers 401 while the user was signed in.
pub const SESSION_ENDED: &str = "Your session has ended. Please log in again.";
/// Shown when `/api/auth/me` could not be answered (network, 5xx, unexpected body).
pub const SESSION_CHECK_FAILED: &str =
    "We couldn't check whether you're signed in. The service may be temporarily unavailable.";
/// Shown when `/api/auth/me` got no HTTP answer at all.
pub const SESSION_CHECK_UNREACHABLE: &str =
    "We couldn't reach the server to check whether you're signed in. Check your connection and try again.";
/// Shown when `POST /api/auth/logout` failed for a reason other than an ended session.
pub const LOGOUT_FAILED: &str = "We couldn't sign you out. Please try again.";
/// Shown once the logout succeeded, while the browser leaves for the provider.
pub const SIGNED_OUT: &str = "You have signed out.";

const GENERIC: &str = "Something went wrong. Please try again.";
const GENERIC_LOGIN: &str = "We couldn't sign you in. Please try again.";
const UNAVAILABLE: &str = "The service is temporarily unavailable. Please try again in a moment.";
const NETWORK: &str = "We couldn't reach the server. Check your connection and try again.";
const DECODE: &str = "The server sent a response we didn't understand. Please try again.";

/// The sentence for an API error code; unknown codes get a generic sentence.
pub fn error_message(error_code: &str) -> &'static str {
    match error_code {
        code::UNAUTHENTICATED => SESSION_ENDED,
        code::FORBIDDEN => "You don't have permission to do that.",
        code::CSRF_REJECTED => {
            "Your request was blocked by a security check. Reload the page and try again."
        }
        code::PROVIDER_UNAVAILABLE => {
            "The sign-in provider is unavailable right now. Please try again in a moment."
        }
        code::STORE_UNAVAILABLE => UNAVAILABLE,
        code::NOT_FOUND => "That doesn't exist (anymore).",
        code::PAYLOAD_TOO_LARGE => "That request was too large.",
        _ => GENERIC,
    }
}

/// The sentence for `/?login_error=<code>` after a failed login; unknown codes get a generic
/// login sentence.
pub fn login_error_message(error_code: &str) -> &'static str {
    match error_code {
        code::LOGIN_TRANSACTION_INVALID => {
            "Your sign-in expired or was started in another tab. Please log in again."
        }
        code::LOGIN_DENIED => "Sign-in was cancelled or denied at the identity provider.",
        code::BAD_CALLBACK => "The sign-in response was incomplete. Please log in again.",
        code::INVALID_ID_TOKEN => {
            "We couldn't verify the identity provider's answer, so you were not signed in. Please try again."
        }
        code::PROVIDER_UNAVAILABLE => {
            "The sign-in provider is unavailable right now. Please try again in a moment."
        }
        code::STORE_UNAVAILABLE => {
            "We couldn't start your session because the service is temporarily unavailable. Please try again in a moment."
        }
        code::CSRF_REJECTED => {
            "Sign-in was blocked by a security check. Please start again from this page."
        }
        _ => GENERIC_LOGIN,
    }
}

/// Whether `error_code` is one of the documented codes (safe to echo as a reference).
pub fn is_known_code(error_code: &str) -> bool {
    [
        code::UNAUTHENTICATED,
        code::FORBIDDEN,
        code::CSRF_REJECTED,
        code::LOGIN_TRANSACTION_INVALID,
        code::LOGIN_DENIED,
        code::BAD_CALLBACK,
        code::INVALID_ID_TOKEN,
        code::PROVIDER_UNAVAILABLE,
        code::STORE_UNAVAILABLE,
        code::BAD_REQUEST,
        code::NOT_FOUND,
        code::METHOD_NOT_ALLOWED,
        code::PAYLOAD_TOO_LARGE,
        code::INTERNAL,
    ]
    .contains(&error_code)
}

/// Sentences for failures that have no error body: the network, an undecodable answer, or a
/// bare 5xx from something in front of the backend.
pub(crate) fn network_message() -> &'static str {
    NETWORK
}

pub(crate) fn decode_message() -> &'static str {
    DECODE
}

pub(crate) fn unavailable_message() -> &'static str {
    UNAVAILABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN_CODES: [&str; 7] = [
        code::LOGIN_TRANSACTION_INVALID,
        code::LOGIN_DENIED,
        code::BAD_CALLBACK,
        code::INVALID_ID_TOKEN,
        code::PROVIDER_UNAVAILABLE,
        code::STORE_UNAVAILABLE,
        code::CSRF_REJECTED,
    ];

    #[test]
    fn every_login_error_code_has_its_own_sentence() {
        for c in LOGIN_CODES {
            let message = login_error_message(c);
            assert_ne!(
                message, GENERIC_LOGIN,
                "{c} fell through to the generic text"
            );
            assert!(
                !message.contains(c),
                "{c}: the sentence must not be the code"
            );
            assert!(message.ends_with('.'), "{c}: a full sentence");
        }
        let mut distinct: Vec<_> = LOGIN_CODES.iter().map(|c| login_error_message(c)).collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            LOGIN_CODES.len(),
            "each code reads differently"
        );
    }

    #[test]
    fn unknown_login_error_codes_get_a_generic_sentence() {
        for c in [
            "",
            "nope",
            "<script>alert(1)</script>",
            "Call +1 555 0100 now",
        ] {
            assert_eq!(login_error_message(c), GENERIC_LOGIN);
            assert!(!is_known_code(c));
        }
    }

    #[test]
    fn api_error_codes_map_to_sentences() {
        assert_eq!(error_message(code::UNAUTHENTICATED), SESSION_ENDED);
        assert_eq!(
            error_message(code::FORBIDDEN),
            "You don't have permission to do that."
        );
        assert!(error_message(code::CSRF_REJECTED).contains("security check"));
        assert!(error_message(code::STORE_UNAVAILABLE).contains("temporarily unavailable"));
        assert!(error_message(code::PROVIDER_UNAVAILABLE).contains("provider"));
        assert_eq!(error_message(code::INTERNAL), GENERIC);
        assert_eq!(error_message("something_new"), GENERIC);
    }

    #[test]
    fn known_codes_are_exactly_the_shared_ones() {
        assert!(is_known_code(code::LOGIN_DENIED));
        assert!(is_known_code(code::INTERNAL));
        assert!(!is_known_code("LOGIN_DENIED"));
    }
}

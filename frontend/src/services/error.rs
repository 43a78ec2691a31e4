//! The typed outcome of a failed `/api` call. Pure: the mapping from an HTTP status and body to
//! an [`ApiError`] is tested natively.

use std::fmt;

use shared::{error_code, ErrorBody, ErrorDetail};

use crate::auth::messages;

/// Why an `/api` call did not produce the value asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: no live session. The request function also tells the auth state (see
    /// [`crate::services::api`]).
    Unauthenticated,
    /// 403: signed in but not allowed, or the anti-forgery check failed.
    Forbidden(ErrorDetail),
    /// Any other non-success status (4xx other than 401/403, 5xx).
    Server { status: u16, error: ErrorDetail },
    /// The request never got an HTTP answer (offline, DNS, connection refused, CORS).
    Network(String),
    /// A success status whose body is not the JSON expected.
    Decode(String),
}

impl ApiError {
    /// Classifies a non-success answer from its status and (possibly empty, possibly non-JSON)
    /// body. A [`ErrorBody`] is used when present; otherwise the status decides.
    pub fn from_status(status: u16, body: &str) -> Self {
        let detail = serde_json::from_str::<ErrorBody>(body)
            .ok()
            .map(|body| body.error);
        match status {
            401 => ApiError::Unauthenticated,
            403 => ApiError::Forbidden(detail.unwrap_or_else(|| ErrorDetail {
                code: error_code::FORBIDDEN.to_string(),
                message: "Forbidden".to_string(),
            })),
            _ => ApiError::Server {
                status,
                error: detail.unwrap_or_else(|| ErrorDetail {
                    code: fallback_code(status).to_string(),
                    message: format!("HTTP {status}"),
                }),
            },
        }
    }

    /// The stable code: the body's, or one derived from the kind of failure.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Unauthenticated => error_code::UNAUTHENTICATED,
            ApiError::Forbidden(detail) => &detail.code,
            ApiError::Server { error, .. } => &error.code,
            ApiError::Network(_) => "network",
            ApiError::Decode(_) => "decode",
        }
    }

    /// A sentence for the user. Never the server's own text, which is for logs.
    pub fn user_message(&self) -> &'static str {
        match self {
            ApiError::Network(_) => messages::network_message(),
            ApiError::Decode(_) => messages::decode_message(),
            ApiError::Server { status, error }
                if *status >= 500 && !messages::is_known_code(&error.code) =>
            {
                messages::unavailable_message()
            }
            other => messages::error_message(other.code()),
        }
    }
}

/// Code for a bare status with no [`ErrorBody`] (a proxy, a static server, a crash page).
fn fallback_code(status: u16) -> &'static str {
    match status {
        400 => error_code::BAD_REQUEST,
        404 => error_code::NOT_FOUND,
        405 => error_code::METHOD_NOT_ALLOWED,
        413 => error_code::PAYLOAD_TOO_LARGE,
        502..=504 => "unavailable",
        _ => error_code::INTERNAL,
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unauthenticated => write!(f, "401 unauthenticated"),
            ApiError::Forbidden(d) => write!(f, "403 {}: {}", d.code, d.message),
            ApiError::Server { status, error } => {
                write!(f, "{status} {}: {}", error.code, error.message)
            }
            ApiError::Network(e) => write!(f, "network error: {e}"),
            ApiError::Decode(e) => write!(f, "unexpected response body: {e}"),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str, message: &str) -> String {
        serde_json::to_string(&ErrorBody::new(code, message)).unwrap()
    }

    #[test]
    fn status_401_is_unauthenticated_with_or_without_body() {
        assert_eq!(
            ApiError::from_status(401, &body("unauthenticated", "no session")),
            ApiError::Unauthenticated
        );
        assert_eq!(ApiError::from_status(401, ""), ApiError::Unauthenticated);
        assert_eq!(ApiError::Unauthenticated.code(), "unauthenticated");
    }

    #[test]
    fn status_403_keeps_the_body_code() {
        let err = ApiError::from_status(403, &body("csrf_rejected", "missing X-CSRF"));
        assert_eq!(
            err,
            ApiError::Forbidden(ErrorDetail {
                code: "csrf_rejected".into(),
                message: "missing X-CSRF".into()
            })
        );
        assert!(err.user_message().contains("security check"));
        assert_eq!(ApiError::from_status(403, "<html>").code(), "forbidden");
    }

    #[test]
    fn other_statuses_are_server_errors_with_the_body_code() {
        let err = ApiError::from_status(503, &body("store_unavailable", "db down"));
        assert_eq!(err.code(), "store_unavailable");
        assert!(err.user_message().contains("temporarily unavailable"));
        assert!(
            !err.user_message().contains("db down"),
            "server text stays out of the UI"
        );
    }

    #[test]
    fn bare_statuses_without_a_json_body_get_a_derived_code() {
        let not_found = ApiError::from_status(404, "<!doctype html><p>File not found");
        assert_eq!(not_found.code(), "not_found");
        assert!(matches!(not_found, ApiError::Server { status: 404, .. }));
        assert_eq!(
            ApiError::from_status(502, "Bad Gateway").code(),
            "unavailable"
        );
        assert_eq!(ApiError::from_status(500, "").code(), "internal");
        assert!(ApiError::from_status(502, "")
            .user_message()
            .contains("temporarily unavailable"));
    }

    #[test]
    fn transport_failures_have_their_own_sentences() {
        assert!(ApiError::Network("refused".into())
            .user_message()
            .contains("couldn't reach"));
        assert!(ApiError::Decode("eof".into())
            .user_message()
            .contains("didn't understand"));
    }

    #[test]
    fn display_is_for_logs() {
        assert_eq!(
            ApiError::from_status(503, &body("store_unavailable", "db down")).to_string(),
            "503 store_unavailable: db down"
        );
    }
}

//! The typed outcome of a failed API call. Pure: the mapping from an HTTP status and body to
//! an [`ApiError`] is tested natively.

use std::fmt;

use shared::{ErrorBody, ErrorCode, ErrorDetail};

/// Why an API call did not produce the value asked for. What to tell the person is the app's
/// choice: match on [`ApiError::code`] (an exhaustive [`ErrorCode`]) and the variants.
///
/// ```
/// use ferris_login_yew::{ApiError, ErrorCode};
///
/// let error = ApiError::from_status(503, r#"{"error":{"code":"store_unavailable","message":"db"}}"#);
/// assert_eq!(error.code(), Some(ErrorCode::StoreUnavailable));
/// assert_eq!(error.reference(), "store_unavailable");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: no live session. The client has already told the auth state (it is now
    /// anonymous).
    Unauthenticated,
    /// 403: signed in but not allowed, or the anti-forgery check failed.
    Forbidden(ErrorDetail),
    /// Any other non-success status (4xx other than 401/403, 5xx). `error` is `None` when the
    /// body was not our JSON error (a proxy's page, an empty body).
    Server {
        /// The HTTP status.
        status: u16,
        /// The body's error, if it was one.
        error: Option<ErrorDetail>,
    },
    /// The request never got an HTTP answer (offline, DNS, connection refused).
    Network(String),
    /// A success status whose body is not the JSON expected.
    Decode(String),
}

impl ApiError {
    /// Classifies a non-success answer from its status and (possibly empty, possibly non-JSON)
    /// body. An [`ErrorBody`] is used when present; otherwise the status decides.
    pub fn from_status(status: u16, body: &str) -> Self {
        let detail = serde_json::from_str::<ErrorBody>(body)
            .ok()
            .map(|body| body.error);
        match status {
            401 => ApiError::Unauthenticated,
            403 => ApiError::Forbidden(detail.unwrap_or_else(|| ErrorDetail {
                code: ErrorCode::Forbidden,
                message: "Forbidden".to_string(),
            })),
            _ => ApiError::Server {
                status,
                error: detail,
            },
        }
    }

    /// The API's error code: the body's, or one read from a bare status. `None` when there was
    /// no HTTP answer, or an unreadable success.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Unauthenticated => Some(ErrorCode::Unauthenticated),
            ApiError::Forbidden(detail) => Some(detail.code),
            ApiError::Server {
                error: Some(detail),
                ..
            } => Some(detail.code),
            ApiError::Server {
                status,
                error: None,
            } => status_code(*status),
            ApiError::Network(_) | ApiError::Decode(_) => None,
        }
    }

    /// A stable name for tests and support (`data-code`): the API code, or `network`,
    /// `decode`, `unavailable`.
    pub fn reference(&self) -> &'static str {
        match (self, self.code()) {
            (_, Some(code)) => code.as_str(),
            (ApiError::Network(_), None) => "network",
            (ApiError::Decode(_), None) => "decode",
            (_, None) => "unavailable",
        }
    }
}

/// The code a bare status (no [`ErrorBody`]) stands for, when it is unambiguous.
fn status_code(status: u16) -> Option<ErrorCode> {
    match status {
        400 => Some(ErrorCode::BadRequest),
        404 => Some(ErrorCode::NotFound),
        405 => Some(ErrorCode::MethodNotAllowed),
        413 => Some(ErrorCode::PayloadTooLarge),
        429 => Some(ErrorCode::RateLimited),
        500 => Some(ErrorCode::Internal),
        _ => None,
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unauthenticated => write!(f, "401 unauthenticated"),
            ApiError::Forbidden(d) => write!(f, "403 {}: {}", d.code, d.message),
            ApiError::Server {
                status,
                error: Some(error),
            } => write!(f, "{status} {}: {}", error.code, error.message),
            ApiError::Server {
                status,
                error: None,
            } => write!(f, "{status} without an error body"),
            ApiError::Network(e) => write!(f, "network error: {e}"),
            ApiError::Decode(e) => write!(f, "unexpected response body: {e}"),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: ErrorCode, message: &str) -> String {
        serde_json::to_string(&ErrorBody::new(code, message)).unwrap()
    }

    #[test]
    fn status_401_is_unauthenticated_with_or_without_body() {
        assert_eq!(
            ApiError::from_status(401, &body(ErrorCode::Unauthenticated, "no session")),
            ApiError::Unauthenticated
        );
        assert_eq!(ApiError::from_status(401, ""), ApiError::Unauthenticated);
        assert_eq!(
            ApiError::Unauthenticated.code(),
            Some(ErrorCode::Unauthenticated)
        );
    }

    #[test]
    fn status_403_keeps_the_body_code() {
        let err = ApiError::from_status(403, &body(ErrorCode::CsrfRejected, "missing X-CSRF"));
        assert_eq!(
            err,
            ApiError::Forbidden(ErrorDetail {
                code: ErrorCode::CsrfRejected,
                message: "missing X-CSRF".into()
            })
        );
        assert_eq!(
            ApiError::from_status(403, "<html>").reference(),
            "forbidden"
        );
    }

    #[test]
    fn other_statuses_are_server_errors_with_the_body_code() {
        let err = ApiError::from_status(503, &body(ErrorCode::StoreUnavailable, "db down"));
        assert_eq!(err.code(), Some(ErrorCode::StoreUnavailable));
        assert_eq!(err.reference(), "store_unavailable");
    }

    #[test]
    fn bare_statuses_without_a_json_body_are_named_by_their_status() {
        let not_found = ApiError::from_status(404, "<!doctype html><p>File not found");
        assert_eq!(not_found.code(), Some(ErrorCode::NotFound));
        assert!(matches!(
            not_found,
            ApiError::Server {
                status: 404,
                error: None
            }
        ));
        assert_eq!(
            ApiError::from_status(429, "").code(),
            Some(ErrorCode::RateLimited)
        );
        let gateway = ApiError::from_status(502, "Bad Gateway");
        assert_eq!(gateway.code(), None);
        assert_eq!(gateway.reference(), "unavailable");
        assert_eq!(ApiError::from_status(500, "").reference(), "internal");
    }

    #[test]
    fn a_code_from_a_newer_server_reads_as_unknown() {
        let err = ApiError::from_status(503, r#"{"error":{"code":"brand_new","message":"x"}}"#);
        assert_eq!(err.code(), Some(ErrorCode::Unknown));
        assert_eq!(err.reference(), "unknown");
    }

    #[test]
    fn transport_failures_have_their_own_references() {
        let offline = ApiError::Network("refused".into());
        assert_eq!(offline.code(), None);
        assert_eq!(offline.reference(), "network");
        let garbled = ApiError::Decode("eof".into());
        assert_eq!(garbled.reference(), "decode");
    }

    #[test]
    fn display_is_for_logs() {
        assert_eq!(
            ApiError::from_status(503, &body(ErrorCode::StoreUnavailable, "db down")).to_string(),
            "503 store_unavailable: db down"
        );
    }
}

//! The API's errors: one body shape, one closed set of codes.

use serde::{Deserialize, Serialize};

/// Every error under `/api` has this body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable code.
    pub code: ErrorCode,
    /// Human-readable text the SPA may show (plain text, never HTML).
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

/// The stable error codes of the API (snake_case on the wire). The SPA matches on these
/// exhaustively, so a code added here is a compile error there until it is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No live session (401).
    Unauthenticated,
    /// Signed in, but not allowed (403).
    Forbidden,
    /// The anti-forgery header is missing or the request is cross-site (403).
    CsrfRejected,
    /// The login transaction is missing, already used or does not match this browser (400).
    LoginTransactionInvalid,
    /// The login took too long between the app and the provider (400): start again.
    LoginExpired,
    /// The person cancelled the sign-in or refused consent at the provider (400).
    AccessDenied,
    /// The provider answered the authorization request with another error (400).
    LoginDenied,
    /// The app itself refused this login (its after-callback hook, 403). The redirect to the
    /// SPA carries the app's reason as `?login_error_reason=` (a short slug, never free text).
    LoginRefused,
    /// The callback query is malformed (400).
    BadCallback,
    /// The provider's tokens failed verification (400).
    InvalidIdToken,
    /// A back-channel logout token failed validation (400, OpenID Back-Channel Logout 2.8).
    InvalidLogoutToken,
    /// The identity provider could not be reached or misbehaved (502/504).
    ProviderUnavailable,
    /// The identity provider's discovery document or keys are unacceptable (503).
    ProviderMisconfigured,
    /// The identity provider refused the pushed authorization request (RFC 9126) that starts
    /// the login (502): its client configuration does not match the app's.
    ParRefused,
    /// The session store (database) is unavailable (503).
    StoreUnavailable,
    /// Request malformed (400).
    BadRequest,
    /// No such route or resource (404).
    NotFound,
    /// Method not allowed on this route (405).
    MethodNotAllowed,
    /// Request body too large (413).
    PayloadTooLarge,
    /// Too many requests from this address (429, with `Retry-After`).
    RateLimited,
    /// Anything else (500); the message is opaque, the log has the cause.
    Internal,
    /// A code this build does not know (a newer server); never sent by this one.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The code as it appears on the wire (and in `?login_error=`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CsrfRejected => "csrf_rejected",
            ErrorCode::LoginTransactionInvalid => "login_transaction_invalid",
            ErrorCode::LoginExpired => "login_expired",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::LoginDenied => "login_denied",
            ErrorCode::LoginRefused => "login_refused",
            ErrorCode::BadCallback => "bad_callback",
            ErrorCode::InvalidIdToken => "invalid_id_token",
            ErrorCode::InvalidLogoutToken => "invalid_logout_token",
            ErrorCode::ProviderUnavailable => "provider_unavailable",
            ErrorCode::ProviderMisconfigured => "provider_misconfigured",
            ErrorCode::ParRefused => "par_refused",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// Reads a code from its wire form (a query parameter, say); unknown text is
    /// [`ErrorCode::Unknown`].
    pub fn parse(text: &str) -> Self {
        serde::Deserialize::deserialize(
            serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text),
        )
        .unwrap_or(ErrorCode::Unknown)
    }

    /// Every code, for exhaustive tests.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::CsrfRejected,
        ErrorCode::LoginTransactionInvalid,
        ErrorCode::LoginExpired,
        ErrorCode::AccessDenied,
        ErrorCode::LoginDenied,
        ErrorCode::LoginRefused,
        ErrorCode::BadCallback,
        ErrorCode::InvalidIdToken,
        ErrorCode::InvalidLogoutToken,
        ErrorCode::ProviderUnavailable,
        ErrorCode::ProviderMisconfigured,
        ErrorCode::ParRefused,
        ErrorCode::StoreUnavailable,
        ErrorCode::BadRequest,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unknown,
    ];
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_has_the_documented_shape() {
        let body = ErrorBody::new(ErrorCode::Unauthenticated, "Not signed in");
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "unauthenticated", "message": "Not signed in"}})
        );
    }

    #[test]
    fn every_code_serialises_as_its_wire_name_and_parses_back() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
            assert_eq!(ErrorCode::parse(code.as_str()), code);
            assert_eq!(code.to_string(), code.as_str());
        }
    }

    #[test]
    fn codes_this_build_does_not_know_are_unknown() {
        assert_eq!(ErrorCode::parse("brand_new_code"), ErrorCode::Unknown);
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"brand_new_code","message":"m"}}"#).unwrap();
        assert_eq!(body.error.code, ErrorCode::Unknown);
    }
}

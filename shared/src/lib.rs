//! The wire types both sides of the Backend-for-Frontend speak.
//!
//! The backend serialises these; the Yew SPA deserialises them. A test in
//! `backend/tests/api/me.rs` proves a live `/api/auth/me` body decodes into [`User`].

use serde::{Deserialize, Serialize};

/// Name of the anti-forgery header every SPA call to `/api` carries (value [`CSRF_HEADER_VALUE`]).
pub const CSRF_HEADER: &str = "X-CSRF";
/// Value of the anti-forgery header.
pub const CSRF_HEADER_VALUE: &str = "1";

/// The signed-in user as `/api/auth/me` reports it: chosen claims only, never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The provider's subject identifier (unique per issuer).
    pub sub: String,
    /// The issuer that vouched for this user.
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Absolute `https:` (or `http:` in development) URL of the user's picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Roles from the configured roles claim (empty when the provider sends none).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Permissions (Auth0 RBAC `permissions`), empty when the provider sends none.
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl User {
    /// What to greet the user with: the name, else the email, else the subject.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or(&self.sub)
    }
}

/// Every error under `/api` has this body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable code (see [`error_code`]).
    pub code: String,
    /// Human-readable text the SPA may show.
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

/// The stable error codes of the API. The SPA switches on these, so they never change meaning.
pub mod error_code {
    /// No live session (401).
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    /// Signed in, but not allowed (403).
    pub const FORBIDDEN: &str = "forbidden";
    /// The anti-forgery header is missing or the request is cross-site (403).
    pub const CSRF_REJECTED: &str = "csrf_rejected";
    /// The login transaction is missing, expired, already used or does not match (400).
    pub const LOGIN_TRANSACTION_INVALID: &str = "login_transaction_invalid";
    /// The provider answered the authorization request with an error (400).
    pub const LOGIN_DENIED: &str = "login_denied";
    /// The callback query is malformed (400).
    pub const BAD_CALLBACK: &str = "bad_callback";
    /// The provider's tokens failed verification (400).
    pub const INVALID_ID_TOKEN: &str = "invalid_id_token";
    /// A back-channel logout token failed validation (400, OpenID Back-Channel Logout 2.8).
    pub const INVALID_LOGOUT_TOKEN: &str = "invalid_logout_token";
    /// The identity provider could not be reached or misbehaved (502/503/504).
    pub const PROVIDER_UNAVAILABLE: &str = "provider_unavailable";
    /// The identity provider's discovery document or keys are unacceptable (503).
    pub const PROVIDER_MISCONFIGURED: &str = "provider_misconfigured";
    /// The session store (database) is unavailable (503).
    pub const STORE_UNAVAILABLE: &str = "store_unavailable";
    /// Request malformed (400).
    pub const BAD_REQUEST: &str = "bad_request";
    /// No such route (404).
    pub const NOT_FOUND: &str = "not_found";
    /// Method not allowed on this route (405).
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// Request body too large (413).
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// Anything else (500); the message is opaque, the log has the cause.
    pub const INTERNAL: &str = "internal";
}

/// Answer of `POST /api/auth/logout`: where the browser should go next (the provider's
/// logout endpoint, or the app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutResponse {
    pub redirect_to: String,
}

/// One live session, as the admin page lists it (`GET /api/admin/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The user's id in this app (a UUID), for revocation.
    pub user_id: String,
    pub sub: String,
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub last_seen_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// Answer of `POST /api/admin/users/{user_id}/revoke-sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeResult {
    /// How many sessions ended.
    pub revoked: u64,
}

/// Paths of the auth API, shared so neither side hard-codes them twice.
pub mod routes {
    pub const LOGIN: &str = "/api/auth/login";
    pub const CALLBACK: &str = "/api/auth/callback";
    pub const LOGOUT: &str = "/api/auth/logout";
    pub const ME: &str = "/api/auth/me";
    pub const BACKCHANNEL_LOGOUT: &str = "/api/auth/backchannel-logout";
    /// Admin (role `admin`): every live session.
    pub const ADMIN_SESSIONS: &str = "/api/admin/sessions";

    /// Admin (role `admin`): end every session of a user (POST).
    pub fn admin_revoke_sessions(user_id: &str) -> String {
        format!("/api/admin/users/{user_id}/revoke-sessions")
    }
}

/// Query parameter the SPA reads after a failed login (`/?login_error=<code>`).
pub const LOGIN_ERROR_PARAM: &str = "login_error";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ErrorBody::new(error_code::UNAUTHENTICATED, "Not signed in");
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "unauthenticated", "message": "Not signed in"}})
        );
    }

    #[test]
    fn user_without_optional_claims_round_trips() {
        let json = r#"{"sub":"abc","issuer":"https://idp.example/"}"#;
        let user: User = serde_json::from_str(json).unwrap();
        assert_eq!(user.display_name(), "abc");
        assert!(user.roles.is_empty());
        let back = serde_json::to_string(&user).unwrap();
        assert_eq!(serde_json::from_str::<User>(&back).unwrap(), user);
    }

    #[test]
    fn display_name_prefers_name_then_email() {
        let mut user: User = serde_json::from_str(r#"{"sub":"s","issuer":"i"}"#).unwrap();
        user.email = Some("a@example.com".into());
        assert_eq!(user.display_name(), "a@example.com");
        user.name = Some("Ada".into());
        assert_eq!(user.display_name(), "Ada");
    }
}

//! What a signed-in session holds, behind a typed wrapper over actix-session's `Session`.

use std::future::{ready, Ready};

use actix_session::{Session, SessionExt};
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store::AUTH_KEY;
use crate::error::ApiError;

/// The signed-in state. Tokens are sealed (encrypted) before they are put here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSession {
    pub user_id: Uuid,
    pub user: shared::User,
    /// The provider's session id (`sid` claim), for back-channel logout.
    pub sid: Option<String>,
    /// The ID token, sealed with the app's keys (for `id_token_hint` at logout).
    pub id_token_sealed: String,
    /// Unix seconds.
    pub authenticated_at: i64,
    pub user_agent: Option<String>,
    /// The access and refresh tokens ([`StoredTokens`]), sealed; `None` for sessions from
    /// before they were kept.
    #[serde(default)]
    pub tokens_sealed: Option<String>,
}

/// The tokens for calling APIs on the user's behalf. Only ever stored sealed
/// (`Keyring::seal` with [`StoredTokens::SEAL_CONTEXT`]); never logged (no `Debug` of values).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Unix seconds, when the provider said.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl StoredTokens {
    pub const SEAL_CONTEXT: &'static [u8] = b"tokens";
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The session as this app uses it: signed in or not.
pub struct TypedSession(Session);

impl TypedSession {
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    pub fn auth(&self) -> Result<Option<AuthSession>, ApiError> {
        // A state written by another version of the app that no longer parses counts as
        // signed out, not as an error.
        Ok(self.0.get::<AuthSession>(AUTH_KEY).unwrap_or(None))
    }

    /// Signs in: a brand-new session id (the old session, if any, is deleted) holding `auth`
    /// and nothing else.
    pub fn begin(&self, auth: &AuthSession) -> Result<(), ApiError> {
        self.0.clear();
        self.0
            .insert(AUTH_KEY, auth)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("session state: {e}")))?;
        self.0.renew();
        Ok(())
    }

    /// Signs out: the row is deleted and the cookie cleared when the response goes out.
    pub fn end(&self) {
        self.0.purge();
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(TypedSession(req.get_session())))
    }
}

//! `GET /api/auth/me`: the signed-in user's chosen claims; never a token.
//!
//! With `AUTH0_REFRESH_TOKENS` on, it also keeps the session's tokens fresh: a session whose
//! refresh token the provider refuses ends here (401), so the SPA never shows a session that
//! looks alive with dead tokens. A provider outage does not end it.

use actix_web::{web, HttpRequest};

use super::current_user::CurrentUser;
use crate::{
    crypto::sha256,
    error::ApiError,
    session::{cookie_guard::SessionCookieKeys, TypedSession},
    state::AppState,
    tokens,
};

pub async fn me(
    CurrentUser(auth): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    keys: web::Data<SessionCookieKeys>,
    session: TypedSession,
) -> Result<web::Json<shared::User>, ApiError> {
    if state.config.refresh_tokens {
        if let Some(key) = keys.session_key(&req) {
            match tokens::fresh_tokens(&state, &sha256(key.as_bytes()), &auth).await {
                Ok(_) => {}
                Err(ApiError::Unauthenticated) => {
                    session.end(); // the row is gone already; clear the cookie too
                    return Err(ApiError::Unauthenticated);
                }
                Err(e) => tracing::warn!(error = %e, "token refresh deferred"),
            }
        }
    }
    Ok(web::Json(auth.user))
}

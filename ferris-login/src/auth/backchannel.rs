//! `POST /api/auth/backchannel-logout`: OpenID Connect Back-Channel Logout 1.0.
//!
//! The provider POSTs a signed logout token; we end the sessions it names: by (issuer, sid)
//! when it carries `sid`, else every session of (issuer, sub) created before the token was
//! issued. A replayed token (`jti` seen before) is refused with 400. Success is 200 with
//! `Cache-Control: no-store`; any invalid token is 400; a database failure is 503 (never a
//! 200 for a logout that did not happen).

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use time::OffsetDateTime;

use super::login::provider_error;
use crate::{
    error::ApiError,
    oidc::{
        jws::JwsError,
        logout_token::{self, Expectations, LogoutRequest, LogoutTokenError, MAX_AGE},
        Provider,
    },
    state::AppState,
};

pub async fn backchannel_logout(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(ApiError::BadRequest("expected a form-encoded body"));
    }
    let mut tokens = url::form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned());
    let (Some(token), None) = (tokens.next(), tokens.next()) else {
        return Err(ApiError::BadRequest("exactly one logout_token is required"));
    };

    let provider = state.provider.get().await.map_err(provider_error)?;
    let now = state.clock.now();
    let verify = |provider: &Provider| {
        logout_token::verify(
            &token,
            provider,
            &state.allowed_algs,
            &Expectations {
                issuer: &provider.issuer,
                client_id: &state.config.client_id,
                now: now.unix_timestamp(),
                leeway: state.config.id_token_leeway,
            },
        )
    };
    let mut verified = verify(&provider);
    if matches!(verified, Err(LogoutTokenError::Signature(JwsError::NoKey))) {
        // The provider may have rotated its keys since we fetched them.
        let (provider, changed) = state.provider.refresh_keys(&provider).await;
        if changed {
            verified = verify(&provider);
        }
    }
    let request = verified.map_err(|e| ApiError::InvalidLogoutToken(e.to_string()))?;

    let ended = end_sessions(&state, &request, now).await?;
    tracing::info!(sessions = ended, "back-channel logout");
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Ends the named sessions and remembers the `jti`.
async fn end_sessions(
    state: &AppState,
    request: &LogoutRequest,
    now: OffsetDateTime,
) -> Result<u64, ApiError> {
    let leeway = state.config.id_token_leeway.as_secs() as i64;
    // Remembered until the token could no longer be accepted (`exp`, or `iat` plus the
    // largest age we accept), plus the leeway. Saturating: no claim value can wrap this into
    // the past.
    let accepted_until = request
        .expires_at
        .max(request.issued_at.saturating_add(MAX_AGE.as_secs() as i64))
        .saturating_add(leeway);
    let remember_until = OffsetDateTime::from_unix_timestamp(accepted_until)
        .unwrap_or(now + time::Duration::seconds(MAX_AGE.as_secs() as i64 + leeway))
        .max(now);
    let issued_at = OffsetDateTime::from_unix_timestamp(request.issued_at.saturating_add(leeway))
        .unwrap_or(now);

    // The `jti` is remembered in a transaction that commits only once the sessions ended: a
    // failure between leaves it unremembered, so the provider's retry is not refused as a
    // replay. A concurrent delivery of the same token waits on the row and is refused.
    let mut tx = state.pool.begin().await?;
    let fresh = sqlx::query(
        "INSERT INTO backchannel_logout_jtis (issuer, jti, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&request.issuer)
    .bind(&request.jti)
    .bind(remember_until)
    .execute(&mut *tx)
    .await?;
    if fresh.rows_affected() == 0 {
        return Err(ApiError::InvalidLogoutToken("replayed jti".into()));
    }
    let sessions = &state.sessions;
    let ended = match (&request.sid, &request.sub) {
        (Some(sid), sub) => {
            sessions
                .end_provider_session(&request.issuer, sid, sub.as_deref())
                .await?
        }
        (None, Some(sub)) => {
            sessions
                .end_subject_sessions(&request.issuer, sub, issued_at)
                .await?
        }
        (None, None) => return Err(ApiError::InvalidLogoutToken("neither sub nor sid".into())),
    };
    tx.commit().await?;
    Ok(ended)
}

/// Forgets remembered logout-token ids once their tokens have expired.
pub async fn sweep_remembered_jtis(pool: &sqlx::PgPool, now: OffsetDateTime) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM backchannel_logout_jtis WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

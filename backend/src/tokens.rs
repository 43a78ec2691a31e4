//! Keeping a session's access token fresh with its refresh token.
//!
//! - Exactly one refresh grant for any number of concurrent requests of one session, on one
//!   process or many: the refresh runs under a row lock (`SELECT … FOR UPDATE`) on the
//!   session, and whoever gets the lock first re-checks expiry; late requests get the tokens
//!   the first one stored (the grace window is the lock: nobody ever presents a refresh token
//!   that another request has already rotated).
//! - A rotated refresh token is stored (sealed) in the same transaction.
//! - A terminal failure (`invalid_grant`, or a refreshed ID token naming another `iss`, `sub`
//!   or `aud`) deletes the session: the next request is anonymous. A transient failure
//!   (provider down) leaves everything as it was.

use openidconnect::{
    core::CoreErrorResponseType, Nonce, OAuth2TokenResponse, RefreshToken, RequestTokenError,
    TokenResponse as _,
};
use time::OffsetDateTime;

use crate::{
    error::ApiError,
    oidc::{http::FetchError, Provider},
    session::{AuthSession, StoredTokens},
    state::AppState,
};

/// The session's tokens, refreshed first if the access token expires within the buffer.
/// `Ok(None)`: the session keeps no tokens. `Err(Unauthenticated)`: the session is gone (now).
pub async fn fresh_tokens(
    state: &AppState,
    session_hash: &[u8],
    auth: &AuthSession,
) -> Result<Option<StoredTokens>, ApiError> {
    let now = state.clock.now();
    let Some(tokens) = stored_tokens(state, session_hash).await? else {
        return Ok(None);
    };
    if !state.config.refresh_tokens || !needs_refresh(state, &tokens, now) {
        return Ok(Some(tokens));
    }
    refresh_locked(state, session_hash, auth).await.map(Some)
}

/// The session's tokens as stored (not refreshed). `Ok(None)`: it keeps none.
/// `Err(Unauthenticated)`: there is no such session.
pub async fn stored_tokens(
    state: &AppState,
    session_hash: &[u8],
) -> Result<Option<StoredTokens>, ApiError> {
    let sealed: Option<Option<String>> =
        sqlx::query_scalar("SELECT tokens_sealed FROM sessions WHERE id_hash = $1")
            .bind(session_hash)
            .fetch_optional(&state.pool)
            .await?;
    let sealed = sealed.ok_or(ApiError::Unauthenticated)?;
    Ok(sealed.and_then(|s| open(state, &s)))
}

fn open(state: &AppState, sealed: &str) -> Option<StoredTokens> {
    state
        .keys
        .open(StoredTokens::SEAL_CONTEXT, sealed)
        .and_then(|json| serde_json::from_slice(&json).ok())
}

fn needs_refresh(state: &AppState, tokens: &StoredTokens, now: OffsetDateTime) -> bool {
    let buffer = state.config.refresh_buffer.as_secs() as i64;
    tokens.refresh_token.is_some()
        && tokens
            .expires_at
            .is_some_and(|at| at <= now.unix_timestamp() + buffer)
}

async fn refresh_locked(
    state: &AppState,
    session_hash: &[u8],
    auth: &AuthSession,
) -> Result<StoredTokens, ApiError> {
    let mut tx = state.pool.begin().await?;
    let now = state.clock.now();
    let sealed: Option<Option<String>> = sqlx::query_scalar(
        "SELECT tokens_sealed FROM sessions \
         WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2 \
         FOR UPDATE",
    )
    .bind(session_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(sealed) = sealed else {
        return Err(ApiError::Unauthenticated); // ended meanwhile
    };
    let Some(current) = sealed.and_then(|s| open(state, &s)) else {
        return Err(ApiError::Unauthenticated);
    };
    if !needs_refresh(state, &current, now) {
        // Another request refreshed while we waited for the lock.
        return Ok(current);
    }
    let Some(refresh_token) = current.refresh_token.clone() else {
        return Ok(current);
    };
    let provider = state
        .provider
        .get()
        .await
        .map_err(crate::auth::login::provider_error)?;
    let refresh_token = RefreshToken::new(refresh_token);
    let request = provider
        .client
        .exchange_refresh_token(&refresh_token)
        .map_err(|e| ApiError::ProviderUnavailable(e.into()))?;
    let response = match request.request_async(state.provider.http()).await {
        Ok(response) => response,
        Err(RequestTokenError::ServerResponse(err))
            if *err.error() == CoreErrorResponseType::InvalidGrant =>
        {
            tracing::info!("refresh token refused (invalid_grant): ending the session");
            end_session(&mut tx, session_hash).await?;
            tx.commit().await?;
            return Err(ApiError::Unauthenticated);
        }
        Err(RequestTokenError::Request(FetchError::Timeout)) => {
            return Err(ApiError::ProviderTimeout)
        }
        Err(e) => {
            return Err(ApiError::ProviderUnavailable(anyhow::anyhow!(
                "refresh failed: {e}"
            )))
        }
    };
    if let Some(id_token) = response.id_token() {
        if let Err(why) = same_identity(state, &provider, id_token, auth, now) {
            tracing::warn!(
                why,
                "refreshed ID token names another identity: ending the session"
            );
            end_session(&mut tx, session_hash).await?;
            tx.commit().await?;
            return Err(ApiError::Unauthenticated);
        }
    }
    let tokens = StoredTokens {
        access_token: response.access_token().secret().clone(),
        // Rotation: the new refresh token replaces the old; without one, the old stays valid.
        refresh_token: response
            .refresh_token()
            .map(|t| t.secret().clone())
            .or_else(|| Some(refresh_token.secret().clone())),
        expires_at: response
            .expires_in()
            .map(|d| now.unix_timestamp() + d.as_secs() as i64),
    };
    let json = serde_json::to_vec(&tokens)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("tokens: {e}")))?;
    sqlx::query("UPDATE sessions SET tokens_sealed = $2 WHERE id_hash = $1")
        .bind(session_hash)
        .bind(state.keys.seal(StoredTokens::SEAL_CONTEXT, &json))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!("access token refreshed");
    Ok(tokens)
}

async fn end_session(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    session_hash: &[u8],
) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(session_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// OpenID Connect Core 12.2: a refreshed ID token must keep `iss` and `sub`, name this
/// client in `aud`, and (if present) `azp`; its signature and expiry are checked as at login.
fn same_identity(
    state: &AppState,
    provider: &Provider,
    id_token: &openidconnect::IdToken<
        crate::oidc::provider::ExtraClaims,
        openidconnect::core::CoreGenderClaim,
        openidconnect::core::CoreJweContentEncryptionAlgorithm,
        openidconnect::core::CoreJwsSigningAlgorithm,
    >,
    auth: &AuthSession,
    now: OffsetDateTime,
) -> Result<(), &'static str> {
    let leeway = time::Duration::try_from(state.config.id_token_leeway).unwrap_or_default();
    let exp_now =
        chrono::DateTime::from_timestamp((now - leeway).unix_timestamp(), 0).unwrap_or_default();
    let verifier = provider
        .client
        .id_token_verifier()
        .set_allowed_algs(state.allowed_algs.iter().cloned())
        .set_time_fn(move || exp_now);
    // A refreshed ID token carries no nonce (none was sent).
    let no_nonce = |_: Option<&Nonce>| Ok(());
    let claims = id_token
        .claims(&verifier, no_nonce)
        .map_err(|_| "the refreshed ID token does not verify")?;
    if claims.issuer().as_str() != auth.user.issuer {
        return Err("iss changed");
    }
    if claims.subject().as_str() != auth.user.sub {
        return Err("sub changed");
    }
    if claims
        .authorized_party()
        .is_some_and(|azp| azp.as_str() != state.config.client_id)
    {
        return Err("azp names another client");
    }
    Ok(())
}

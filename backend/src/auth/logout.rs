//! Logout: ends the server-side session (row deleted, cookie cleared) and says where the
//! browser goes next: the provider's `end_session_endpoint` (with `id_token_hint` and
//! `post_logout_redirect_uri`), Auth0's `/v2/logout` when the tenant has no RP-initiated
//! logout, else the app.
//!
//! `POST` (with the anti-forgery header, checked by the CSRF middleware) answers JSON.
//! `GET` works for a same-origin navigation (the seed's plain link) and redirects; a
//! cross-site GET logs nobody out.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use url::Url;

use super::{login::first_param, return_to::ReturnTo};
use crate::{
    crypto::sha256,
    error::ApiError,
    oidc::revocation,
    session::{cookie_guard::SessionCookieKeys, AuthSession, TypedSession},
    state::AppState,
    tokens,
};

pub async fn logout_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
) -> Result<HttpResponse, ApiError> {
    let redirect_to = end_session(&req, &state, &session).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(shared::LogoutResponse { redirect_to }))
}

pub async fn logout_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
) -> Result<HttpResponse, ApiError> {
    if !is_same_origin_navigation(&req, &state.config.base_url.origin()) {
        return Err(ApiError::CsrfRejected(
            "logout by GET must be a same-origin navigation",
        ));
    }
    let redirect_to = end_session(&req, &state, &session).await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, redirect_to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// A same-origin navigation: `Sec-Fetch-Site: same-origin`, or, from a browser that does not
/// send fetch metadata, a `Referer` on our origin. Anything else is refused.
fn is_same_origin_navigation(req: &HttpRequest, origin: &str) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    match header("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => header("referer")
            .and_then(|r| Url::parse(r).ok())
            .is_some_and(|r| r.origin().ascii_serialization() == origin),
    }
}

async fn end_session(
    req: &HttpRequest,
    state: &AppState,
    session: &TypedSession,
) -> Result<String, ApiError> {
    let auth = session.auth()?;
    if auth.is_some() {
        revoke_refresh_token(req, state).await;
    }
    session.end();
    let return_to = ReturnTo::parse_or_root(
        first_param(req.query_string(), "returnTo").as_deref(),
        &state.config.base_url,
    );
    let app_url = state.config.base_url.join_path(return_to.as_str());
    let Some(auth) = auth else {
        return Ok(app_url);
    };
    tracing::info!(user_id = %auth.user_id, "logout");
    Ok(provider_logout_url(state, &auth).unwrap_or(app_url))
}

/// Revokes the session's refresh token at the provider (RFC 7009), if it has one and the
/// provider offers revocation. Best effort: logout goes on whatever happens here.
async fn revoke_refresh_token(req: &HttpRequest, state: &AppState) {
    let Some(keys) = req.app_data::<web::Data<SessionCookieKeys>>() else {
        return;
    };
    let Some(key) = keys.session_key(req) else {
        return;
    };
    let Some(refresh_token) = tokens::stored_tokens(state, &sha256(key.as_bytes()))
        .await
        .ok()
        .flatten()
        .and_then(|t| t.refresh_token)
    else {
        return;
    };
    let Some(provider) = state.provider.cached() else {
        return;
    };
    match revocation::revoke_refresh_token(
        &provider,
        state.provider.http(),
        &state.config,
        &refresh_token,
    )
    .await
    {
        Ok(true) => tracing::info!("refresh token revoked at the provider"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "refresh token revocation failed"),
    }
}

fn provider_logout_url(state: &AppState, auth: &AuthSession) -> Option<String> {
    let provider = state.provider.cached()?;
    let post_logout = state.config.base_url.join_path("/");
    let client_id = state.config.client_id.as_str();
    if let Some(endpoint) = &provider.end_session_endpoint {
        let mut url = endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            if let Some(id_token) = state
                .keys
                .open(b"id_token", &auth.id_token_sealed)
                .and_then(|raw| String::from_utf8(raw).ok())
            {
                query.append_pair("id_token_hint", &id_token);
            }
            query
                .append_pair("post_logout_redirect_uri", &post_logout)
                .append_pair("client_id", client_id);
        }
        return Some(url.into());
    }
    // Auth0 tenants without RP-initiated logout enabled: the legacy endpoint.
    let issuer = Url::parse(&provider.issuer).ok()?;
    if issuer.host_str().is_some_and(|h| h.ends_with(".auth0.com")) {
        let mut url = issuer.join("/v2/logout").ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("returnTo", &post_logout);
        return Some(url.into());
    }
    None
}

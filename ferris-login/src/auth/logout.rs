//! Logout: ends the server-side session (row deleted, cookie cleared) and says where the
//! browser goes next: the provider's `end_session_endpoint` (with `id_token_hint` and
//! `post_logout_redirect_uri`), Auth0's `/v2/logout` when the tenant has no RP-initiated
//! logout, else the app.
//!
//! `?returnTo=/path` brings the browser back to that same-origin path, after the provider's
//! logout too (`logout_return`).
//!
//! `POST` (with the anti-forgery header, checked by the CSRF middleware) answers JSON.
//! `GET` works for a same-origin top-level navigation (the seed's plain link: fetch metadata
//! `Sec-Fetch-Site: same-origin` and `Sec-Fetch-Mode: navigate`) and redirects; anything else,
//! an `<img>` on our own pages included, logs nobody out. (The app sends
//! `Referrer-Policy: no-referrer`, so a `Referer` can never stand in for fetch metadata.)

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use url::Url;

use super::{login::first_param, logout_return, navigation, return_to::ReturnTo};
use crate::{
    config::LogoutStrategy,
    error::ApiError,
    oidc::revocation,
    session::{OptionalSession, SessionCookie},
    state::AppState,
};

pub async fn logout_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: OptionalSession,
    cookie: SessionCookie,
) -> Result<HttpResponse, ApiError> {
    let next = end_session(&req, &state, session, &cookie).await?;
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(remember) = next.remember {
        response.cookie(remember);
    }
    Ok(response.json(shared::LogoutResponse {
        redirect_to: next.redirect_to,
    }))
}

pub async fn logout_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Result<OptionalSession, ApiError>,
    cookie: SessionCookie,
) -> HttpResponse {
    let outcome = async {
        if !is_same_origin_navigation(&req) {
            return Err(ApiError::CsrfRejected(
                "logout by GET must be a same-origin top-level navigation",
            ));
        }
        end_session(&req, &state, session?, &cookie).await
    }
    .await;
    match outcome {
        Ok(next) => {
            let mut response = HttpResponse::Found();
            response
                .insert_header((header::LOCATION, next.redirect_to))
                .insert_header((header::CACHE_CONTROL, "no-store"));
            if let Some(remember) = next.remember {
                response.cookie(remember);
            }
            response.finish()
        }
        Err(err) => navigation::failure_response(&req, &state.config.base_url, &err),
    }
}

/// A same-origin top-level navigation, by its fetch metadata. Without fetch metadata (very old
/// browsers), nothing tells a click from an `<img>`: refused.
fn is_same_origin_navigation(req: &HttpRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    header("sec-fetch-site") == Some("same-origin") && header("sec-fetch-mode") == Some("navigate")
}

/// Where the browser goes after logout, and the cookie that brings it back to its page after
/// the provider's logout.
pub(crate) struct Next {
    pub redirect_to: String,
    pub remember: Option<actix_web::cookie::Cookie<'static>>,
}

/// Ends the caller's session (row first: a database failure is a 503 and the cookie stays),
/// clears the cookie, revokes the refresh token (best effort) and says where to go next.
async fn end_session(
    req: &HttpRequest,
    state: &AppState,
    OptionalSession(session): OptionalSession,
    cookie: &SessionCookie,
) -> Result<Next, ApiError> {
    let return_to = ReturnTo::for_app(
        first_param(req.query_string(), "returnTo").as_deref(),
        &state.config,
    );
    end(state, session.as_deref(), cookie, return_to).await
}

/// Ends `session` (if any) and clears the cookie; where the browser goes next, back to
/// `return_to` in the end.
pub(crate) async fn end(
    state: &AppState,
    session: Option<&crate::session::SessionView>,
    cookie: &SessionCookie,
    return_to: ReturnTo,
) -> Result<Next, ApiError> {
    let app_url = state.config.base_url.join_path(return_to.as_str());
    let Some(session) = session else {
        cookie.end();
        return Ok(Next {
            redirect_to: app_url,
            remember: None,
        });
    };
    let kept = state.sessions.tokens(session.id).await?;
    state.sessions.end(session.id).await?;
    cookie.end();
    tracing::info!(session = %session.id, user_id = %session.user_id, "logout");
    let (id_token, refresh_token) = match kept {
        Some(kept) => (kept.id_token, kept.tokens.and_then(|t| t.refresh_token)),
        None => (None, None),
    };
    if let Some(refresh_token) = refresh_token {
        revoke_refresh_token(state, &refresh_token).await;
    }
    Ok(match provider_logout_url(state, id_token.as_deref()) {
        Some(provider_url) => Next {
            redirect_to: provider_url,
            // The provider comes back to `/`; from there, to the page.
            remember: (return_to.as_str() != "/").then(|| {
                logout_return::remember(
                    &state.keys,
                    state.config.base_url.is_https(),
                    &return_to,
                    state.clock.now().unix_timestamp(),
                )
            }),
        },
        None => Next {
            redirect_to: app_url,
            remember: None,
        },
    })
}

/// Revokes a refresh token at the provider (RFC 7009), if it offers revocation. Best effort:
/// the session is already over whatever happens here.
async fn revoke_refresh_token(state: &AppState, refresh_token: &str) {
    let Some(provider) = state.provider.cached() else {
        return;
    };
    match revocation::revoke_refresh_token(
        &provider,
        state.provider.http(),
        refresh_token,
    )
    .await
    {
        Ok(true) => tracing::info!("refresh token revoked at the provider"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "refresh token revocation failed"),
    }
}

fn provider_logout_url(state: &AppState, id_token: Option<&str>) -> Option<String> {
    let provider = state.provider.cached()?;
    let post_logout = state.config.base_url.join_path("/");
    let client_id = state.config.client_id.as_str();
    let rp_initiated = || {
        let mut url = provider.end_session_endpoint.clone()?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(id_token) = id_token {
                query.append_pair("id_token_hint", id_token);
            }
            query
                .append_pair("post_logout_redirect_uri", &post_logout)
                .append_pair("client_id", client_id);
        }
        Some(String::from(url))
    };
    // Auth0 tenants without RP-initiated logout enabled: the legacy endpoint.
    let auth0_v2 = || {
        let issuer = Url::parse(&provider.issuer).ok()?;
        let mut url = issuer.join("/v2/logout").ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("returnTo", &post_logout);
        Some(String::from(url))
    };
    match state.config.logout_strategy {
        LogoutStrategy::Auto => rp_initiated().or_else(|| {
            Url::parse(&provider.issuer)
                .ok()
                .filter(|issuer| issuer.host_str().is_some_and(|h| h.ends_with(".auth0.com")))
                .and_then(|_| auth0_v2())
        }),
        LogoutStrategy::Oidc => rp_initiated(),
        LogoutStrategy::Auth0V2 => auth0_v2(),
        LogoutStrategy::Local => None,
    }
}

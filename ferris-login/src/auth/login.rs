//! `GET /api/auth/login?returnTo=/path`: starts the authorization-code flow (PKCE S256,
//! state, nonce), passing on the allowed authorization parameters (`LoginOptions`). Writes
//! nothing to the database; the transaction travels in a sealed cookie. A browser that cannot
//! be sent to the provider lands on the SPA's explanation, never on a JSON page.
//!
//! A login started by another site's link is first bounced through a page of ours (see
//! [`navigation::reload_from_our_origin`]), so the browser's current session, whose cookie is `SameSite=Strict`, is known
//! and ended at the callback instead of being left orphaned.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use openidconnect::{core::CoreAuthenticationFlow, CsrfToken, Nonce, PkceCodeChallenge, Scope};

use super::{
    login_options::LoginOptions, navigation, return_to::ReturnTo, transaction::LoginTransaction,
};
use crate::{
    error::{ApiError, Cause},
    oidc::{
        http::FetchError,
        par::{self, ParError},
        provider::DiscoveryError,
    },
    session::OptionalSession,
    state::AppState,
};

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Result<OptionalSession, ApiError>,
) -> HttpResponse {
    let has_session = matches!(&session, Ok(OptionalSession(Some(_))));
    // A link on another site withholds the cookie: the login could not know, and at its
    // callback end, the session this browser already has (orphaned until it expires).
    if !has_session && navigation::is_from_another_site(&req) {
        return navigation::reload_from_our_origin();
    }
    match start(&req, &state, session).await {
        Ok(response) => response,
        Err(err) => navigation::failure_response(&req, &state.config.base_url, &err),
    }
}

async fn start(
    req: &HttpRequest,
    state: &AppState,
    session: Result<OptionalSession, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let options = LoginOptions::parse(req.query_string())?;
    let provider = state.provider.get().await.map_err(provider_error)?;
    let requested = first_param(req.query_string(), "returnTo");
    let return_to = ReturnTo::for_app(requested.as_deref(), &state.config);

    let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = provider
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(pkce_challenge);
    for scope in state.config.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    if let Some(audience) = &state.config.audience {
        request = request.add_extra_param("audience", audience.clone());
    }
    for (name, value) in &options.params {
        request = request.add_extra_param(*name, value.clone());
    }
    let (url, csrf_state, nonce) = request.url();
    // RFC 9126: the parameters go to the provider directly; the browser carries only
    // `client_id` and `request_uri`.
    let url = match &provider.par_endpoint {
        Some(endpoint) => {
            // The provider checks the client assertion against real time, not the app's clock.
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            par::push(&provider, state.provider.http(), endpoint, &url, now)
                .await
                .map_err(par_error)?
        }
        None => url,
    };

    let txn = LoginTransaction {
        state: csrf_state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: pkce_verifier.secret().clone(),
        return_to,
        created_at: state.clock.now().unix_timestamp(),
        // Ended at the callback (a new login always gets a new session). Unknown when the
        // store cannot tell: the login goes on.
        previous_session: session.ok().and_then(|s| s.0).map(|view| view.id),
        max_age: options.max_age,
        organization: options
            .params
            .iter()
            .find(|(name, _)| *name == "organization")
            .map(|(_, value)| value.clone()),
    };
    let mut response = HttpResponse::Found();
    response
        .insert_header((header::LOCATION, url.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    for eviction in state.txn_cookies.evictions(req, &state.keys) {
        response.cookie(eviction);
    }
    response.cookie(state.txn_cookies.write(&state.keys, &txn));
    Ok(response.finish())
}

fn par_error(err: ParError) -> ApiError {
    match err {
        ParError::Refused { .. } => ApiError::ParRefused(err.to_string()),
        ParError::Fetch(FetchError::Timeout) => ApiError::ProviderTimeout,
        err => ApiError::ProviderUnavailable(Cause::new(err)),
    }
}

pub(crate) fn provider_error(err: DiscoveryError) -> ApiError {
    match err {
        DiscoveryError::Invalid(why) | DiscoveryError::Incompatible(why) => {
            ApiError::ProviderMisconfigured(why)
        }
        err if err.is_timeout() => ApiError::ProviderTimeout,
        err => ApiError::ProviderUnavailable(Cause::new(err)),
    }
}

/// The first value of `name` in a query string (decoded), if any.
pub(crate) fn first_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

//! `GET /api/auth/login?returnTo=/path`: starts the authorization-code flow (PKCE S256,
//! state, nonce), passing on the allowed authorization parameters (`LoginOptions`). Writes
//! nothing to the database; the transaction travels in a sealed cookie. A browser that cannot
//! be sent to the provider lands on the SPA's explanation, never on a JSON page.
//!
//! A login started by another site's link is first bounced through a page of ours (see
//! [`bounce`]), so the browser's current session, whose cookie is `SameSite=Strict`, is known
//! and ended at the callback instead of being left orphaned.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use openidconnect::{core::CoreAuthenticationFlow, CsrfToken, Nonce, PkceCodeChallenge, Scope};

use super::{
    login_options::LoginOptions, navigation, return_to::ReturnTo, transaction::LoginTransaction,
};
use crate::{
    error::{ApiError, Cause}, oidc::provider::DiscoveryError, session::OptionalSession, state::AppState,
};

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Result<OptionalSession, ApiError>,
) -> HttpResponse {
    let has_session = matches!(&session, Ok(OptionalSession(Some(_))));
    if !has_session && from_another_site(&req) {
        return bounce(&req);
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

/// A navigation that another site started (a link to `/api/auth/login` on someone else's
/// page). The browser withholds the `SameSite=Strict` session cookie from it, so the login
/// could not know, and at its callback end, the session this browser already has: that one
/// would live on, orphaned, until it expires.
fn from_another_site(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes() == b"cross-site")
}

/// Sends the navigation once through a page of ours: the navigation that page starts (a meta
/// refresh) is same-site, so the session cookie comes along and the login remembers it. It
/// starts nothing (no cookie, no provider call) and cannot loop: the second request is
/// same-origin.
fn bounce(req: &HttpRequest) -> HttpResponse {
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let target = html_escape(&target);
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"0;url={target}\">\
             <title>Signing in</title></head>\
             <body><a href=\"{target}\">Continue to sign in</a></body></html>"
        ))
}

fn html_escape(text: &str) -> String {
    text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
        out
    })
}

pub(crate) fn provider_error(err: DiscoveryError) -> ApiError {
    match err {
        DiscoveryError::Invalid(why) => ApiError::ProviderMisconfigured(why),
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

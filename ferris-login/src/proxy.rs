//! `/api/proxy/{name}/…`: calls an allow-listed downstream API (`API_PROXY_UPSTREAMS`) on the
//! signed-in user's behalf, as Duende BFF's remote APIs do: the access token is attached
//! (refreshed first when needed), the browser's cookies never leave, and nothing outside the
//! configured base URL can be reached: dot segments, encoded slashes or backslashes, and
//! anything that would change the host are refused before a request is made.

use actix_web::{
    http::{header, Method, StatusCode},
    web, HttpRequest, HttpResponse,
};
use url::Url;

use crate::{
    config::Upstream, error::ApiError, oidc::http::read_capped, session::CurrentSession,
    state::AppState,
};

/// Largest request body forwarded, and largest response body returned.
pub const MAX_BODY: usize = 1024 * 1024;
/// Below the API prefix.
const PREFIX: &str = "/proxy/";

/// Request headers passed on (everything else, cookies first, stays here).
const FORWARDED_REQUEST_HEADERS: [header::HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::ACCEPT,
    header::ACCEPT_LANGUAGE,
    header::IF_NONE_MATCH,
    header::IF_MATCH,
];
/// Response headers passed back.
const FORWARDED_RESPONSE_HEADERS: [header::HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::ETAG,
    header::LAST_MODIFIED,
    header::CONTENT_LANGUAGE,
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/proxy/{name}/{tail:.*}")
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .to(proxy),
    );
}

/// The upstream URL for a raw (still percent-encoded) request path, or why not.
/// `raw_path` is below the API prefix (`/proxy/<name>/...`).
pub fn target_url(upstreams: &[Upstream], raw_path: &str, query: &str) -> Result<Url, ApiError> {
    let rest = raw_path.strip_prefix(PREFIX).ok_or(ApiError::NotFound)?;
    let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let upstream = upstreams
        .iter()
        .find(|u| u.name == name)
        .ok_or(ApiError::NotFound)?;
    let lowered = tail.to_ascii_lowercase();
    let refused = tail.contains('\\')
        || tail.starts_with('/')
        || tail.contains("//")
        || lowered.contains("%2f")
        || lowered.contains("%5c")
        || lowered.contains("%00")
        // Path parameters: Java servers (Tomcat, Jetty, Spring) read `..;/` as `../`.
        || tail.contains(';')
        || lowered.contains("%3b")
        || tail.contains(':') && tail.split('/').next().is_some_and(|s| s.contains(':'))
        || tail.split('/').any(|segment| {
            let decoded = percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .to_string();
            decoded == "." || decoded == ".."
        })
        || tail.chars().any(|c| c.is_control() || c == ' ');
    if refused {
        return Err(ApiError::BadRequest("path not allowed by the proxy"));
    }
    let base = upstream.base.as_str().trim_end_matches('/');
    let mut target = format!("{base}/{tail}");
    if !query.is_empty() {
        target.push('?');
        target.push_str(query);
    }
    let url =
        Url::parse(&target).map_err(|_| ApiError::BadRequest("path not allowed by the proxy"))?;
    let base_path = upstream.base.path().trim_end_matches('/');
    if url.origin() != upstream.base.origin() || !url.path().starts_with(base_path) {
        return Err(ApiError::BadRequest("path not allowed by the proxy"));
    }
    Ok(url)
}

async fn proxy(
    session: CurrentSession,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let below_prefix = req
        .uri()
        .path()
        .strip_prefix(state.config.api_prefix.as_str())
        .ok_or(ApiError::NotFound)?;
    let url = target_url(&state.config.upstreams, below_prefix, req.query_string())?;
    if !matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        return Err(ApiError::MethodNotAllowed);
    }
    // `CurrentSession` refreshed the access token if it was due.
    let tokens = state
        .sessions
        .tokens(session.id())
        .await?
        .ok_or(ApiError::Unauthenticated)?
        .tokens
        .ok_or(ApiError::Unauthenticated)?;
    if tokens
        .expires_at
        .is_some_and(|at| at <= state.clock.now().unix_timestamp())
    {
        // Expired, and the refresh failed (provider down): an upstream 401 would read as
        // "signed out" in the SPA, which is not what happened.
        return Err(ApiError::ProviderUnavailable(anyhow::anyhow!(
            "the access token expired and could not be refreshed"
        ).into()));
    }

    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|_| ApiError::MethodNotAllowed)?;
    let mut outgoing = state
        .api_client
        .request(method, url)
        .bearer_auth(&tokens.access_token);
    for name in FORWARDED_REQUEST_HEADERS {
        if let Some(value) = req.headers().get(&name) {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    if !body.is_empty() {
        outgoing = outgoing.body(body.to_vec());
    }
    let response = outgoing.send().await.map_err(|e| {
        if e.is_timeout() {
            ApiError::ProviderTimeout
        } else {
            ApiError::ProviderUnavailable(anyhow::anyhow!("upstream: {e}").into())
        }
    })?;
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut builder = HttpResponse::build(if status.is_redirection() {
        // Never hand the browser a redirect chosen by the upstream.
        StatusCode::BAD_GATEWAY
    } else {
        status
    });
    for name in FORWARDED_RESPONSE_HEADERS {
        if let Some(value) = response.headers().get(name.as_str()) {
            builder.insert_header((name, value.as_bytes()));
        }
    }
    let body = read_capped(response, MAX_BODY)
        .await
        .map_err(|e| ApiError::ProviderUnavailable(anyhow::anyhow!("upstream: {e}").into()))?;
    Ok(builder.body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstreams() -> Vec<Upstream> {
        vec![Upstream {
            name: "api".into(),
            base: Url::parse("https://api.example.com/v1").unwrap(),
        }]
    }

    fn target(path: &str) -> Result<String, ApiError> {
        target_url(&upstreams(), path, "").map(|u| u.to_string())
    }

    #[test]
    fn paths_below_the_base_are_forwarded() {
        assert_eq!(
            target("/proxy/api/messages").unwrap(),
            "https://api.example.com/v1/messages"
        );
        assert_eq!(
            target("/proxy/api/").unwrap(),
            "https://api.example.com/v1/"
        );
        assert_eq!(
            target_url(&upstreams(), "/proxy/api/a%20b", "x=1&y=%2F")
                .unwrap()
                .as_str(),
            "https://api.example.com/v1/a%20b?x=1&y=%2F"
        );
    }

    #[test]
    fn escapes_are_refused() {
        for path in [
            "/proxy/api/../admin",
            "/proxy/api/%2e%2e/admin",
            "/proxy/api/.%2E/admin",
            "/proxy/api/a/%2F/b",
            "/proxy/api/a%2fb",
            "/proxy/api/a%5cb",
            "/proxy/api/a\\\\b",
            "/proxy/api//evil.example/x",
            "/proxy/api/https://evil.example/x",
            "/proxy/api/http:evil.example",
            "/proxy/api/./x",
            "/proxy/api/%00",
            "/proxy/api/..;/admin",
            "/proxy/api/%2e%2e;/admin",
            "/proxy/api/..%3b/admin",
            "/proxy/api/..%3B/admin",
            "/proxy/api/a;jsessionid=x",
        ] {
            assert!(target(path).is_err(), "{path}");
        }
    }

    #[test]
    fn at_signs_stay_in_the_path() {
        // `@host` cannot become userinfo: the base URL fixes the authority.
        let url = target("/proxy/api/@evil.example/x").unwrap();
        assert!(url.starts_with("https://api.example.com/v1/"), "{url}");
    }

    #[test]
    fn unknown_upstreams_are_not_found() {
        assert!(matches!(
            target("/proxy/other/x"),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(target("/proxy/"), Err(ApiError::NotFound)));
    }
}

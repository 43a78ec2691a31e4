//! Anti-forgery for `/api`: every request carries `X-CSRF: 1` (a custom header a cross-site
//! page cannot send without a CORS preflight, which we never grant) and is not cross-site by
//! `Sec-Fetch-Site` or `Origin`.
//!
//! Exempt: the navigation endpoints (`GET` login and callback; `GET` logout, which checks for
//! a same-origin navigation itself) and back-channel logout (called by the provider).

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web, ResponseError,
};
use shared::routes;

use crate::{config::DEFAULT_API_PREFIX, error::ApiError, state::AppState};

/// A route of `shared::routes` below the default prefix, as a path below the API prefix.
fn below_prefix(route: &'static str) -> &'static str {
    route.strip_prefix(DEFAULT_API_PREFIX).unwrap_or(route)
}

fn is_exempt(method: &Method, path: &str, prefix: &str) -> bool {
    let Some(path) = path.strip_prefix(prefix) else {
        return false;
    };
    let is = |route: &'static str| path == below_prefix(route);
    (method == Method::GET || method == Method::HEAD)
        && (is(routes::LOGIN) || is(routes::CALLBACK) || is(routes::LOGOUT))
        // Called by the provider, not the SPA (other methods get a plain 405).
        || is(routes::BACKCHANNEL_LOGOUT)
}

/// Why a request is refused, or `None` when it passes (`prefix`: where the API is mounted).
pub fn check(req: &ServiceRequest, our_origin: &str, prefix: &str) -> Option<&'static str> {
    if is_exempt(req.method(), req.path(), prefix) {
        return None;
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header(shared::CSRF_HEADER) != Some(shared::CSRF_HEADER_VALUE) {
        return Some("missing X-CSRF header");
    }
    if let Some(site) = header("sec-fetch-site") {
        if site != "same-origin" {
            return Some("cross-site request");
        }
    }
    if let Some(origin) = header("origin") {
        if origin != our_origin {
            return Some("foreign Origin");
        }
    }
    None
}

pub async fn require_same_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (origin, prefix) = state.as_ref().map_or(("", DEFAULT_API_PREFIX), |s| {
        (s.config.base_url.origin_str(), s.config.api_prefix.as_str())
    });
    if let Some(reason) = check(&req, origin, prefix) {
        let err = ApiError::CsrfRejected(reason);
        let response = err.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req).await.map(|res| res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    const ORIGIN: &str = "https://app.example.com";

    fn verdict(req: TestRequest) -> Option<&'static str> {
        check(&req.to_srv_request(), ORIGIN, "/api")
    }

    #[test]
    fn api_calls_need_the_header() {
        assert!(verdict(TestRequest::get().uri("/api/auth/me")).is_some());
        assert!(verdict(
            TestRequest::get()
                .uri("/api/auth/me")
                .insert_header(("X-CSRF", "0"))
        )
        .is_some());
        assert_eq!(
            verdict(
                TestRequest::get()
                    .uri("/api/auth/me")
                    .insert_header(("X-CSRF", "1"))
            ),
            None
        );
    }

    #[test]
    fn cross_site_requests_are_refused_even_with_the_header() {
        let req = TestRequest::post()
            .uri("/api/auth/logout")
            .insert_header(("X-CSRF", "1"))
            .insert_header(("Sec-Fetch-Site", "cross-site"));
        assert!(verdict(req).is_some());
        let req = TestRequest::post()
            .uri("/api/auth/logout")
            .insert_header(("X-CSRF", "1"))
            .insert_header(("Origin", "https://evil.example"));
        assert!(verdict(req).is_some());
        let req = TestRequest::post()
            .uri("/api/auth/logout")
            .insert_header(("X-CSRF", "1"))
            .insert_header(("Origin", "null"));
        assert!(verdict(req).is_some());
    }

    #[test]
    fn navigation_endpoints_and_backchannel_logout_are_exempt() {
        assert_eq!(verdict(TestRequest::get().uri("/api/auth/login")), None);
        assert_eq!(verdict(TestRequest::get().uri("/api/auth/callback")), None);
        assert_eq!(verdict(TestRequest::get().uri("/api/auth/logout")), None);
        assert_eq!(
            verdict(TestRequest::post().uri("/api/auth/backchannel-logout")),
            None
        );
        assert!(verdict(TestRequest::post().uri("/api/auth/logout")).is_some());
        assert!(verdict(TestRequest::post().uri("/api/auth/login")).is_some());
    }
}

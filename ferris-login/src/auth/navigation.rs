//! Browser navigations to the auth routes (login, callback, logout by link) never end on a
//! JSON page: a failure sends the browser back to the SPA with `?login_error=<code>`, where it
//! is explained with a next step. Other clients (fetch, curl) get the JSON error and its status.

use actix_web::{http::header, HttpRequest, HttpResponse, ResponseError};

use crate::{config::BaseUrl, error::ApiError};

/// A top-level browser navigation: `Sec-Fetch-Mode: navigate`, or, from a browser without fetch
/// metadata, one that accepts HTML.
pub fn is_navigation(req: &HttpRequest) -> bool {
    let header = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    match header(header::HeaderName::from_static("sec-fetch-mode")) {
        Some(mode) => mode == "navigate",
        None => header(header::ACCEPT).is_some_and(|v| v.contains("text/html")),
    }
}

/// A navigation that another site started (a link on someone else's page, the provider's
/// redirect): the browser withholds the `SameSite=Strict` session cookie from it. (A
/// same-site one, from a sibling subdomain, carries it.)
pub fn is_from_another_site(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes() == b"cross-site")
}

/// Loads the same address again, from a page of ours: that navigation is same-origin, so the
/// `SameSite=Strict` session cookie comes along. It starts nothing and cannot loop (the second
/// request is same-origin). A meta refresh, no script: the CSP allows none inline.
pub fn reload_from_our_origin() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"0\"><title>Continuing…</title></head>\
             <body><p><a href=\"\">Continue</a></p></body></html>",
        )
}

/// The failure as its client should see it: the SPA's explanation for a navigation, the JSON
/// error otherwise. Logged either way.
pub fn failure_response(req: &HttpRequest, base_url: &BaseUrl, err: &ApiError) -> HttpResponse {
    let json = err.error_response();
    if !is_navigation(req) {
        return json;
    }
    let mut query = format!("/?{}={}", shared::LOGIN_ERROR_PARAM, err.code().as_str());
    if let ApiError::LoginRefused(refusal) = err {
        // A slug only: the SPA maps it to its own text (no text of ours in its address bar).
        if let Some(reason) = refusal.reason() {
            query.push_str(&format!("&{}={reason}", shared::LOGIN_ERROR_REASON_PARAM));
        }
    }
    let location = base_url.join_path(&query);
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn a_refused_login_carries_its_reason_only_when_it_is_a_slug() {
        let base = BaseUrl::parse("https://app.example.com").unwrap();
        let nav = TestRequest::default()
            .insert_header(("sec-fetch-mode", "navigate"))
            .to_http_request();
        let location = |reason: &str| {
            let err = ApiError::LoginRefused(crate::hooks::Refusal::new(reason));
            let res = failure_response(&nav, &base, &err);
            res.headers().get(header::LOCATION).unwrap().to_str().unwrap().to_owned()
        };
        assert_eq!(
            location("not_invited"),
            "https://app.example.com/?login_error=login_refused&login_error_reason=not_invited"
        );
        assert_eq!(
            location("Call 555-0100 now"),
            "https://app.example.com/?login_error=login_refused"
        );
    }

    #[test]
    fn navigations_are_told_apart_from_fetches() {
        let nav = TestRequest::default()
            .insert_header(("sec-fetch-mode", "navigate"))
            .to_http_request();
        assert!(is_navigation(&nav));
        let fetch = TestRequest::default()
            .insert_header(("sec-fetch-mode", "cors"))
            .insert_header((header::ACCEPT, "text/html"))
            .to_http_request();
        assert!(!is_navigation(&fetch), "fetch metadata wins over Accept");
        let old_browser = TestRequest::default()
            .insert_header((header::ACCEPT, "text/html,application/xhtml+xml"))
            .to_http_request();
        assert!(is_navigation(&old_browser));
        assert!(!is_navigation(&TestRequest::default().to_http_request()));
    }

    #[test]
    fn a_navigation_goes_back_to_the_spa_with_the_code() {
        let base = BaseUrl::parse("https://app.example.com").unwrap();
        let nav = TestRequest::default()
            .insert_header(("sec-fetch-mode", "navigate"))
            .to_http_request();
        let res = failure_response(&nav, &base, &ApiError::ProviderTimeout);
        assert_eq!(res.status(), 302);
        assert_eq!(
            res.headers().get(header::LOCATION).unwrap(),
            "https://app.example.com/?login_error=provider_unavailable"
        );
        let api = TestRequest::default().to_http_request();
        assert_eq!(
            failure_response(&api, &base, &ApiError::ProviderTimeout).status(),
            504
        );
    }
}

//! Anti-forgery and response headers.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn e01_api_calls_without_the_header_are_refused() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let response = browser.get(&app.url("/api/auth/me")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "csrf_rejected");
}

#[tokio::test]
async fn e02_e03_cross_origin_requests_get_no_cors_and_no_data() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    for origin in ["https://evil.example", "null"] {
        let preflight = browser
            .client
            .request(reqwest::Method::OPTIONS, app.url("/api/auth/me"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "x-csrf")
            .send()
            .await
            .unwrap();
        assert!(preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none());
        let actual = browser
            .client
            .get(app.url("/api/auth/me"))
            .header("Origin", origin)
            .header("X-CSRF", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(actual.status(), StatusCode::FORBIDDEN, "Origin {origin}");
        assert!(actual
            .headers()
            .get("access-control-allow-origin")
            .is_none());
    }
}

#[tokio::test]
async fn e06_auth_responses_are_not_cached_and_carry_security_headers() {
    let app = spawn_app().await;
    let browser = Browser::new();
    for path in ["/api/auth/me", "/api/auth/login"] {
        let response = browser.api_get(&app.url(path)).await;
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(headers.contains_key("x-request-id"));
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
        assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    }
}

#[tokio::test]
async fn oversized_request_bodies_are_refused() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let response = browser
        .client
        .post(app.url("/api/auth/logout"))
        .header("X-CSRF", "1")
        .header("Content-Type", "application/json")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await;
    // Either refused outright or the connection closed early; never a crash.
    if let Ok(response) = response {
        assert!(response.status().is_client_error() || response.status().is_success());
    }
    assert_eq!(
        browser.get(&app.url("/healthz")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn f01_huge_cookie_headers_do_not_hurt_the_server() {
    let app = spawn_app().await;
    let browser = Browser::new();
    for size in [8 * 1024, 32 * 1024, 100 * 1024] {
        let response = browser
            .client
            .get(app.url("/api/auth/me"))
            .header("X-CSRF", "1")
            .header("Cookie", format!("bff_session={}", "a".repeat(size)))
            .send()
            .await;
        if let Ok(response) = response {
            assert!(
                response.status().is_client_error(),
                "{size}: {}",
                response.status()
            );
        }
    }
    assert_eq!(
        browser.get(&app.url("/healthz")).await.status(),
        StatusCode::OK
    );
}

/// Every response, errors included (refused by a middleware, unknown routes, methods, body
/// limits), carries the security headers and the request id.
#[tokio::test]
async fn every_error_response_carries_the_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let responses = [
        // Refused by the anti-forgery middleware.
        client.get(app.url("/api/auth/me")).send().await.unwrap(),
        // No such route.
        Browser::new().api_get(&app.url("/api/nothing-here")).await,
        // Wrong method.
        client
            .put(app.url("/api/auth/me"))
            .header("X-CSRF", "1")
            .send()
            .await
            .unwrap(),
        // Body too large.
        client
            .post(app.url("/api/auth/backchannel-logout"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(vec![b'x'; 200 * 1024])
            .send()
            .await
            .unwrap(),
    ];
    for response in responses {
        let status = response.status();
        assert!(status.is_client_error(), "{status}");
        for header in [
            "x-request-id",
            "content-security-policy",
            "x-frame-options",
            "referrer-policy",
            "cache-control",
        ] {
            assert!(
                response.headers().contains_key(header),
                "{status} without {header}"
            );
        }
    }
}

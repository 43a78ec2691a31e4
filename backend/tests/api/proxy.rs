//! The downstream API proxy: the user's access token goes to allow-listed upstreams only,
//! never the browser's cookies; escapes from the allow-list are refused before any request.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{fake_idp::FakeIdp, helpers::*, upstream::Upstream};

const API: &str = "http://localhost:8080/api";

/// Sends a request line exactly as written (clients normalise `..` away), with the
/// browser's cookies and the anti-forgery header; returns the status code. (Async: the app's
/// database connections live on this test's runtime, which must keep running.)
async fn raw_get(app: &TestApp, browser: &Browser, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let cookies = browser.cookies_for(&app.url("/"));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nX-CSRF: 1\r\nCookie: {cookies}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn app_with_upstream(
    upstream: &Upstream,
    issuer: Option<String>,
    extra: Vec<(&'static str, String)>,
) -> TestApp {
    let mut extra_env = vec![("API_PROXY_UPSTREAMS", format!("echo={}", upstream.base))];
    extra_env.extend(extra);
    spawn_app_with(AppOptions {
        issuer,
        extra_env,
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn the_proxy_calls_the_api_as_the_user() {
    let fake = FakeIdp::start().await;
    let upstream = Upstream::echo().await;
    let app = app_with_upstream(&upstream, Some(fake.issuer.clone()), vec![]).await;
    let browser = Browser::new();
    app.login_via_fake(&browser).await;

    let response = browser
        .client
        .post(app.url("/api/proxy/echo/messages?limit=5"))
        .header("X-CSRF", "1")
        .header("Content-Type", "application/json")
        .body(r#"{"text":"hi"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "upstream cookies never reach the browser"
    );
    let seen: Value = response.json().await.unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/v1/messages");
    assert_eq!(seen["query"], "limit=5");
    assert_eq!(seen["body"], r#"{"text":"hi"}"#);
    assert_eq!(seen["content_type"], "application/json");
    assert_eq!(seen["token"], "fake-access-token");
    assert_eq!(seen["cookie"], false, "the session cookie stays here");
    assert_eq!(seen["csrf_header"], false);
}

#[tokio::test]
async fn a_real_providers_access_token_validates_at_the_upstream() {
    // Two steps: learn the dev provider's issuer, then start the upstream validating it.
    let idp_for_keys = spawn_app_with(AppOptions {
        extra_env: vec![("AUTH0_AUDIENCE", API.to_owned())],
        ..Default::default()
    })
    .await;
    let upstream = Upstream::validating(&idp_for_keys.issuer, API).await;
    // The same app, now knowing the upstream: log in through the dev provider.
    let app = spawn_app_with(AppOptions {
        issuer: Some(idp_for_keys.issuer.clone()),
        base_url: Some(idp_for_keys.address.clone()),
        database_url: Some(idp_for_keys.database_url.clone()),
        extra_env: vec![
            ("AUTH0_AUDIENCE", API.to_owned()),
            ("API_PROXY_UPSTREAMS", format!("echo={}", upstream.base)),
        ],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    // Log in on the first app (its callback URL is registered at the provider); the second
    // shares its database and secret, so the session is valid on both.
    idp_for_keys.login_as(&browser, "alice").await;
    let response = browser.api_get(&app.url("/api/proxy/echo/whoami")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let seen: Value = response.json().await.unwrap();
    assert_eq!(seen["sub"], "user-alice");
    assert_eq!(
        seen["permissions"],
        json!(["read:messages", "write:messages", "admin:sessions"])
    );
}

#[tokio::test]
async fn e07_escapes_from_the_allow_list_never_reach_anything() {
    let fake = FakeIdp::start().await;
    let upstream = Upstream::echo().await;
    let app = app_with_upstream(&upstream, Some(fake.issuer.clone()), vec![]).await;
    let browser = Browser::new();
    app.login_via_fake(&browser).await;
    assert_eq!(
        raw_get(&app, &browser, "/api/auth/me").await,
        200,
        "raw requests work"
    );
    for path in [
        "/api/proxy/echo/../admin",
        "/api/proxy/echo/%2e%2e/admin",
        "/api/proxy/echo/a%2fb",
        "/api/proxy/echo/a%5Cb",
        "/api/proxy/echo//evil.example/x",
        "/api/proxy/echo/http://evil.example/x",
        "/api/proxy/nope/x",
        "/api/proxy/../auth/me",
        // Path parameters, which Java servers read as dot segments.
        "/api/proxy/echo/..;/admin",
        "/api/proxy/echo/%2e%2e;/admin",
        "/api/proxy/echo/..%3b/admin",
        "/api/proxy/echo/..%3B/admin",
        "/api/proxy/echo/x;jsessionid=1",
    ] {
        let status = raw_get(&app, &browser, path).await;
        assert!(status == 400 || status == 404, "{path}: {status}");
    }
    assert!(upstream.requests().is_empty(), "{:?}", upstream.requests());
    // `@host` stays a path segment of the configured upstream.
    let at = browser
        .api_get(&app.url("/api/proxy/echo/@evil.example/x"))
        .await;
    assert_eq!(at.status(), StatusCode::OK);
    let seen: Value = at.json().await.unwrap();
    assert_eq!(seen["path"], "/v1/@evil.example/x");
}

#[tokio::test]
async fn the_proxy_needs_a_session_and_the_anti_forgery_header() {
    let fake = FakeIdp::start().await;
    let upstream = Upstream::echo().await;
    let app = app_with_upstream(&upstream, Some(fake.issuer.clone()), vec![]).await;
    let anonymous = Browser::new();
    let response = anonymous.api_get(&app.url("/api/proxy/echo/x")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("location").is_none());
    let browser = Browser::new();
    app.login_via_fake(&browser).await;
    let no_header = browser.get(&app.url("/api/proxy/echo/x")).await;
    assert_eq!(no_header.status(), StatusCode::FORBIDDEN);
    assert!(upstream.requests().is_empty());
}

#[tokio::test]
async fn the_proxy_refreshes_an_expired_access_token_first() {
    let fake = FakeIdp::start().await;
    let upstream = Upstream::echo().await;
    let app = app_with_upstream(
        &upstream,
        Some(fake.issuer.clone()),
        vec![("AUTH0_REFRESH_TOKENS", "true".to_owned())],
    )
    .await;
    let browser = Browser::new();
    app.login_via_fake(&browser).await;
    app.clock.advance(std::time::Duration::from_secs(301));
    let seen: Value = browser
        .api_get(&app.url("/api/proxy/echo/x"))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(seen["token"], "fake-access-token");
    assert!(seen["token"]
        .as_str()
        .unwrap()
        .starts_with("fake-access-token-"));
    assert_eq!(fake.refresh_grants(), 1);
}

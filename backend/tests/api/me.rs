//! `/api/auth/me`, health endpoints and API errors.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn e05_me_without_a_session_is_401_json() {
    let app = spawn_app().await;
    let response = app.me(&Browser::new()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "unauthenticated");
}

/// The SPA's own session checks ask `?visitor=204`: a visitor is `204 No Content` there (no
/// failed request in the console of every signed-out page), a signed-in user the same 200.
#[tokio::test]
async fn me_with_visitor_204_answers_a_visitor_with_no_content() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let check = app.url("/api/auth/me?visitor=204");
    let visitor = browser.api_get(&check).await;
    assert_eq!(visitor.status(), StatusCode::NO_CONTENT);
    assert!(visitor.text().await.unwrap().is_empty());
    // Any other value keeps the 401.
    let other = browser.api_get(&app.url("/api/auth/me?visitor=yes")).await;
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);

    app.login_as(&browser, "alice").await;
    let signed_in = browser.api_get(&check).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let user: shared::User = signed_in.json().await.unwrap();
    assert_eq!(user.sub, "user-alice");
}

#[tokio::test]
async fn c06_a_forged_session_cookie_is_anonymous() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let real = browser.cookie_value(&app.url("/"), "bff_session").unwrap();
    let mut flipped = real.clone().into_bytes();
    flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
    for value in [
        String::from_utf8(flipped).unwrap(),
        real[..real.len() / 2].to_owned(),
        "x".repeat(3000),
    ] {
        let other = Browser::new();
        other.jar.add_cookie_str(
            &format!("bff_session={value}; Path=/"),
            &app.url("/").parse().unwrap(),
        );
        assert_eq!(app.me(&other).await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn c05_the_database_never_holds_the_cookie_value() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let cookie = browser.cookie_value(&app.url("/"), "bff_session").unwrap();
    let row: (Vec<u8>, String) =
        sqlx::query_as("SELECT id_hash, row_to_json(s)::text FROM sessions s")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(row.0.len(), 32);
    let dump = format!("{:?} {}", row.0, row.1);
    // The signed cookie is `<signature><key>`; neither it nor its key part is stored.
    assert!(!dump.contains(&cookie));
    assert!(!dump.contains(&cookie[cookie.len() - 64..]));
    // Tokens at rest are sealed: no JWT in clear.
    assert!(!contains_jwt(&row.1), "{}", row.1);
}

#[tokio::test]
async fn c07_sessions_expire_after_the_idle_timeout() {
    let app = spawn_app().await; // idle 1h, absolute 8h
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    app.clock.advance(std::time::Duration::from_secs(3540));
    assert_eq!(
        app.me(&browser).await.status(),
        StatusCode::OK,
        "activity at 59 min"
    );
    app.clock.advance(std::time::Duration::from_secs(3540));
    assert_eq!(
        app.me(&browser).await.status(),
        StatusCode::OK,
        "the window slid"
    );
    app.clock.advance(std::time::Duration::from_secs(3601));
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn c08_sessions_end_at_the_absolute_timeout_however_active() {
    let app = spawn_app().await; // idle 1h, absolute 8h
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    for _ in 0..15 {
        app.clock.advance(std::time::Duration::from_secs(1800));
        assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    }
    app.clock.advance(std::time::Duration::from_secs(1801));
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_api_routes_are_json_404() {
    let app = spawn_app().await;
    let response = Browser::new().api_get(&app.url("/api/nope")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "not_found");
}

#[tokio::test]
async fn e06_wrong_methods_on_auth_routes_are_json_405() {
    let app = spawn_app().await;
    let browser = Browser::new();
    for (method, path) in [
        (reqwest::Method::DELETE, "/api/auth/me"),
        (reqwest::Method::PUT, "/api/auth/login"),
        (reqwest::Method::TRACE, "/api/auth/logout"),
    ] {
        let response = browser
            .client
            .request(method.clone(), app.url(path))
            .header("X-CSRF", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        let body: shared::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error.code.as_str(), "method_not_allowed");
    }
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let browser = Browser::new();
    assert_eq!(
        browser.get(&app.url("/healthz")).await.status(),
        StatusCode::OK
    );
    let ready = browser.get(&app.url("/readyz")).await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

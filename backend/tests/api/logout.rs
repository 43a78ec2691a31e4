//! Logout: the row goes, the cookie goes, and the provider is told.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn d01_logout_deletes_the_session_and_me_returns_401() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let cookie = browser.cookie_value(&app.url("/"), "bff_session").unwrap();
    assert_eq!(app.session_rows().await, 1);

    let response = app.logout(&browser).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cleared = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("bff_session="))
        .expect("the session cookie is cleared");
    assert!(
        cleared.contains("Max-Age=0") || cleared.contains("expires="),
        "{cleared}"
    );
    let body: shared::LogoutResponse = response.json().await.unwrap();

    // Sent on to the provider's RP-initiated logout.
    assert!(
        body.redirect_to.starts_with(&app.issuer),
        "{}",
        body.redirect_to
    );
    assert!(query_param(&body.redirect_to, "id_token_hint").is_some());
    assert_eq!(
        query_param(&body.redirect_to, "post_logout_redirect_uri"),
        Some(app.url("/"))
    );

    assert_eq!(app.session_rows().await, 0);
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
    // The old cookie value, replayed, is worth nothing.
    let replay = Browser::new();
    replay.jar.add_cookie_str(
        &format!("bff_session={cookie}; Path=/"),
        &app.url("/").parse().unwrap(),
    );
    assert_eq!(app.me(&replay).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_provider_logout_url_is_accepted_by_the_provider() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let body: shared::LogoutResponse = app.logout(&browser).await.json().await.unwrap();
    // The provider shows its confirmation page (not an error about the hint or the URI).
    let page = browser.get(&body.redirect_to).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"logout\""), "{html}");
}

#[tokio::test]
async fn d02_logout_without_the_anti_forgery_header_leaves_the_session_intact() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;

    let response = browser
        .client
        .post(app.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "csrf_rejected");
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    assert_eq!(app.session_rows().await, 1);
}

#[tokio::test]
async fn d02_a_cross_site_get_logout_logs_nobody_out() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;

    for site in [Some("cross-site"), Some("same-site"), Some("none"), None] {
        let mut request = browser.client.get(app.url("/api/auth/logout"));
        if let Some(site) = site {
            request = request.header("Sec-Fetch-Site", site);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "Sec-Fetch-Site {site:?}"
        );
    }
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_same_origin_logout_link_redirects_to_the_provider() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "bob").await;

    let response = browser
        .client
        .get(app.url("/api/auth/logout"))
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(location(&response).starts_with(&app.issuer));
    assert_eq!(app.session_rows().await, 0);
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_while_signed_out_goes_back_to_the_app() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let response = app.logout(&browser).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: shared::LogoutResponse = response.json().await.unwrap();
    assert_eq!(body.redirect_to, app.url("/"));
}

#[tokio::test]
async fn logout_only_ends_its_own_session() {
    let app = spawn_app().await;
    let laptop = Browser::new();
    let phone = Browser::new();
    app.login_as(&laptop, "alice").await;
    app.login_as(&phone, "alice").await;
    app.logout(&laptop).await;
    assert_eq!(app.me(&laptop).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&phone).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_at_the_provider() {
    let app = spawn_app_with(AppOptions {
        extra_env: vec![("AUTH0_REFRESH_TOKENS", "true".to_owned())],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let sealed: String = sqlx::query_scalar("SELECT tokens_sealed FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let keys = backend::crypto::Keyring::from_secrets([TEST_SECRET]);
    let tokens: serde_json::Value = serde_json::from_slice(
        &keys
            .open(backend::session::StoredTokens::SEAL_CONTEXT, &sealed)
            .unwrap(),
    )
    .unwrap();
    let refresh_token = tokens["refresh_token"]
        .as_str()
        .expect("the provider issued a refresh token (offline_access)")
        .to_owned();

    assert_eq!(app.logout(&browser).await.status(), StatusCode::OK);

    // The provider no longer honours it.
    let discovery: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", app.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let refused = reqwest::Client::new()
        .post(discovery["token_endpoint"].as_str().unwrap())
        .basic_auth(urlencode(CLIENT_ID), Some(urlencode(CLIENT_SECRET)))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

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

    for (site, mode) in [
        (Some("cross-site"), Some("navigate")),
        (Some("same-site"), Some("navigate")),
        (Some("none"), Some("navigate")),
        (None, None),
        // An `<img src="/api/auth/logout">` on one of our own pages: same-origin, no-cors.
        (Some("same-origin"), Some("no-cors")),
        (Some("same-origin"), None),
    ] {
        let mut request = browser.client.get(app.url("/api/auth/logout"));
        if let Some(site) = site {
            request = request.header("Sec-Fetch-Site", site);
        }
        if let Some(mode) = mode {
            request = request.header("Sec-Fetch-Mode", mode);
        }
        let response = request.send().await.unwrap();
        let refused = response.status() == StatusCode::FORBIDDEN
            || location_of(&response).is_some_and(|l| l.contains("login_error=csrf_rejected"));
        assert!(refused, "Sec-Fetch-Site {site:?}, Sec-Fetch-Mode {mode:?}");
    }
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
}

fn location_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_same_origin_logout_link_redirects_to_the_provider() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "bob").await;

    let response = browser.navigate(&app.url("/api/auth/logout")).await;
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
    let keys = ferris_login::crypto::Keyring::from_secrets([TEST_SECRET]);
    let tokens: serde_json::Value = serde_json::from_slice(
        &keys
            .open(ferris_login::session::StoredTokens::SEAL_CONTEXT, &sealed)
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

#[tokio::test]
async fn after_the_providers_logout_the_browser_comes_back_to_its_page() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let response = browser
        .api_post(&app.url("/api/auth/logout?returnTo=%2Fmessages%3Fpage%3D2"))
        .await;
    assert!(set_cookies(&response)
        .iter()
        .any(|c| c.starts_with("bff_logout_return=") && c.contains("SameSite=Lax")));
    let body: shared::LogoutResponse = response.json().await.unwrap();
    // The provider gets the one registered post-logout URL, not the page.
    assert_eq!(
        query_param(&body.redirect_to, "post_logout_redirect_uri"),
        Some(app.url("/"))
    );
    // Its confirmation page, then back to `/`, and on to the page.
    let back = sign_out_at_provider(&browser, &app.issuer, &body.redirect_to).await;
    assert_eq!(back, app.url("/"));
    let landing = browser.navigate(&back).await;
    assert_eq!(landing.status(), StatusCode::FOUND);
    assert_eq!(location(&landing), app.url("/messages?page=2"));
    // Once only: the cookie is gone.
    assert!(browser
        .cookie_value(&app.url("/"), "bff_logout_return")
        .is_none());
    let again = browser.navigate(&app.url("/")).await;
    assert!(!again.status().is_redirection());
}

/// Confirms the provider's logout page; returns where the provider sends the browser next
/// (the first address that is not the provider's own).
async fn sign_out_at_provider(browser: &Browser, issuer: &str, logout_url: &str) -> String {
    let page = browser.get(logout_url).await.text().await.unwrap();
    let attribute = |name: &str| {
        let start = page
            .find(name)
            .unwrap_or_else(|| panic!("{name} in {page}"))
            + name.len();
        page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&")
    };
    let (action, xsrf) = (attribute("action=\""), attribute("name=\"xsrf\" value=\""));
    let mut response = browser
        .client
        .post(absolute(logout_url, &action))
        .form(&[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .send()
        .await
        .unwrap();
    let mut url = logout_url.to_owned();
    for _ in 0..5 {
        url = absolute(&url, &location(&response));
        if !url.starts_with(issuer) {
            return url;
        }
        response = browser.get(&url).await;
    }
    panic!("the provider never let go of the browser");
}

#[tokio::test]
async fn logout_return_to_never_leaves_the_app() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let corpus = include_str!("../../../ferris-login/tests/data/openredirects.txt");
    let origin = reqwest::Url::parse(&app.url("/")).unwrap().origin();
    for payload in corpus.lines() {
        let url = format!(
            "{}?returnTo={}",
            app.url("/api/auth/logout"),
            urlencode(payload)
        );
        let body: shared::LogoutResponse = browser.api_post(&url).await.json().await.unwrap();
        let landed = reqwest::Url::parse(&body.redirect_to).unwrap();
        assert_eq!(
            landed.origin(),
            origin,
            "{payload:?} -> {}",
            body.redirect_to
        );
    }
}

/// Where a logout sends the browser at the provider, by `AUTH0_LOGOUT_STRATEGY`, with a
/// provider that has no `end_session_endpoint` (an Auth0 tenant on a custom domain without
/// RP-initiated logout, as far as discovery tells): `auto` cannot know it is Auth0 and comes
/// back to the app, `v2` says so and goes through `/v2/logout`, `local` never leaves the app.
#[tokio::test]
async fn the_logout_strategy_picks_the_providers_logout() {
    let fake = crate::fake_idp::FakeIdp::start().await;
    fake.set(|k| {
        k.discovery_extra
            .insert("end_session_endpoint".into(), serde_json::Value::Null);
    });
    let redirect_after_logout = |strategy: &'static str| {
        let fake = &fake;
        async move {
            let app = spawn_app_with(AppOptions {
                issuer: Some(fake.issuer.clone()),
                extra_env: vec![("AUTH0_LOGOUT_STRATEGY", strategy.to_owned())],
                ..Default::default()
            })
            .await;
            let browser = Browser::new();
            assert_eq!(
                app.login_via_fake(&browser).await.status(),
                StatusCode::FOUND
            );
            let response = app.logout(&browser).await;
            assert_eq!(response.status(), StatusCode::OK);
            let body: shared::LogoutResponse = response.json().await.unwrap();
            assert_eq!(
                app.session_rows().await,
                0,
                "{strategy}: the session ended here"
            );
            (app.url("/"), body.redirect_to)
        }
    };

    let (home, auto) = redirect_after_logout("auto").await;
    assert_eq!(auto, home);
    let (home, v2) = redirect_after_logout("v2").await;
    let v2 = url::Url::parse(&v2).unwrap();
    assert_eq!(
        v2.as_str().split('?').next().unwrap(),
        format!("{}/v2/logout", fake.issuer)
    );
    let query: std::collections::HashMap<_, _> = v2.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["returnTo"], home);
    let (home, local) = redirect_after_logout("local").await;
    assert_eq!(local, home);
}

//! The login flow against the real dev provider.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a01_real_provider_login_then_me_returns_the_users_claims() {
    let app = spawn_app().await;
    let browser = Browser::new();

    let callback = app.login_as(&browser, "alice").await;
    assert_eq!(callback.status(), StatusCode::FOUND);
    assert_eq!(location(&callback), app.url("/"));

    let me = app.me(&browser).await;
    assert_eq!(me.status(), StatusCode::OK);
    // The body is the `shared` type the SPA decodes.
    let user: shared::User = me.json().await.expect("/me decodes into shared::User");
    assert_eq!(user.name.as_deref(), Some("Alice Admin"));
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    assert_eq!(user.email_verified, Some(true));
    assert_eq!(user.sub, "user-alice");
    assert_eq!(user.issuer, app.issuer);
    assert_eq!(user.roles, ["admin"]);
    assert!(user.picture.unwrap().ends_with("/avatars/alice.svg"));
    assert_eq!(app.session_rows().await, 1);
}

#[tokio::test]
async fn c10_me_body_carries_no_token_material() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "bob").await;
    let body = app.me(&browser).await.text().await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for forbidden in ["id_token", "access_token", "refresh_token", "token"] {
        assert!(!keys.contains(&forbidden), "{body}");
    }
    assert!(!contains_jwt(&body), "no JWT in {body}");
}

#[tokio::test]
async fn b01_login_redirects_to_the_provider_with_pkce_state_and_nonce() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let first = app.start_login(&browser, None).await;
    let second = app.start_login(&browser, None).await;

    assert!(first.starts_with(&app.issuer));
    assert_eq!(
        query_param(&first, "response_type").as_deref(),
        Some("code")
    );
    assert_eq!(query_param(&first, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        query_param(&first, "redirect_uri"),
        Some(app.url("/api/auth/callback"))
    );
    let scope = query_param(&first, "scope").unwrap();
    assert!(scope.split(' ').any(|s| s == "openid"), "{scope}");
    assert_eq!(
        query_param(&first, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let challenge = query_param(&first, "code_challenge").unwrap();
    assert_eq!(challenge.len(), 43, "S256 challenge is 32 bytes base64url");
    for param in ["state", "nonce", "code_challenge"] {
        let a = query_param(&first, param).unwrap();
        let b = query_param(&second, param).unwrap();
        assert!(a.len() >= 22, "{param} has at least 128 bits");
        assert_ne!(a, b, "{param} is fresh for every login");
    }
}

#[tokio::test]
async fn b13_f06_login_sets_a_lax_httponly_transaction_cookie_and_writes_nothing() {
    let app = spawn_app().await;
    let browser = Browser::new();
    for _ in 0..20 {
        let response = browser.get(&app.url("/api/auth/login")).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(
            response.headers()["cache-control"].to_str().unwrap(),
            "no-store"
        );
        let cookies = set_cookies(&response);
        let txn = cookies
            .iter()
            .find(|c| c.starts_with("bff_txn_") && !c.contains("Max-Age=0"))
            .expect("a transaction cookie");
        assert!(txn.contains("HttpOnly"), "{txn}");
        assert!(txn.contains("SameSite=Lax"), "{txn}");
        assert!(txn.contains("Path=/"), "{txn}");
        assert!(!txn.to_lowercase().contains("domain="), "{txn}");
        assert!(txn.len() < 1024, "{txn}");
    }
    for table in ["sessions", "users", "consumed_login_states"] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(rows, 0, "{table} untouched by anonymous logins");
    }
}

#[tokio::test]
async fn b13_pending_logins_per_browser_are_capped() {
    let app = spawn_app().await;
    let browser = Browser::new();
    for _ in 0..12 {
        app.start_login(&browser, None).await;
    }
    let cookies = browser.cookies_for(&app.url("/"));
    let pending = cookies.matches("bff_txn_").count();
    assert!(
        pending <= 5,
        "{pending} pending transaction cookies: {cookies}"
    );
    assert!(pending >= 1);
}

#[tokio::test]
async fn b13_two_tabs_logging_in_at_once_both_succeed() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let tab_a = app.start_login(&browser, Some("/a")).await;
    let tab_b = app.start_login(&browser, Some("/b")).await;

    let callback_b = app
        .sign_in_at_provider(&browser, &tab_b, "alice", "alice")
        .await;
    let callback_a = app
        .sign_in_at_provider(&browser, &tab_a, "alice", "alice")
        .await;
    let done_b = browser.get(&callback_b).await;
    let done_a = browser.get(&callback_a).await;

    assert_eq!(done_b.status(), StatusCode::FOUND);
    assert_eq!(location(&done_b), app.url("/b"));
    assert_eq!(done_a.status(), StatusCode::FOUND);
    assert_eq!(location(&done_a), app.url("/a"));
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    // The second login replaced the first session: one browser, one session.
    assert_eq!(app.session_rows().await, 1);
}

#[tokio::test]
async fn b02_callback_with_another_state_is_rejected_without_a_session() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, None).await;
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    let forged = with_query_param(&callback, "state", Some("AAAAAAAAAAAAAAAAAAAAAA"));

    let response = browser.get(&forged).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "login_transaction_invalid");
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn b02_callback_without_state_is_rejected() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, None).await;
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    let response = browser
        .get(&with_query_param(&callback, "state", None))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "bad_callback");
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn b04_callback_in_a_browser_that_did_not_start_the_login_is_rejected() {
    let app = spawn_app().await;
    let victim = Browser::new();
    let attacker = Browser::new();
    let authorize = app.start_login(&attacker, None).await;
    let callback = app
        .sign_in_at_provider(&attacker, &authorize, "bob", "bob")
        .await;

    // Login CSRF: the attacker makes the victim's browser open his callback URL.
    let response = victim.get(&callback).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.me(&victim).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn b03_replayed_callback_is_rejected_and_the_first_session_stays() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, None).await;
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    // A copy of the transaction cookie, as an attacker who stole it would have.
    let state = query_param(&callback, "state").unwrap();
    let txn_name = format!("bff_txn_{state}");
    let txn_value = browser.cookie_value(&app.url("/"), &txn_name).unwrap();

    assert_eq!(browser.get(&callback).await.status(), StatusCode::FOUND);
    let session_before = browser.cookie_value(&app.url("/"), "bff_session").unwrap();

    // Back button: same browser, cookie already cleared.
    assert_eq!(
        browser.get(&callback).await.status(),
        StatusCode::BAD_REQUEST
    );
    // Replay with the copied transaction cookie in another browser.
    let other = Browser::new();
    let replay = other
        .client
        .get(&callback)
        .header("Cookie", format!("{txn_name}={txn_value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let body: shared::ErrorBody = replay.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "login_transaction_invalid");

    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    assert_eq!(
        browser.cookie_value(&app.url("/"), "bff_session").unwrap(),
        session_before
    );
    assert_eq!(app.session_rows().await, 1);
}

#[tokio::test]
async fn b09_off_site_return_to_lands_on_the_app_root() {
    let app = spawn_app().await;
    for evil in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let browser = Browser::new();
        let authorize = app.start_login(&browser, Some(evil)).await;
        let callback = app
            .sign_in_at_provider(&browser, &authorize, "bob", "bob")
            .await;
        let done = browser.get(&callback).await;
        assert_eq!(done.status(), StatusCode::FOUND);
        assert_eq!(location(&done), app.url("/"), "returnTo={evil}");
    }
}

#[tokio::test]
async fn return_to_brings_the_user_back_to_the_requested_page() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, Some("/profile?tab=1")).await;
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "bob", "bob")
        .await;
    let done = browser.get(&callback).await;
    assert_eq!(location(&done), app.url("/profile?tab=1"));
}

#[tokio::test]
async fn c03_c04_the_session_cookie_after_login_is_not_the_one_from_before() {
    let app = spawn_app().await;
    let browser = Browser::new();
    // Fixation: a cookie planted before login.
    browser.jar.add_cookie_str(
        "bff_session=planted-by-an-attacker; Path=/",
        &app.url("/").parse().unwrap(),
    );
    app.login_as(&browser, "alice").await;
    let first = browser.cookie_value(&app.url("/"), "bff_session").unwrap();
    assert_ne!(first, "planted-by-an-attacker");

    // Logging in again (as someone else) issues yet another id and ends the first session.
    // (Bob signs in at the provider in a browser of his own: this one's provider session is
    // Alice's.)
    let authorize = app.start_login(&browser, None).await;
    let callback = app
        .sign_in_at_provider(&Browser::new(), &authorize, "bob", "bob")
        .await;
    assert_eq!(browser.get(&callback).await.status(), StatusCode::FOUND);
    let second = browser.cookie_value(&app.url("/"), "bff_session").unwrap();
    assert_ne!(first, second);
    let user: shared::User = app.me(&browser).await.json().await.unwrap();
    assert_eq!(user.sub, "user-bob");
    assert_eq!(app.session_rows().await, 1);

    let stale = Browser::new();
    stale.jar.add_cookie_str(
        &format!("bff_session={first}; Path=/"),
        &app.url("/").parse().unwrap(),
    );
    assert_eq!(app.me(&stale).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn c01_session_cookie_is_httponly_strict_and_host_only() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let response = app.login_as(&browser, "alice").await;
    let cookies = set_cookies(&response);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("bff_session="))
        .expect("session cookie set at the callback");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(!session.to_lowercase().contains("domain="), "{session}");
    assert!(session.len() < 4096);
    // The transaction cookie is cleared at the same time.
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("bff_txn_") && c.contains("Max-Age=0")));
}

#[tokio::test]
async fn a_browser_navigation_that_fails_goes_back_to_the_spa_with_a_code() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let response = browser
        .client
        .get(app.url("/api/auth/callback?code=abc&state=nothing-started-here"))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        location(&response),
        app.url("/?login_error=login_transaction_invalid")
    );
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn b07_the_providers_error_answer_is_reported_not_trusted() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, None).await;
    let state = query_param(&authorize, "state").unwrap();
    let url = format!(
        "{}?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state={state}",
        app.url("/api/auth/callback")
    );
    let response = browser.get(&url).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script>"), "{body}");
    let body: shared::ErrorBody = serde_json::from_str(&body).unwrap();
    assert_eq!(body.error.code.as_str(), "access_denied");
    assert_eq!(app.session_rows().await, 0);

    // Any other error the provider answers with is a refused login.
    let authorize = app.start_login(&browser, None).await;
    let state = query_param(&authorize, "state").unwrap();
    let url = format!(
        "{}?error=temporarily_unavailable&state={state}",
        app.url("/api/auth/callback")
    );
    let response = browser.get(&url).await;
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "login_denied");
}

#[tokio::test]
async fn b08_a_login_finished_after_ten_minutes_is_rejected() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, None).await;
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    app.clock.advance(std::time::Duration::from_secs(601));
    let response = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "login_expired");
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn a15_users_are_keyed_by_issuer_and_subject() {
    let app = spawn_app().await;
    for user in ["alice", "alice", "bob"] {
        app.login_as(&Browser::new(), user).await;
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT issuer, subject FROM users ORDER BY subject")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            (app.issuer.clone(), "user-alice".to_owned()),
            (app.issuer.clone(), "user-bob".to_owned())
        ]
    );
    assert_eq!(app.session_rows().await, 3);
}

/// ASVS 7.2.4 in a real browser's terms: the session cookie is `SameSite=Strict`, so the
/// provider's redirect to the callback does not carry it. The login started on our own page
/// (which did carry it) remembers the old session in its sealed transaction, and the callback
/// ends it anyway.
#[tokio::test]
async fn logging_in_again_ends_the_old_session_though_the_callback_carries_no_session_cookie() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let old = browser.copy(&app.url("/"));
    assert_eq!(app.me(&old).await.status(), StatusCode::OK);

    // `/api/auth/login` from our page: the session cookie comes along.
    let authorize = app.start_login(&browser, None).await;
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    // The callback as a browser sends it after a cross-site redirect: the transaction cookie
    // (`SameSite=Lax`) only.
    let state = query_param(&callback, "state").unwrap();
    let transaction = format!("bff_txn_{state}");
    let txn_value = browser
        .cookie_value(&app.url("/"), &transaction)
        .expect("the login transaction cookie");
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&callback)
        .header("Cookie", format!("{transaction}={txn_value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(set_cookies(&response)
        .iter()
        .any(|c| c.starts_with("bff_session=")));

    assert_eq!(
        app.me(&old).await.status(),
        StatusCode::UNAUTHORIZED,
        "the session from before the second login is over"
    );
    assert_eq!(app.session_rows().await, 1);
}

/// Every `returnTo` that `/login` accepts fits the login transaction cookie: the longest one
/// comes back at the end of the login (a 1,000-byte path once made a login that could never
/// finish).
#[tokio::test]
async fn the_longest_return_path_survives_the_whole_login() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let long = format!("/messages?q={}", "x".repeat(1000));
    let authorize = app.start_login(&browser, Some(&long)).await;
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    let response = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), app.url(&long));

    // Longer than that: refused at `/login` as a return path (the login goes on to `/`).
    let too_long = format!("/messages?q={}", "x".repeat(1100));
    let authorize = app.start_login(&browser, Some(&too_long)).await;
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    assert_eq!(location(&browser.get(&callback).await), app.url("/"));
}

/// A link to the login on another site: the browser withholds the `SameSite=Strict` session
/// cookie, so the app first bounces the navigation through a page of its own. The navigation
/// that page starts is same-origin, brings the cookie, and the login ends the old session
/// instead of leaving it orphaned.
#[tokio::test]
async fn a_cross_site_link_to_login_still_ends_the_browsers_old_session() {
    let app = spawn_app().await;
    let browser = Browser::new();
    assert_eq!(
        app.login_as(&browser, "alice").await.status(),
        StatusCode::FOUND
    );
    assert_eq!(app.session_rows().await, 1);

    // The link, as a browser follows it: cross-site, without the Strict session cookie.
    let linked = Browser::new()
        .client
        .get(app.url("/api/auth/login?returnTo=/profile&ui_locales=fr"))
        .header("Sec-Fetch-Site", "cross-site")
        .header("Sec-Fetch-Mode", "navigate")
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(linked.status(), StatusCode::OK);
    assert!(set_cookies(&linked).is_empty(), "nothing started yet");
    let page = linked.text().await.unwrap();
    assert!(
        page.contains(r#"<meta http-equiv="refresh" content="0">"#),
        "a page that reloads the same address: {page}"
    );

    // The page's own navigation (the same address): same-origin, so the session cookie comes
    // along.
    let response = browser
        .navigate(&app.url("/api/auth/login?returnTo=/profile&ui_locales=fr"))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let callback = app
        .sign_in_at_provider(&browser, &location(&response), "alice", "alice")
        .await;
    let done = browser.get(&callback).await;
    assert_eq!(location(&done), app.url("/profile"));
    assert_eq!(
        app.session_rows().await,
        1,
        "the old session ended, not orphaned"
    );
}

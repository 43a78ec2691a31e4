//! Hostile and malformed input: two session cookies in one request, broken callback queries,
//! malformed ID tokens, oversized provider answers and hostile claims. Cases E04 and F02–F05
//! of the relying-party cases (docs/relying-party-cases.md); E01–E03, E05, E06 and F01 are in
//! `csrf_and_headers.rs` and `me.rs`, F06 in `login.rs`.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    fake_idp::{FakeIdp, Knobs},
    helpers::*,
};

#[tokio::test]
async fn e04_two_session_cookies_in_one_request_are_anonymous_never_the_attackers() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let victim = Browser::new();
    let attacker = Browser::new();
    app.login_via_fake(&victim).await;
    fake.set(|k| {
        k.claims.insert("sub".into(), json!("attacker"));
    });
    app.login_via_fake(&attacker).await;
    let v = victim.cookie_value(&app.url("/"), "bff_session").unwrap();
    let a = attacker.cookie_value(&app.url("/"), "bff_session").unwrap();
    for header in [
        format!("bff_session={a}; bff_session={v}"),
        format!("bff_session={v}; bff_session={a}"),
    ] {
        let response = reqwest::Client::new()
            .get(app.url("/api/auth/me"))
            .header("X-CSRF", "1")
            .header("Cookie", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Both sessions themselves are untouched.
    assert_eq!(app.me(&victim).await.status(), StatusCode::OK);
    assert_eq!(app.me(&attacker).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn f02_malformed_callback_queries_are_400_before_any_token_request() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    let callback = app.callback_via_fake(&browser).await;
    let state = query_param(&callback, "state").unwrap();
    let base = app.url("/api/auth/callback");
    let cases = [
        format!("{base}?state={state}&state={state}&code=a"),
        format!("{base}?state={state}&code=a&code=b"),
        format!("{base}?state={}&code=a", "s".repeat(60 * 1024)),
        format!("{base}?state={state}%FF&code=a"),
        format!("{base}?state={state}&code=a%00b"),
        format!("{base}?state={state}&code="),
        format!("{base}#state={state}&code=a"),
    ];
    for url in cases {
        let response = browser.get(&url).await;
        assert!(
            response.status() == StatusCode::BAD_REQUEST
                || response.status() == StatusCode::URI_TOO_LONG
                || response.status() == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "{} for {}",
            response.status(),
            &url[..url.len().min(120)]
        );
    }
    assert_eq!(fake.token_requests(), 0);
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn f03_malformed_id_tokens_are_rejected() {
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let b64 = |bytes: &[u8]| crate::fake_idp::b64(bytes);
    let header = b64(br#"{"alg":"RS256","kid":"key-1"}"#);
    let tokens = vec![
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        "!!!.@@@.###".to_owned(),
        format!("{header}.{}.c2ln", b64(b"[1,2,3]")),
        format!("{header}.{}.c2ln", b64(nested.as_bytes())),
        format!("{header}.{}.c2ln", b64(br#"{"exp":NaN}"#)),
        format!("{header}.{}.c2ln", "A".repeat(1024 * 1024)),
    ];
    for token in tokens {
        let body =
            json!({"access_token": "at", "token_type": "Bearer", "id_token": token}).to_string();
        let fake = FakeIdp::start_with(Knobs {
            token_response: Some((200, "application/json", body)),
            ..Default::default()
        })
        .await;
        let app = spawn_app_against(&fake).await;
        let response = app.login_via_fake(&Browser::new()).await;
        assert!(
            response.status() == StatusCode::BAD_REQUEST
                || response.status() == StatusCode::BAD_GATEWAY,
            "{}",
            response.status()
        );
        assert_eq!(app.session_rows().await, 0);
    }
}

#[tokio::test]
async fn f04_oversized_provider_responses_are_cut_off() {
    // Token response over the cap.
    let huge =
        json!({"access_token": "x".repeat(2 * 1024 * 1024), "token_type": "Bearer"}).to_string();
    let fake = FakeIdp::start_with(Knobs {
        token_response: Some((200, "application/json", huge)),
        ..Default::default()
    })
    .await;
    let app = spawn_app_against(&fake).await;
    let response = app.login_via_fake(&Browser::new()).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(app.session_rows().await, 0);

    // Discovery over the cap: the provider is refused.
    let mut extra = serde_json::Map::new();
    extra.insert("padding".into(), json!("p".repeat(2 * 1024 * 1024)));
    let fake = FakeIdp::start_with(Knobs {
        discovery_extra: extra,
        ..Default::default()
    })
    .await;
    let app = spawn_app_against(&fake).await;
    let login = Browser::new().get(&app.url("/api/auth/login")).await;
    assert_eq!(login.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn f05_hostile_claims_are_bounded_and_served_as_escaped_json() {
    let hostile = format!(
        "\u{202E}Zoë 🎉 </script><script>alert(1)</script>\u{0}{}",
        "x".repeat(16 * 1024)
    );
    let fake = FakeIdp::start_with(Knobs::default()).await;
    fake.set(|k| {
        k.claims.insert("name".into(), json!(hostile));
        k.claims.insert("email".into(), json!("zoë@bücher.example"));
    });
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    assert_eq!(
        app.login_via_fake(&browser).await.status(),
        StatusCode::FOUND
    );
    let me = app.me(&browser).await;
    assert!(me.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let user: shared::User = me.json().await.unwrap();
    let name = user.name.unwrap();
    assert!(name.chars().count() <= 256);
    assert!(!name.contains('\u{0}'));
    assert!(
        name.contains("</script>"),
        "kept as text; the SPA renders text"
    );
    assert_eq!(user.email.as_deref(), Some("zoë@bücher.example"));
}

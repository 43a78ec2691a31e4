//! The authorization request and response: cases B05, B06 and B09–B12 of the relying-party
//! cases (docs/relying-party-cases.md). Cases driven by the real provider live in `login.rs`
//! (B01–B04, B07–B09, B13, named by id).

use reqwest::StatusCode;

use crate::{fake_idp::FakeIdp, helpers::*};

#[tokio::test]
async fn b05_a_stolen_code_injected_with_the_victims_state_fails_pkce() {
    let app = spawn_app().await;
    let attacker = Browser::new();
    let victim = Browser::new();
    // The attacker gets a code for his own login (and never redeems it).
    let attacker_authorize = app.start_login(&attacker, None).await;
    let attacker_callback = app
        .sign_in_at_provider(&attacker, &attacker_authorize, "bob", "bob")
        .await;
    let stolen_code = query_param(&attacker_callback, "code").unwrap();
    // The victim's own login, with the attacker's code swapped in.
    let victim_authorize = app.start_login(&victim, None).await;
    let victim_callback = app
        .sign_in_at_provider(&victim, &victim_authorize, "alice", "alice")
        .await;
    let injected = with_query_param(&victim_callback, "code", Some(&stolen_code));
    let response = victim.get(&injected).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn b06_mix_up_an_authorization_response_from_another_issuer_is_rejected() {
    let fake = FakeIdp::start().await;
    fake.set(|k| {
        k.iss_parameter_supported = true;
        k.authorization_response_iss = Some("https://other-idp.example".into());
    });
    let app = spawn_app_against(&fake).await;
    let response = app.login_via_fake(&Browser::new()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fake.token_requests(), 0, "the code is never sent anywhere");
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn b06_mix_up_a_missing_iss_is_rejected_when_the_provider_sends_it() {
    let fake = FakeIdp::start().await;
    fake.set(|k| k.iss_parameter_supported = true);
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    let callback = app.callback_via_fake(&browser).await;
    assert!(query_param(&callback, "iss").is_some());
    let without_iss = with_query_param(&callback, "iss", None);
    let response = browser.get(&without_iss).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fake.token_requests(), 0);
}

#[tokio::test]
async fn b06_the_right_iss_is_accepted() {
    let fake = FakeIdp::start().await;
    fake.set(|k| k.iss_parameter_supported = true);
    let app = spawn_app_against(&fake).await;
    let response = app.login_via_fake(&Browser::new()).await;
    assert_eq!(response.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn b09_the_whole_open_redirect_corpus_lands_on_site() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let corpus = include_str!("../../../ferris-login/tests/data/openredirects.txt");
    let mut count = 0;
    for payload in corpus.lines() {
        let browser = Browser::new();
        let authorize = app.start_login(&browser, Some(payload)).await;
        let callback = location(&browser.get(&authorize).await);
        let done = browser.get(&callback).await;
        assert_eq!(done.status(), StatusCode::FOUND, "{payload:?}");
        let landed = location(&done);
        let url = url::Url::parse(&landed).unwrap();
        assert_eq!(
            url.origin().ascii_serialization(),
            app.address,
            "{payload:?} -> {landed}"
        );
        count += 1;
    }
    assert_eq!(count, 559);
}

#[tokio::test]
async fn b10_an_edited_transaction_cookie_is_rejected() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    let callback = app.callback_via_fake(&browser).await;
    let state = query_param(&callback, "state").unwrap();
    let name = format!("bff_txn_{state}");
    let value = browser.cookie_value(&app.url("/"), &name).unwrap();
    let mut edited = value.into_bytes();
    let middle = edited.len() / 2;
    edited[middle] = if edited[middle] == b'A' { b'B' } else { b'A' };
    let forged = Browser::new();
    let response = forged
        .client
        .get(&callback)
        .header(
            "Cookie",
            format!("{name}={}", String::from_utf8(edited).unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn b10_swapped_transaction_cookies_are_rejected() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    let first = app.callback_via_fake(&browser).await;
    let second = app.callback_via_fake(&browser).await;
    let (s1, s2) = (
        query_param(&first, "state").unwrap(),
        query_param(&second, "state").unwrap(),
    );
    let v2 = browser
        .cookie_value(&app.url("/"), &format!("bff_txn_{s2}"))
        .unwrap();
    // The second login's transaction presented under the first login's name.
    let response = Browser::new()
        .client
        .get(&first)
        .header("Cookie", format!("bff_txn_{s1}={v2}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn b11_host_and_forwarded_headers_never_change_the_redirect_uri() {
    let app = spawn_app().await;
    let response = Browser::new()
        .client
        .get(app.url("/api/auth/login"))
        .header("Host", "evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("X-Forwarded-Proto", "http")
        .header("Forwarded", "host=evil.example;proto=http")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let authorize = location(&response);
    assert_eq!(
        query_param(&authorize, "redirect_uri"),
        Some(app.url("/api/auth/callback"))
    );
}

#[tokio::test]
async fn b12_the_callback_answers_an_immediate_redirect_without_a_body() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, Some("/profile")).await;
    let callback = location(&browser.get(&authorize).await);
    let response = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let headers = response.headers().clone();
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    // The SPA URL afterwards carries no code or state.
    assert_eq!(location(&response), app.url("/profile"));
    assert!(response.bytes().await.unwrap().is_empty());
}

//! The provider failing: down at start-up, discovery answering 500, a token endpoint that
//! fails, is unreachable or hangs, a signing key rotated between logins, and a flood of
//! unknown key ids. Cases G06–G10 of the relying-party cases (docs/relying-party-cases.md);
//! the database side (G01–G05) is in `store_faults.rs`.

use std::{net::TcpListener, time::Duration};

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    fake_idp::{jwk, keys, FakeIdp, Knobs, Signing},
    helpers::*,
};

#[tokio::test]
async fn g06_the_app_starts_without_the_provider_and_recovers_without_a_restart() {
    let port = quiet_port();
    let app = spawn_app_with(AppOptions {
        issuer: Some(format!("http://127.0.0.1:{port}")),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    assert_eq!(
        browser.get(&app.url("/healthz")).await.status(),
        StatusCode::OK
    );
    let login = browser.get(&app.url("/api/auth/login")).await;
    assert_eq!(login.status(), StatusCode::BAD_GATEWAY);
    let body: shared::ErrorBody = login.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "provider_unavailable");

    // The provider comes up; after the retry cooldown a login works, no restart needed.
    let fake = FakeIdp::start_on(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        Knobs::default(),
    )
    .await;
    tokio::time::sleep(ferris_login::oidc::provider::RETRY_COOLDOWN + Duration::from_millis(200))
        .await;
    assert_eq!(
        app.login_via_fake(&browser).await.status(),
        StatusCode::FOUND
    );

    // Down again: existing sessions are still served.
    fake.stop().await;
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn g06_discovery_500_is_not_cached() {
    let fake = FakeIdp::start_with(Knobs {
        discovery_status: Some(500),
        ..Default::default()
    })
    .await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    assert_eq!(
        browser.get(&app.url("/api/auth/login")).await.status(),
        StatusCode::BAD_GATEWAY
    );
    fake.set(|k| k.discovery_status = None);
    tokio::time::sleep(ferris_login::oidc::provider::RETRY_COOLDOWN + Duration::from_millis(200))
        .await;
    assert_eq!(
        app.login_via_fake(&browser).await.status(),
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn g07_token_endpoint_failures_are_502_and_the_code_is_not_retried() {
    for status in [500, 503] {
        let fake = FakeIdp::start_with(Knobs {
            token_response: Some((
                status,
                "application/json",
                json!({"error": "server_error"}).to_string(),
            )),
            ..Default::default()
        })
        .await;
        let app = spawn_app_against(&fake).await;
        let response = app.login_via_fake(&Browser::new()).await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{status}");
        assert_eq!(fake.token_requests(), 1, "no blind retry");
        assert_eq!(app.session_rows().await, 0);
    }
}

#[tokio::test]
async fn g07_an_unreachable_token_endpoint_is_502() {
    let port = quiet_port();
    let mut extra = serde_json::Map::new();
    extra.insert(
        "token_endpoint".into(),
        json!(format!("http://127.0.0.1:{port}/token")),
    );
    let fake = FakeIdp::start_with(Knobs {
        discovery_extra: extra,
        ..Default::default()
    })
    .await;
    let app = spawn_app_against(&fake).await;
    let response = app.login_via_fake(&Browser::new()).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn g08_a_hanging_token_endpoint_times_out_with_504() {
    let fake = FakeIdp::start_with(Knobs {
        token_delay: Some(Duration::from_secs(20)),
        ..Default::default()
    })
    .await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![("OIDC_HTTP_TIMEOUT", "2s".to_owned())],
        ..Default::default()
    })
    .await;
    let started = std::time::Instant::now();
    let response = app.login_via_fake(&Browser::new()).await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "guard: well under the hang"
    );
    assert_eq!(
        Browser::new().get(&app.url("/healthz")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn g09_a_key_rotated_between_two_logins_is_fetched_once() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    assert_eq!(
        app.login_via_fake(&Browser::new()).await.status(),
        StatusCode::FOUND
    );
    let fetched_at_start = fake.jwks_requests();

    // The provider rotates: a new key (kid key-2) signs from now on.
    fake.set(|k| {
        k.jwks = Some(
            json!({"keys": [jwk(&keys().good, Some("key-1")), jwk(&keys().other, Some("key-2"))]}),
        );
        k.header.insert("kid".into(), json!("key-2"));
        k.signing = Signing::OtherKey;
    });
    assert_eq!(
        app.login_via_fake(&Browser::new()).await.status(),
        StatusCode::FOUND
    );
    assert_eq!(fake.jwks_requests(), fetched_at_start + 1);
    // And the next login needs no further fetch.
    assert_eq!(
        app.login_via_fake(&Browser::new()).await.status(),
        StatusCode::FOUND
    );
    assert_eq!(fake.jwks_requests(), fetched_at_start + 1);
}

#[tokio::test]
async fn g10_a_flood_of_unknown_kids_refetches_at_most_once_per_cooldown() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let fetched_at_start = fake.jwks_requests();
    for i in 0..15 {
        fake.set(|k| {
            k.header.insert("kid".into(), json!(format!("random-{i}")));
        });
        let response = app.login_via_fake(&Browser::new()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    assert!(
        fake.jwks_requests() <= fetched_at_start + 1,
        "{} JWKS fetches",
        fake.jwks_requests() - fetched_at_start
    );
    // Known-kid logins still work.
    fake.set(|k| {
        k.header.insert("kid".into(), json!("key-1"));
    });
    assert_eq!(
        app.login_via_fake(&Browser::new()).await.status(),
        StatusCode::FOUND
    );
}

//! Security catalogue, section G (provider side): key rotation and JWKS refetch limits.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    fake_idp::{jwk, keys, FakeIdp, Signing},
    helpers::*,
};

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

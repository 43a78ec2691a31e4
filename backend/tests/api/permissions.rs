//! Roles and permissions: roles from the ID token's roles claim, permissions from a verified
//! access token for `AUTH0_AUDIENCE` (Auth0 RBAC), tokens kept sealed.

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    fake_idp::{jwk, keys, sign, FakeIdp, Signing},
    helpers::*,
};

const API: &str = "http://localhost:8080/api";

#[tokio::test]
async fn permissions_come_from_the_access_token_for_our_api() {
    // The dev provider issues a JWT access token with `permissions` for its API resource.
    let app = spawn_app_with(AppOptions {
        extra_env: vec![("AUTH0_AUDIENCE", API.to_owned())],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let user: shared::User = app.me(&browser).await.json().await.unwrap();
    assert_eq!(user.roles, ["admin"]);
    assert_eq!(
        user.permissions,
        ["admin:sessions", "read:messages", "write:messages"]
    );

    // The tokens are in the session row, sealed: no JWT in clear anywhere in it.
    let (row, sealed): (String, String) =
        sqlx::query_as("SELECT row_to_json(s)::text, tokens_sealed FROM sessions s")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!contains_jwt(&row), "{row}");
    let keys = ferris_login::crypto::Keyring::from_secrets([TEST_SECRET]);
    let opened = keys
        .open(ferris_login::session::StoredTokens::SEAL_CONTEXT, &sealed)
        .expect("sealed with the app's key");
    let tokens: serde_json::Value = serde_json::from_slice(&opened).unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    assert!(
        access_token.starts_with("eyJ"),
        "a JWT access token for the API"
    );
    assert!(!sealed.contains(access_token));
    assert!(tokens["refresh_token"].is_string() || tokens["refresh_token"].is_null());
}

fn access_token(fake: &FakeIdp, aud: &str, signing: Signing) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    sign(
        &json!({"alg": "RS256", "kid": "key-1", "typ": "at+jwt"}),
        &json!({"iss": fake.issuer, "aud": aud, "sub": "fake-user-1", "iat": now,
                "exp": now + 300, "permissions": ["delete:everything"]}),
        &signing,
    )
}

async fn permissions_with(token: impl FnOnce(&FakeIdp) -> String) -> Vec<String> {
    let fake = FakeIdp::start().await;
    let at = token(&fake);
    fake.set(|k| k.access_token = Some(at));
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![("AUTH0_AUDIENCE", API.to_owned())],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    assert_eq!(
        app.login_via_fake(&browser).await.status(),
        StatusCode::FOUND
    );
    let user: shared::User = app.me(&browser).await.json().await.unwrap();
    user.permissions
}

#[tokio::test]
async fn a_verified_access_token_grants_its_permissions() {
    let granted = permissions_with(|f| access_token(f, API, Signing::Good)).await;
    assert_eq!(granted, ["delete:everything"]);
}

/// The provider rotates its signing key between two logins: the login that discovers the new
/// key (for its ID token) checks the access token against that key too, so its permissions
/// count from the first login on.
#[tokio::test]
async fn the_first_login_after_a_key_rotation_keeps_its_permissions() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![("AUTH0_AUDIENCE", API.to_owned())],
        ..Default::default()
    })
    .await;
    let before = Browser::new();
    fake.set(|k| k.access_token = Some(access_token(&fake, API, Signing::Good)));
    assert_eq!(
        app.login_via_fake(&before).await.status(),
        StatusCode::FOUND
    );

    // From now on a new key (kid key-2) signs both tokens.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let rotated = sign(
        &json!({"alg": "RS256", "kid": "key-2", "typ": "at+jwt"}),
        &json!({"iss": fake.issuer, "aud": API, "sub": "fake-user-1", "iat": now,
                "exp": now + 300, "permissions": ["delete:everything"]}),
        &Signing::OtherKey,
    );
    fake.set(|k| {
        k.jwks = Some(
            json!({"keys": [jwk(&keys().good, Some("key-1")), jwk(&keys().other, Some("key-2"))]}),
        );
        k.header.insert("kid".into(), json!("key-2"));
        k.signing = Signing::OtherKey;
        k.access_token = Some(rotated);
    });
    let after = Browser::new();
    assert_eq!(app.login_via_fake(&after).await.status(), StatusCode::FOUND);
    let user: shared::User = app.me(&after).await.json().await.unwrap();
    assert_eq!(user.permissions, ["delete:everything"]);
}

#[tokio::test]
async fn forged_or_foreign_access_tokens_grant_nothing() {
    let forged = permissions_with(|f| access_token(f, API, Signing::OtherKey)).await;
    assert!(forged.is_empty());
    let tampered = permissions_with(|f| access_token(f, API, Signing::Tampered)).await;
    assert!(tampered.is_empty());
    let other_api = permissions_with(|f| access_token(f, "https://other.api", Signing::Good)).await;
    assert!(other_api.is_empty());
    let unsigned = permissions_with(|f| {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        sign(
            &json!({"alg": "none"}),
            &json!({"iss": f.issuer, "aud": API, "exp": now + 300, "permissions": ["x"]}),
            &Signing::Empty,
        )
    })
    .await;
    assert!(unsigned.is_empty());
}

/// Roles are not frozen at login: a user demoted at the provider loses `/admin` at the next
/// refresh.
#[tokio::test]
async fn a_demoted_user_loses_admin_at_the_next_refresh() {
    let app = spawn_app_with(AppOptions {
        extra_env: vec![
            ("AUTH0_AUDIENCE", DEV_API.to_owned()),
            ("AUTH0_REFRESH_TOKENS", "true".to_owned()),
        ],
        ..Default::default()
    })
    .await;
    let alice = Browser::new();
    app.login_as(&alice, "alice").await;
    let admin_page = app.url(shared::routes::ADMIN_SESSIONS);
    assert_eq!(alice.api_get(&admin_page).await.status(), StatusCode::OK);

    app.dev_user(
        "alice",
        json!({"roles": [], "permissions": ["read:messages"]}),
    )
    .await;
    // Until the access token is due, the session keeps what it had.
    assert_eq!(alice.api_get(&admin_page).await.status(), StatusCode::OK);

    // The dev provider's access tokens last ten minutes; past that (and the refresh buffer),
    // the next request refreshes first.
    app.clock.advance(std::time::Duration::from_secs(600));
    let refused = alice.api_get(&admin_page).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let user: shared::User = app.me(&alice).await.json().await.unwrap();
    assert!(user.roles.is_empty(), "{user:?}");
    assert_eq!(user.permissions, ["read:messages"]);
}

//! Pushed authorization requests (RFC 9126) and client authentication with `private_key_jwt`
//! (RFC 7523): cases I01–I08 of the relying-party cases (docs/relying-party-cases.md). The
//! flows run against the dev provider; refusals and assertion checks against the fake one.
//! The client's keys are generated when the tests start; none is committed.

use std::sync::OnceLock;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::StatusCode;
use rsa::{
    pkcs8::{EncodePrivateKey, LineEnding},
    traits::PublicKeyParts,
    RsaPrivateKey,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    fake_idp::{keys, FakeIdp, Knobs, Par},
    helpers::*,
};

/// The client's own key pair (the app signs assertions with it; providers know its public half).
fn client_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key"))
}

fn pem(key: &RsaPrivateKey) -> String {
    key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}

/// RFC 7638 thumbprint: the `kid` the app gives a PEM key.
fn thumbprint(key: &RsaPrivateKey) -> String {
    let public = key.to_public_key();
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        URL_SAFE_NO_PAD.encode(public.n().to_bytes_be())
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical))
}

fn public_jwks(key: &RsaPrivateKey) -> String {
    let public = key.to_public_key();
    json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": thumbprint(key),
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]})
    .to_string()
}

const JWT_CLIENT_ID: &str = "bff-test-jwt";

/// The app authenticating with `key` and no secret at all.
fn private_key_jwt_env(key: &RsaPrivateKey) -> Vec<(&'static str, String)> {
    vec![
        ("AUTH0_CLIENT_SECRET", String::new()),
        ("AUTH0_CLIENT_ASSERTION_SIGNING_KEY", pem(key)),
    ]
}

fn query_names(url: &str) -> Vec<String> {
    let mut names: Vec<String> = reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn i01_a_login_through_a_pushed_request_sends_only_client_id_and_request_uri() {
    let app = spawn_app_with(AppOptions {
        idp_env: vec![("DEVIDP_PUSHED_AUTHORIZATION_REQUESTS", "on".to_owned())],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, Some("/profile")).await;
    assert_eq!(query_names(&authorize), ["client_id", "request_uri"]);
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(CLIENT_ID)
    );

    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    let done = browser.get(&callback).await;
    assert_eq!(done.status(), StatusCode::FOUND);
    assert_eq!(location(&done), app.url("/profile"));
    let me: shared::User = app.me(&browser).await.json().await.unwrap();
    assert_eq!(me.sub, "user-alice");
}

#[tokio::test]
async fn i02_a_refused_push_is_a_clear_502_par_refused_and_no_redirect() {
    let fake = FakeIdp::start_with(Knobs {
        par: Some(Par::Refuse(401, "invalid_client")),
        ..Default::default()
    })
    .await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();

    let refused = browser.get(&app.url("/api/auth/login")).await;
    assert_eq!(refused.status(), StatusCode::BAD_GATEWAY);
    let body: shared::ErrorBody = refused.json().await.unwrap();
    assert_eq!(body.error.code, shared::ErrorCode::ParRefused);
    assert!(
        !body.error.message.contains("invalid_client"),
        "the provider's words stay in the log"
    );

    // A browser lands on the SPA's explanation.
    let navigation = browser.navigate(&app.url("/api/auth/login")).await;
    assert_eq!(location(&navigation), app.url("/?login_error=par_refused"));
    assert_eq!(fake.par_requests().len(), 2);
    assert_eq!(fake.token_requests(), 0);
}

#[tokio::test]
async fn i03_par_required_without_the_endpoint_stops_the_start() {
    let fake = FakeIdp::start().await;
    let db = TestDatabase::create().await;
    let config = ferris_login::Config::builder()
        .base_url("http://localhost:1")
        .issuer(fake.issuer.clone())
        .client(CLIENT_ID, CLIENT_SECRET)
        .secret(TEST_SECRET)
        .database_url(db.url.clone())
        .pushed_authorization_requests("required")
        .build()
        .unwrap();
    let auth = ferris_login::Auth::builder(config).build().unwrap();
    let err = auth.start().await.unwrap_err().to_string();
    assert!(
        err.contains("AUTH0_PUSHED_AUTHORIZATION_REQUESTS is required")
            && err.contains("pushed_authorization_request_endpoint"),
        "{err}"
    );
}

#[tokio::test]
async fn i04_par_required_and_advertised_pushes_every_login() {
    let fake = FakeIdp::start_with(Knobs {
        par: Some(Par::Accept),
        ..Default::default()
    })
    .await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![("AUTH0_PUSHED_AUTHORIZATION_REQUESTS", "required".to_owned())],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    assert_eq!(
        app.login_via_fake(&browser).await.status(),
        StatusCode::FOUND
    );
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    let pushed = &fake.par_requests()[0];
    let names: Vec<&str> = pushed.iter().map(|(k, _)| k.as_str()).collect();
    for name in [
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
    ] {
        assert!(names.contains(&name), "{name} pushed: {names:?}");
    }
}

#[tokio::test]
async fn i05_an_unknown_or_expired_request_uri_at_the_callback_is_a_clear_error() {
    let app = spawn_app_with(AppOptions {
        idp_env: vec![("DEVIDP_PUSHED_AUTHORIZATION_REQUESTS", "on".to_owned())],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, None).await;
    let expired = with_query_param(
        &authorize,
        "request_uri",
        Some("urn:ietf:params:oauth:request_uri:expired"),
    );
    // The provider sends its error to the one registered redirect URI, without our state.
    let at_provider = browser.get(&expired).await;
    assert!(at_provider.status().is_redirection());
    let callback = absolute(&expired, &location(&at_provider));
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request_uri")
    );

    let answer = browser.get(&callback).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: shared::ErrorBody = answer.json().await.unwrap();
    assert_eq!(body.error.code, shared::ErrorCode::LoginExpired);
    let navigation = browser.navigate(&callback).await;
    assert_eq!(
        location(&navigation),
        app.url("/?login_error=login_expired")
    );
    assert_eq!(app.session_rows().await, 0);
}

#[tokio::test]
async fn i06_private_key_jwt_login_refresh_and_revocation_against_the_dev_provider() {
    let mut env = private_key_jwt_env(client_key());
    env.extend([
        ("AUTH0_CLIENT_ID", JWT_CLIENT_ID.to_owned()),
        ("AUTH0_REFRESH_TOKENS", "true".to_owned()),
        (
            "AUTH0_TOKEN_ENDPOINT_AUTH_METHOD",
            "private_key_jwt".to_owned(),
        ),
    ]);
    let app = spawn_app_with(AppOptions {
        extra_env: env,
        idp_env: vec![
            ("DEVIDP_JWT_CLIENT_ID", JWT_CLIENT_ID.to_owned()),
            ("DEVIDP_JWT_CLIENT_JWKS", public_jwks(client_key())),
            // The push is authenticated the same way.
            ("DEVIDP_PUSHED_AUTHORIZATION_REQUESTS", "on".to_owned()),
        ],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, None).await;
    assert_eq!(query_names(&authorize), ["client_id", "request_uri"]);
    let callback = app
        .sign_in_at_provider(&browser, &authorize, "alice", "alice")
        .await;
    assert_eq!(browser.get(&callback).await.status(), StatusCode::FOUND);
    let me: shared::User = app.me(&browser).await.json().await.unwrap();
    assert_eq!(me.roles, ["admin"]);

    // A refresh (past the ten-minute access token) authenticates with an assertion too: the
    // provider's new roles show.
    app.dev_user("alice", json!({"roles": ["editor"]})).await;
    app.clock.advance(std::time::Duration::from_secs(600));
    let me: shared::User = app.me(&browser).await.json().await.unwrap();
    assert_eq!(me.roles, ["editor"], "refreshed at the provider");

    // Logout revokes the refresh token: the provider accepted the assertion there too.
    let sealed: String = sqlx::query_scalar("SELECT tokens_sealed FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let keyring = ferris_login::crypto::Keyring::from_secrets([TEST_SECRET]);
    let tokens: serde_json::Value = serde_json::from_slice(
        &keyring
            .open(ferris_login::session::StoredTokens::SEAL_CONTEXT, &sealed)
            .unwrap(),
    )
    .unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    // Asked by the other (secret) client, which the dev provider lets introspect any token.
    let active = || async {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/token/introspection", app.issuer))
            .basic_auth(urlencode(CLIENT_ID), Some(urlencode(CLIENT_SECRET)))
            .form(&[("token", refresh_token.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["active"].as_bool().unwrap()
    };
    assert!(active().await, "live before the logout");
    assert_eq!(app.logout(&browser).await.status(), StatusCode::OK);
    assert!(!active().await, "revoked by the logout");
}

#[tokio::test]
async fn i07_the_token_endpoint_gets_a_signed_short_unique_assertion_for_the_issuer() {
    let fake = FakeIdp::start_with(Knobs {
        client_assertion_key: Some(client_key().to_public_key()),
        ..Default::default()
    })
    .await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: [
            private_key_jwt_env(client_key()),
            vec![("AUTH0_REFRESH_TOKENS", "true".to_owned())],
        ]
        .concat(),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    assert_eq!(
        app.login_via_fake(&browser).await.status(),
        StatusCode::FOUND
    );
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    // The refresh is authenticated the same way (a fresh jti: a replay would be refused).
    app.clock.advance(std::time::Duration::from_secs(301));
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    assert_eq!(fake.refresh_grants(), 1);
    assert_eq!(fake.assertions_accepted(), 2);
    assert_eq!(fake.assertion_refusals(), Vec::<String>::new());
}

#[tokio::test]
async fn i08_an_assertion_signed_with_an_unregistered_key_is_refused_and_logs_in_no_one() {
    let fake = FakeIdp::start_with(Knobs {
        client_assertion_key: Some(client_key().to_public_key()),
        ..Default::default()
    })
    .await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: private_key_jwt_env(&keys().other),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    let refused = app.login_via_fake(&browser).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: shared::ErrorBody = refused.json().await.unwrap();
    assert_eq!(body.error.code, shared::ErrorCode::LoginDenied);
    assert_eq!(fake.assertion_refusals(), ["bad signature"]);
    assert_eq!(app.session_rows().await, 0);
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn i09_a_provider_that_does_not_offer_private_key_jwt_stops_the_start() {
    let fake = FakeIdp::start().await; // client_secret_basic only
    let db = TestDatabase::create().await;
    let config = ferris_login::Config::builder()
        .base_url("http://localhost:1")
        .issuer(fake.issuer.clone())
        .client_id(CLIENT_ID)
        .client_assertion_signing_key(pem(client_key()))
        .secret(TEST_SECRET)
        .database_url(db.url.clone())
        .build()
        .unwrap();
    let auth = ferris_login::Auth::builder(config).build().unwrap();
    let err = auth.start().await.unwrap_err().to_string();
    assert!(err.contains("private_key_jwt"), "{err}");
}

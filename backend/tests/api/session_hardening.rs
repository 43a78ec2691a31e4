//! Sessions across keys, replicas and restarts: cases C01, C06 and C09 of the relying-party
//! cases (docs/relying-party-cases.md). Single-app cases live in `login.rs` and `me.rs`
//! (named by id); store-level ones in `session_store.rs`.

use reqwest::StatusCode;

use crate::{fake_idp::FakeIdp, helpers::*};

const OLD_SECRET: &str = "the-old-secret-0123456789abcdefghijkl";
const NEW_SECRET: &str = "the-new-secret-0123456789abcdefghijkl";

async fn replica(fake: &FakeIdp, of: &TestApp, secret: &str) -> TestApp {
    spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        database_url: Some(of.database_url.clone()),
        base_url: Some(of.address.clone()),
        extra_env: vec![("AUTH0_SECRET", secret.to_owned())],
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn c06_secret_rotation_keeps_sessions_and_a_foreign_key_is_anonymous() {
    let fake = FakeIdp::start().await;
    let before = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![("AUTH0_SECRET", OLD_SECRET.to_owned())],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    assert_eq!(
        before.login_via_fake(&browser).await.status(),
        StatusCode::FOUND
    );

    // A replica that only knows the new secret cannot read the old cookie.
    let new_only = replica(&fake, &before, NEW_SECRET).await;
    assert_eq!(
        new_only.me(&browser).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Rotated: new first, old still accepted. The session survives and is re-signed.
    let rotated = replica(&fake, &before, &format!("{NEW_SECRET},{OLD_SECRET}")).await;
    let me = rotated.me(&browser).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert!(set_cookies(&me)
        .iter()
        .any(|c| c.starts_with("bff_session=")));
    // Now signed with the new key: the new-only replica reads it too.
    assert_eq!(new_only.me(&browser).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn c09_login_started_on_one_replica_finishes_on_another() {
    let fake = FakeIdp::start().await;
    let a = spawn_app_against(&fake).await;
    let b = replica(&fake, &a, TEST_SECRET).await;
    let browser = Browser::new();
    let callback = a.callback_via_fake(&browser).await;
    let on_b = callback.replace(&a.address, &b.address);
    assert_eq!(browser.get(&on_b).await.status(), StatusCode::FOUND);
    assert_eq!(a.me(&browser).await.status(), StatusCode::OK);
    assert_eq!(b.me(&browser).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn c09_sessions_survive_a_restart() {
    let fake = FakeIdp::start().await;
    let first = spawn_app_against(&fake).await;
    let browser = Browser::new();
    first.login_via_fake(&browser).await;
    // A new process on the same database and secret (the old one still runs; it does not
    // matter which answers).
    let restarted = replica(&fake, &first, TEST_SECRET).await;
    assert_eq!(restarted.me(&browser).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn c01_over_https_cookies_are_host_prefixed_secure_and_hsts_is_sent() {
    let fake = FakeIdp::start().await;
    // Served behind TLS termination: the public origin is https, the test talks plain http
    // to the listener.
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        https_origin: true,
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    let login = browser.get(&app.url("/api/auth/login")).await;
    assert!(login.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let txn_cookie = set_cookies(&login)
        .into_iter()
        .find(|c| c.starts_with("__Host-bff_txn_"))
        .expect("__Host- transaction cookie");
    assert!(
        txn_cookie.contains("Secure") && txn_cookie.contains("Path=/"),
        "{txn_cookie}"
    );
    let authorize = location(&login);
    let callback = location(&browser.get(&authorize).await);
    assert!(callback.starts_with("https://localhost:"));
    // Present the transaction cookie as the browser would over TLS.
    let txn_pair = txn_cookie.split(';').next().unwrap().to_owned();
    let done = browser
        .client
        .get(callback.replacen("https://", "http://", 1))
        .header("Cookie", txn_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::FOUND);
    assert!(location(&done).starts_with("https://localhost:"));
    let session = set_cookies(&done)
        .into_iter()
        .find(|c| c.starts_with("__Host-bff_session="))
        .expect("__Host- session cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    assert!(!session.to_lowercase().contains("domain="));
    assert!(session.len() <= 4096);
}

//! The session store down and back: cases G01–G05 of the relying-party cases
//! (docs/relying-party-cases.md).

use std::time::Duration;

use reqwest::StatusCode;

use crate::{
    fake_idp::{FakeIdp, Knobs},
    helpers::*,
    throwaway_postgres::ThrowawayPostgres,
};

/// `/me` once it is no longer 200 (the cache is bypassed a few milliseconds after the
/// database goes away), within a second.
async fn eventually_unavailable(app: &TestApp, browser: &Browser) -> reqwest::Response {
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        let me = app.me(browser).await;
        if me.status() != StatusCode::OK || std::time::Instant::now() > deadline {
            return me;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn g01_g03_database_down_means_503_never_a_lost_session_or_a_fake_logout() {
    let pg = ThrowawayPostgres::start();
    let app = spawn_app_with(AppOptions {
        database_url: Some(pg.url()),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);

    pg.stop();

    // The replica notices within milliseconds that it no longer hears of session changes:
    // from then on nothing is served from its cache.
    let me = eventually_unavailable(&app, &browser).await;
    for header in [
        "x-request-id",
        "content-security-policy",
        "x-content-type-options",
        "cache-control",
    ] {
        assert!(me.headers().contains_key(header), "503 without {header}");
    }
    assert!(
        !set_cookies(&me)
            .iter()
            .any(|c| c.starts_with("bff_session=")),
        "a live session's cookie is never cleared because the store is down"
    );
    let body: shared::ErrorBody = me.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "store_unavailable");

    let logout = app.logout(&browser).await;
    assert_eq!(
        logout.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "a failed logout is not a success"
    );

    let ready = browser.get(&app.url("/readyz")).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    pg.start_again();

    // The pool heals without a restart, and the session is still there.
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = app.me(&browser).await.status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.logout(&browser).await.status(), StatusCode::OK);
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn g02_database_dies_mid_callback_leaves_no_session_and_the_code_is_not_redeemed_again() {
    let pg = ThrowawayPostgres::start();
    let fake = FakeIdp::start_with(Knobs {
        token_delay: Some(Duration::from_secs(3)),
        ..Default::default()
    })
    .await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        database_url: Some(pg.url()),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    let callback = app.callback_via_fake(&browser).await;
    let pending = tokio::spawn({
        let browser = browser.clone();
        async move { browser.get(&callback).await }
    });
    // While the code exchange is under way, the database goes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    pg.stop();
    let response = pending.await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!set_cookies(&response)
        .iter()
        .any(|c| c.starts_with("bff_session=")));
    assert_eq!(fake.token_requests(), 1);

    pg.start_again();
    fake.set(|k| k.token_delay = None);
    assert_eq!(app.session_rows().await, 0, "no partial row");
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..30 {
        status = app.login_via_fake(&browser).await.status();
        if status == StatusCode::FOUND {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        StatusCode::FOUND,
        "a new login succeeds after recovery"
    );
}

#[tokio::test]
async fn g04_database_down_during_back_channel_logout_is_503_and_a_retry_works() {
    let pg = ThrowawayPostgres::start();
    let fake = FakeIdp::start().await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        database_url: Some(pg.url()),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    app.login_via_fake(&browser).await;
    let token = fake.logout_token("fake-sid-1");
    let post = || {
        reqwest::Client::new()
            .post(app.url("/api/auth/backchannel-logout"))
            .form(&[("logout_token", token.as_str())])
            .send()
    };
    pg.stop();
    assert_eq!(
        post().await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    pg.start_again();
    // The provider's retry (same token, same jti) now ends the session.
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..30 {
        status = post().await.unwrap().status();
        if status != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn g05_killed_connections_heal_and_an_exhausted_pool_fails_fast_with_503() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![
            ("DATABASE_MAX_CONNECTIONS", "1".to_owned()),
            // Every /me must need the pool (a cached session needs no connection).
            ("SESSION_CACHE", "off".to_owned()),
        ],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    app.login_via_fake(&browser).await;
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);

    // Every backend of the app killed mid-life: the pool notices and reconnects.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.me(&browser).await.status());
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&StatusCode::OK), "{statuses:?}");

    // The app's only connection is stuck behind a lock: requests fail fast with 503 after
    // the pool's acquire timeout, and unrelated routes still answer.
    let mut blocker = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let stuck = tokio::spawn({
        let browser = browser.clone();
        let url = app.url("/api/auth/me");
        async move { browser.api_get(&url).await.status() }
    });
    // Let the first request take the only connection (and block on the lock).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = std::time::Instant::now();
    let second = app.me(&browser).await;
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        Browser::new().get(&app.url("/healthz")).await.status(),
        StatusCode::OK
    );
    blocker.rollback().await.unwrap();
    let first = stuck.await.unwrap();
    assert!(first == StatusCode::OK || first == StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.me(&browser).await.status(),
        StatusCode::OK,
        "the pool heals"
    );
}

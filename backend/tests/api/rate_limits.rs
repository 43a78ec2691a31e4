//! Rate limits per client address on login, callback and back-channel logout: a bounded
//! flood on loopback gets 429 JSON with `Retry-After`, and nobody else is slowed down.

use reqwest::StatusCode;

use crate::{fake_idp::FakeIdp, helpers::*};

#[tokio::test]
async fn a_flood_of_logins_from_one_address_gets_429_with_retry_after() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![
            // 12 a minute, bursts of 5.
            ("RATE_LIMIT_PER_MINUTE", "12".to_owned()),
            ("TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ],
        ..Default::default()
    })
    .await;
    let flooder = Browser::new();
    let login = app.url("/api/auth/login");
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..40 {
        let response = flooder.get(&login).await;
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS && refused.is_none() {
            refused = Some(response);
        }
    }
    let allowed = statuses.iter().filter(|s| **s == StatusCode::FOUND).count();
    assert!((5..=6).contains(&allowed), "{statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        40 - allowed
    );
    let refused = refused.unwrap();
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(refused.headers().contains_key("x-request-id"));
    assert!(
        set_cookies(&refused).is_empty(),
        "no login transaction was started"
    );
    let body: shared::ErrorBody = refused.json().await.unwrap();
    assert_eq!(body.error.code, shared::ErrorCode::RateLimited);

    // The same address is not limited elsewhere...
    assert_eq!(app.me(&flooder).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        flooder.get(&app.url("/healthz")).await.status(),
        StatusCode::OK
    );
    // ...and another client behind the trusted proxy is not limited at all.
    let neighbour = flooder
        .client
        .get(&login)
        .header("X-Forwarded-For", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(neighbour.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn callbacks_and_back_channel_logouts_are_limited_too() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![("RATE_LIMIT_PER_MINUTE", "6".to_owned())],
        ..Default::default()
    })
    .await;
    let client = Browser::new();
    for (path, post) in [
        ("/api/auth/callback?state=x&code=y", false),
        ("/api/auth/backchannel-logout", true),
    ] {
        let mut limited = false;
        for _ in 0..20 {
            let request = if post {
                client
                    .client
                    .post(app.url(path))
                    .form(&[("logout_token", "not-a-token")])
            } else {
                client.client.get(app.url(path))
            };
            if request.send().await.unwrap().status() == StatusCode::TOO_MANY_REQUESTS {
                limited = true;
                break;
            }
        }
        assert!(limited, "{path} is limited");
    }
}

/// An app 12 logins a minute per client (bursts of 5), behind a trusted proxy on loopback.
async fn behind_a_proxy(fake: &FakeIdp) -> TestApp {
    spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        extra_env: vec![
            ("RATE_LIMIT_PER_MINUTE", "12".to_owned()),
            ("TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        ],
        ..Default::default()
    })
    .await
}

async fn login_forwarded_for(app: &TestApp, client: &str) -> StatusCode {
    Browser::new()
        .client
        .get(app.url("/api/auth/login"))
        .header("X-Forwarded-For", client)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn an_ipv6_client_rotating_through_its_64_is_still_limited() {
    let fake = FakeIdp::start().await;
    let app = behind_a_proxy(&fake).await;
    let mut statuses = Vec::new();
    for i in 1..=20u32 {
        statuses.push(login_forwarded_for(&app, &format!("2001:db8:1:2::{i:x}")).await);
    }
    let allowed = statuses.iter().filter(|s| **s == StatusCode::FOUND).count();
    assert!((5..=6).contains(&allowed), "{statuses:?}");
    // Another /64 is someone else.
    assert_eq!(
        login_forwarded_for(&app, "2001:db8:1:3::1").await,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn clients_forwarded_with_ports_each_count_on_their_own() {
    let fake = FakeIdp::start().await;
    let app = behind_a_proxy(&fake).await;
    for i in 1..=8u32 {
        for client in [
            format!("198.51.100.{i}:{}", 40_000 + i),
            format!("[2001:db8:{i}::1]:443"),
        ] {
            assert_eq!(
                login_forwarded_for(&app, &client).await,
                StatusCode::FOUND,
                "{client} has a bucket of its own, not the proxy's"
            );
        }
    }
}

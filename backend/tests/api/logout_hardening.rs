//! Logout and back-channel logout: cases D01 and D03–D11 of the relying-party cases
//! (docs/relying-party-cases.md), with logout tokens signed by the fake provider (the real
//! one is in `backchannel.rs`; D12 is in `concurrency.rs`).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    fake_idp::{jwk, keys, sign, FakeIdp, Signing},
    helpers::*,
};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

struct Setup {
    fake: FakeIdp,
    app: TestApp,
    /// Signed in through the fake: sub `fake-user-1`, sid `fake-sid-1`.
    victim: Browser,
    /// Another user, another provider session.
    other: Browser,
}

async fn setup() -> Setup {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let victim = Browser::new();
    assert_eq!(
        app.login_via_fake(&victim).await.status(),
        StatusCode::FOUND
    );
    fake.set(|k| {
        k.claims.insert("sub".into(), json!("fake-user-2"));
        k.claims.insert("sid".into(), json!("fake-sid-2"));
    });
    let other = Browser::new();
    assert_eq!(app.login_via_fake(&other).await.status(), StatusCode::FOUND);
    Setup {
        fake,
        app,
        victim,
        other,
    }
}

impl Setup {
    fn claims(&self) -> Value {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        json!({
            "iss": self.fake.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 120,
            "jti": random_code(),
            "sid": "fake-sid-1",
            "sub": "fake-user-1",
            "events": {EVENT: {}},
            "extra": "ignored",
        })
    }

    fn token(&self, header: Value, claims: Value, signing: Signing) -> String {
        sign(&header, &claims, &signing)
    }

    fn good_header() -> Value {
        json!({"alg": "RS256", "kid": "key-1", "typ": "logout+jwt"})
    }

    async fn post(&self, token: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.app.url("/api/auth/backchannel-logout"))
            .form(&[("logout_token", token)])
            .send()
            .await
            .unwrap()
    }

    async fn assert_refused(&self, token: &str, case: &str) {
        let response = self.post(token).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
        assert_eq!(
            self.app.me(&self.victim).await.status(),
            StatusCode::OK,
            "{case}: intact"
        );
        assert_eq!(
            self.app.me(&self.other).await.status(),
            StatusCode::OK,
            "{case}: intact"
        );
    }

    fn with(&self, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
        let mut claims = self.claims();
        change(claims.as_object_mut().unwrap());
        claims
    }
}

#[tokio::test]
async fn d01_logout_twice_and_anonymous_logout_are_idempotent() {
    let s = setup().await;
    let first = s.victim.api_post(&s.app.url("/api/auth/logout")).await;
    assert_eq!(first.status(), StatusCode::OK);
    let body: shared::LogoutResponse = first.json().await.unwrap();
    assert!(body
        .redirect_to
        .starts_with(&format!("{}/logout", s.fake.issuer)));
    assert!(query_param(&body.redirect_to, "id_token_hint").is_some());
    let again = s.victim.api_post(&s.app.url("/api/auth/logout")).await;
    assert_eq!(again.status(), StatusCode::OK);
    let anonymous = Browser::new()
        .api_post(&s.app.url("/api/auth/logout"))
        .await;
    assert_eq!(anonymous.status(), StatusCode::OK);
    assert_eq!(s.app.me(&s.other).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn d03_a_non_local_return_to_after_logout_becomes_the_app_root() {
    let s = setup().await;
    let anonymous = Browser::new();
    for evil in ["https://evil.example/", "//evil.example", "/\\evil.example"] {
        let url = format!(
            "{}?returnTo={}",
            s.app.url("/api/auth/logout"),
            urlencode(evil)
        );
        let body: shared::LogoutResponse = anonymous.api_post(&url).await.json().await.unwrap();
        assert_eq!(body.redirect_to, s.app.url("/"), "{evil}");
    }
}

#[tokio::test]
async fn d04_a_logout_token_with_sid_ends_that_session_only() {
    let s = setup().await;
    let token = s.token(Setup::good_header(), s.claims(), Signing::Good);
    let response = s.post(&token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(s.app.me(&s.victim).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.app.me(&s.other).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn d04_a_logout_token_with_only_sub_ends_all_that_users_sessions() {
    let s = setup().await;
    // A second session of the same user (another provider session).
    s.fake.set(|k| {
        k.claims.insert("sub".into(), json!("fake-user-1"));
        k.claims.insert("sid".into(), json!("fake-sid-3"));
    });
    let laptop = Browser::new();
    s.app.login_via_fake(&laptop).await;
    let claims = s.with(|c| {
        c.remove("sid");
    });
    let response = s
        .post(&s.token(Setup::good_header(), claims, Signing::Good))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(s.app.me(&s.victim).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.app.me(&laptop).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.app.me(&s.other).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn d05_a_logout_token_for_no_session_is_200_and_ends_nothing() {
    let s = setup().await;
    let claims = s.with(|c| {
        c.insert("sid".into(), json!("unknown-sid"));
        c.insert("sub".into(), json!("unknown-user"));
    });
    let response = s
        .post(&s.token(Setup::good_header(), claims, Signing::Good))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(s.app.session_rows().await, 2);
}

#[tokio::test]
async fn d06_unsigned_hmac_forged_and_unknown_key_tokens_are_400() {
    let s = setup().await;
    let claims = s.claims();
    let public = serde_json::to_vec(&jwk(&keys().good, Some("key-1"))).unwrap();
    let cases = [
        (
            "alg none",
            json!({"alg": "none", "typ": "logout+jwt"}),
            Signing::Empty,
        ),
        (
            "HS256 with the secret",
            json!({"alg": "HS256", "typ": "logout+jwt"}),
            Signing::Hmac(CLIENT_SECRET.as_bytes().to_vec()),
        ),
        (
            "HS256 with the public key",
            json!({"alg": "HS256", "typ": "logout+jwt"}),
            Signing::Hmac(public),
        ),
        ("bad signature", Setup::good_header(), Signing::Tampered),
        ("another key", Setup::good_header(), Signing::OtherKey),
        (
            "unknown kid",
            json!({"alg": "RS256", "kid": "nope", "typ": "logout+jwt"}),
            Signing::Good,
        ),
    ];
    for (case, header, signing) in cases {
        s.assert_refused(&s.token(header, claims.clone(), signing), case)
            .await;
    }
}

#[tokio::test]
async fn d07_wrong_issuer_audience_or_times_are_400() {
    let s = setup().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases: Vec<(&str, Value)> = vec![
        (
            "wrong iss",
            s.with(|c| {
                c.insert("iss".into(), json!("https://evil.example"));
            }),
        ),
        (
            "wrong aud",
            s.with(|c| {
                c.insert("aud".into(), json!("other-client"));
            }),
        ),
        (
            "us and an extra, untrusted audience",
            s.with(|c| {
                c.insert("aud".into(), json!([CLIENT_ID, "other-client"]));
            }),
        ),
        (
            "exp beyond what the jti memory covers",
            s.with(|c| {
                c.insert("exp".into(), json!(now + 3600));
            }),
        ),
        (
            "exp that overflows naive arithmetic",
            s.with(|c| {
                c.insert("exp".into(), json!(i64::MAX));
            }),
        ),
        (
            "no exp",
            s.with(|c| {
                c.remove("exp");
            }),
        ),
        (
            "expired",
            s.with(|c| {
                c.insert("exp".into(), json!(now - 600));
            }),
        ),
        (
            "iat long ago",
            s.with(|c| {
                c.insert("iat".into(), json!(now - 86_400));
            }),
        ),
        (
            "iat in the future",
            s.with(|c| {
                c.insert("iat".into(), json!(now + 3600));
            }),
        ),
    ];
    for (case, claims) in cases {
        s.assert_refused(&s.token(Setup::good_header(), claims, Signing::Good), case)
            .await;
    }
}

#[tokio::test]
async fn d08_missing_or_malformed_events_are_400() {
    let s = setup().await;
    let cases: Vec<(&str, Value)> = vec![
        (
            "no events",
            s.with(|c| {
                c.remove("events");
            }),
        ),
        (
            "other event",
            s.with(|c| {
                c.insert("events".into(), json!({"http://example/other": {}}));
            }),
        ),
        (
            "event true",
            s.with(|c| {
                c.insert("events".into(), json!({EVENT: true}));
            }),
        ),
        (
            "event array",
            s.with(|c| {
                c.insert("events".into(), json!({EVENT: []}));
            }),
        ),
    ];
    for (case, claims) in cases {
        s.assert_refused(&s.token(Setup::good_header(), claims, Signing::Good), case)
            .await;
    }
}

#[tokio::test]
async fn d09_token_confusion_is_400() {
    let s = setup().await;
    let id_token = s.fake.token_for(Some("a-nonce"));
    s.assert_refused(&id_token, "an ID token as logout token")
        .await;
    let with_nonce = s.with(|c| {
        c.insert("nonce".into(), json!("n"));
    });
    s.assert_refused(
        &s.token(Setup::good_header(), with_nonce, Signing::Good),
        "nonce",
    )
    .await;
    let anonymous = s.with(|c| {
        c.remove("sub");
        c.remove("sid");
    });
    s.assert_refused(
        &s.token(Setup::good_header(), anonymous, Signing::Good),
        "no sub, no sid",
    )
    .await;
    let access_token_typed = json!({"alg": "RS256", "kid": "key-1", "typ": "at+jwt"});
    s.assert_refused(
        &s.token(access_token_typed, s.claims(), Signing::Good),
        "typ at+jwt",
    )
    .await;
}

#[tokio::test]
async fn d10_a_replayed_logout_token_is_400_and_never_ends_a_newer_session() {
    let s = setup().await;
    let claims = s.claims();
    let token = s.token(Setup::good_header(), claims.clone(), Signing::Good);
    assert_eq!(s.post(&token).await.status(), StatusCode::OK);
    // The jti is remembered at least as long as the token could be accepted.
    let remembered: time::OffsetDateTime =
        sqlx::query_scalar("SELECT expires_at FROM backchannel_logout_jtis")
            .fetch_one(&s.app.pool)
            .await
            .unwrap();
    assert!(remembered.unix_timestamp() >= claims["exp"].as_i64().unwrap());
    // The user logs in again with the same provider session id.
    s.fake.set(|k| {
        k.claims.insert("sub".into(), json!("fake-user-1"));
        k.claims.insert("sid".into(), json!("fake-sid-1"));
    });
    let again = Browser::new();
    s.app.login_via_fake(&again).await;
    let replay = s.post(&token).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert_eq!(s.app.me(&again).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn d11_transport_errors_are_4xx_and_need_no_cookie_or_csrf_header() {
    let s = setup().await;
    let endpoint = s.app.url("/api/auth/backchannel-logout");
    let client = reqwest::Client::new();
    let token = s.token(Setup::good_header(), s.claims(), Signing::Good);
    let get = client.get(&endpoint).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    let empty = client
        .post(&endpoint)
        .form(&[("other", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    let as_json = client
        .post(&endpoint)
        .json(&json!({"logout_token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(as_json.status(), StatusCode::BAD_REQUEST);
    let text = client
        .post(&endpoint)
        .header("Content-Type", "text/plain")
        .body(format!("logout_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::BAD_REQUEST);
    let huge = client
        .post(&endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("logout_token={}", "a".repeat(70 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s.app.me(&s.victim).await.status(), StatusCode::OK);
    // The valid token works without any cookie or anti-forgery header.
    assert_eq!(s.post(&token).await.status(), StatusCode::OK);
    assert_eq!(s.app.me(&s.victim).await.status(), StatusCode::UNAUTHORIZED);
}

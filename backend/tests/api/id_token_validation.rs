//! ID token and provider-response validation: cases A01–A17 of the relying-party cases
//! (docs/relying-party-cases.md). Most need a provider that misbehaves on cue: the fake one.
//! A13 (UserInfo) does not apply: the BFF takes claims from the verified ID token and never
//! calls UserInfo. A16 (a refreshed ID token) is in `refresh.rs`.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::{
    fake_idp::{jwk, keys, FakeIdp, Knobs, Signing},
    helpers::*,
};

/// REJECT: 400 JSON with a stable code, no session row, no session cookie.
async fn assert_rejected(app: &TestApp, response: Response, code: &str) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        !set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("bff_session=")),
        "no session cookie on a rejected login"
    );
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), code);
    assert_eq!(app.session_rows().await, 0);
}

async fn login_with(change: impl FnOnce(&mut Knobs)) -> (TestApp, FakeIdp, Response) {
    let fake = FakeIdp::start().await;
    fake.set(change);
    let app = spawn_app_against(&fake).await;
    let response = app.login_via_fake(&Browser::new()).await;
    (app, fake, response)
}

fn claim(name: &str, value: Value) -> impl FnOnce(&mut Knobs) {
    let name = name.to_owned();
    move |k: &mut Knobs| {
        k.claims.insert(name, value);
    }
}

#[tokio::test]
async fn a01_baseline_rs256_with_kid_and_an_odd_client_secret() {
    // The fake accepts only client_secret_basic with id and secret form-encoded before
    // Base64; the secret holds `: + % /` and a space.
    let (app, fake, response) = login_with(|_| {}).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(fake.token_requests(), 1);
    let browser_less_me = app.session_rows().await;
    assert_eq!(browser_less_me, 1);
}

#[tokio::test]
async fn a01_baseline_me_returns_the_claims() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    assert_eq!(
        app.login_via_fake(&browser).await.status(),
        StatusCode::FOUND
    );
    let user: shared::User = app.me(&browser).await.json().await.unwrap();
    assert_eq!(user.sub, "fake-user-1");
    assert_eq!(user.name.as_deref(), Some("Fiona Fake"));
    assert_eq!(user.email.as_deref(), Some("fiona@example.com"));
}

#[tokio::test]
async fn a02_payload_altered_after_signing_is_rejected() {
    let (app, _, response) = login_with(|k| k.signing = Signing::Tampered).await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a02_token_signed_by_another_key_is_rejected() {
    let (app, _, response) = login_with(|k| k.signing = Signing::OtherKey).await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a03_alg_none_is_rejected() {
    let (app, _, response) = login_with(|k| {
        k.header.insert("alg".into(), json!("none"));
        k.signing = Signing::Empty;
    })
    .await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a04_hs256_keyed_with_the_client_secret_is_rejected() {
    let (app, _, response) = login_with(|k| {
        k.header.insert("alg".into(), json!("HS256"));
        k.signing = Signing::Hmac(CLIENT_SECRET.as_bytes().to_vec());
    })
    .await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a04_hs256_keyed_with_the_providers_public_key_is_rejected() {
    let public = serde_json::to_vec(&jwk(&keys().good, Some("key-1"))).unwrap();
    let (app, _, response) = login_with(|k| {
        k.header.insert("alg".into(), json!("HS256"));
        k.signing = Signing::Hmac(public);
    })
    .await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a04_algorithms_outside_the_allow_list_are_rejected() {
    for alg in ["PS256", "ES256", "RS512"] {
        let (app, _, response) = login_with(|k| {
            k.header.insert("alg".into(), json!(alg));
        })
        .await;
        assert_rejected(&app, response, "invalid_id_token").await;
    }
}

#[tokio::test]
async fn a05_issuer_variants_are_rejected() {
    let fake = FakeIdp::start().await;
    let variants = [
        "https://evil.example".to_owned(),
        format!("{}/", fake.issuer),
        fake.issuer.to_uppercase(),
        fake.issuer.replace("127.0.0.1", "localhost"),
    ];
    drop(fake);
    for iss in variants {
        let (app, _, response) = login_with(claim("iss", json!(iss))).await;
        assert_rejected(&app, response, "invalid_id_token").await;
    }
}

#[tokio::test]
async fn a06_wrong_missing_or_extra_audiences_are_rejected() {
    for aud in [
        json!("someone-else"),
        Value::Null,
        json!([CLIENT_ID, "other"]),
        json!([]),
    ] {
        let (app, _, response) = login_with(claim("aud", aud.clone())).await;
        assert_rejected(&app, response, "invalid_id_token").await;
    }
}

#[tokio::test]
async fn a06_azp_for_another_client_is_rejected() {
    let (app, _, response) = login_with(claim("azp", json!("other-client"))).await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a06_an_audience_array_of_just_us_is_accepted() {
    let (_, _, response) = login_with(claim("aud", json!([CLIENT_ID]))).await;
    assert_eq!(response.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn a07_missing_sub_or_iat_is_rejected() {
    for name in ["sub", "iat"] {
        let (app, _, response) = login_with(claim(name, Value::Null)).await;
        assert_rejected(&app, response, "invalid_id_token").await;
    }
}

#[tokio::test]
async fn a08_time_claims_outside_the_leeway_are_rejected() {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases = [
        ("exp", Value::Null),
        ("exp", json!(now - 301)),
        ("exp", json!("tomorrow")),
        ("exp", json!(1e30)),
        ("iat", json!(now - 7 * 86_400)),
        ("iat", json!(now + 301)),
    ];
    for (name, value) in cases {
        let (app, _, response) = login_with(claim(name, value.clone())).await;
        assert_rejected(&app, response, "invalid_id_token").await;
    }
}

#[tokio::test]
async fn a08_time_claims_inside_the_leeway_are_accepted() {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Default leeway 60 s: expired 30 s ago, or issued 30 s "in the future".
    for (name, value) in [("exp", json!(now - 30)), ("iat", json!(now + 30))] {
        let (_, _, response) = login_with(claim(name, value)).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{name}");
    }
}

#[tokio::test]
async fn a09_wrong_or_missing_nonce_is_rejected() {
    for nonce in [json!("not-the-nonce-we-sent"), Value::Null] {
        let (app, _, response) = login_with(claim("nonce", nonce.clone())).await;
        assert_rejected(&app, response, "invalid_id_token").await;
    }
}

#[tokio::test]
async fn a10_no_kid_with_a_single_key_is_accepted() {
    let (_, _, response) = login_with(|k| {
        k.header.insert("kid".into(), Value::Null);
        k.jwks = Some(json!({"keys": [jwk(&keys().good, None)]}));
    })
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn a10_no_kid_with_several_keys_is_rejected_as_ambiguous() {
    let (app, _, response) = login_with(|k| {
        k.header.insert("kid".into(), Value::Null);
        k.jwks =
            Some(json!({"keys": [jwk(&keys().good, Some("a")), jwk(&keys().other, Some("b"))]}));
    })
    .await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a11_unusable_keys_in_the_jwks_are_ignored() {
    let (_, _, response) = login_with(|k| {
        k.jwks = Some(json!({"keys": [
            {"kty": "AKP", "kid": "pq", "alg": "ML-DSA-44", "pub": "AAAA"},
            {"kty": "weird", "kid": "w"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            jwk(&keys().good, Some("key-1")),
        ]}));
    })
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn a11_keys_supplied_in_the_token_header_are_never_used() {
    let attacker = jwk(&keys().other, Some("key-1"));
    let (app, _, response) = login_with(|k| {
        k.signing = Signing::OtherKey;
        k.header.insert("jwk".into(), attacker);
        k.header
            .insert("jku".into(), json!("https://evil.example/jwks"));
        k.header
            .insert("x5u".into(), json!("https://evil.example/cert"));
    })
    .await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a12_a_discovery_issuer_other_than_configured_refuses_the_provider() {
    let fake = FakeIdp::start().await;
    fake.set(|k| k.discovery_issuer = Some("https://evil.example".into()));
    let app = spawn_app_against(&fake).await;
    let response = Browser::new().get(&app.url("/api/auth/login")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("location").is_none());
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "provider_misconfigured");
}

#[tokio::test]
async fn a12_plain_http_endpoints_of_an_https_issuer_are_refused() {
    // The fake serves http on loopback, which is allowed for a loopback issuer only; an
    // endpoint on another http host is refused.
    let fake = FakeIdp::start().await;
    fake.set(|k| {
        k.discovery_extra
            .insert("token_endpoint".into(), json!("http://evil.example/token"));
    });
    let app = spawn_app_against(&fake).await;
    let response = Browser::new().get(&app.url("/api/auth/login")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn a14_token_type_is_case_insensitive() {
    for token_type in ["bearer", "BEARER", "Bearer"] {
        let (_, _, response) = login_with(|k| k.token_type = token_type).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{token_type}");
    }
}

#[tokio::test]
async fn a14_token_response_anomalies_are_rejected() {
    let cases: Vec<(u16, &'static str, String)> = vec![
        (
            200,
            "application/json",
            json!({"error": "invalid_grant"}).to_string(),
        ),
        (
            400,
            "application/json",
            json!({"error": "invalid_grant"}).to_string(),
        ),
        (200, "text/html", "<html>hello</html>".to_owned()),
        (
            200,
            "application/json",
            json!({"token_type": "Bearer", "id_token": "x.y.z"}).to_string(),
        ),
    ];
    for (status, content_type, body) in cases {
        let (app, _, response) = login_with(|k| {
            k.token_response = Some((status, content_type, body.clone()));
        })
        .await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{status} {body}"
        );
        assert_eq!(app.session_rows().await, 0);
    }
}

#[tokio::test]
async fn a14_a_token_response_without_id_token_is_rejected() {
    let (app, _, response) = login_with(|k| k.omit_id_token = true).await;
    assert_rejected(&app, response, "invalid_id_token").await;
}

#[tokio::test]
async fn a15_same_email_different_subject_is_another_user() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let first = Browser::new();
    app.login_via_fake(&first).await;
    fake.set(|k| {
        k.claims.insert("sub".into(), json!("fake-user-2"));
        k.claims.insert("email_verified".into(), json!(false));
    });
    let second = Browser::new();
    app.login_via_fake(&second).await;

    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'fiona@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(users, 2);
    let a: shared::User = app.me(&first).await.json().await.unwrap();
    let b: shared::User = app.me(&second).await.json().await.unwrap();
    assert_eq!(a.sub, "fake-user-1");
    assert_eq!(b.sub, "fake-user-2");
    assert_eq!(b.email_verified, Some(false));
}

/// A17: a login that asked for an `organization` is finished only by an ID token naming that
/// organization (`org_id` for an `org_…` id, else `org_name`); anyone can change the
/// parameter in the authorize URL, so the token is what counts.
#[tokio::test]
async fn a17_a_login_for_an_organization_needs_a_token_naming_it() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let login_for = |organization: &'static str| {
        let app = &app;
        async move {
            let browser = Browser::new();
            let url = app.url(&format!("/api/auth/login?organization={organization}"));
            let authorize = location(&browser.get(&url).await);
            assert!(authorize.contains(&format!("organization={organization}")));
            let callback = location(&browser.get(&authorize).await);
            browser.get(&callback).await
        }
    };

    fake.set(|k| {
        k.claims.insert("org_id".into(), json!("org_other"));
    });
    assert_rejected(&app, login_for("org_asked").await, "invalid_id_token").await;

    fake.set(|k| {
        k.claims.remove("org_id");
    });
    assert_rejected(&app, login_for("org_asked").await, "invalid_id_token").await;

    fake.set(|k| {
        k.claims.insert("org_id".into(), json!("org_asked"));
    });
    assert_eq!(login_for("org_asked").await.status(), StatusCode::FOUND);
}

//! Property tests ("fuzzing" with proptest) of everything that parses untrusted input: the
//! callback query, cookies, `returnTo`, sealed values, JWS and logout tokens. A short bounded
//! run is part of `cargo test` (PROPTEST_CASES raises it; see docs/fuzzing.md).

use proptest::prelude::*;

use crate::{
    auth::{callback::CallbackParams, return_to::ReturnTo, transaction::TransactionCookies},
    config::BaseUrl,
    crypto::Keyring,
    oidc::{jws, logout_token},
};

fn base() -> BaseUrl {
    BaseUrl::parse("https://app.example.com").unwrap()
}

/// Strings biased towards what breaks URL and cookie parsers.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        "[/\\\\%@:?#&=.a-z0-9\t\n\r ]{0,80}",
        "(/|//|/\\\\|%2f|%5c|https?:|javascript:|@|\\.\\.)+[a-z.]{0,20}",
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        ".{0,20}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("iss".to_owned()),
                    Just("aud".to_owned()),
                    Just("events".to_owned()),
                    Just("sid".to_owned()),
                    Just("sub".to_owned()),
                    Just("iat".to_owned()),
                    Just("exp".to_owned()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..8
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn return_to_always_lands_on_site(raw in hostile_string()) {
        let got = ReturnTo::parse_or_root(Some(&raw), &base());
        let path = got.as_str();
        prop_assert!(path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'));
        let landed = url::Url::parse("https://app.example.com").unwrap().join(path).unwrap();
        prop_assert_eq!(landed.origin().ascii_serialization(), "https://app.example.com");
    }

    #[test]
    fn callback_query_parsing_never_panics(raw in hostile_string()) {
        let _ = CallbackParams::parse(&raw);
    }

    #[test]
    fn forged_transaction_cookies_never_open(state in "[A-Za-z0-9_-]{1,43}", value in ".{0,300}") {
        let keys = Keyring::from_secrets(["a-property-test-secret-long-enough-1"]);
        let cookies = TransactionCookies::new(false);
        let name = cookies.cookie_name(&state).unwrap();
        let req = actix_web::test::TestRequest::default()
            .cookie(actix_web::cookie::Cookie::new(name, value))
            .to_http_request();
        prop_assert!(cookies.read(&req, &keys, &state, time::OffsetDateTime::now_utc()).is_err());
    }

    #[test]
    fn sealed_values_never_open_when_altered(plain in prop::collection::vec(any::<u8>(), 0..64), flip in any::<usize>()) {
        let keys = Keyring::from_secrets(["a-property-test-secret-long-enough-1"]);
        let sealed = keys.seal(b"ctx", &plain);
        let mut bytes = sealed.into_bytes();
        let i = flip % bytes.len();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        prop_assert_eq!(keys.open(b"ctx", &altered), None);
    }

    #[test]
    fn arbitrary_jws_never_verifies(token in "[A-Za-z0-9_.-]{0,200}") {
        let jwks = openidconnect::JsonWebKeySet::new(vec![]);
        let algs = [openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256];
        prop_assert!(jws::verify(&token, &jwks, &algs).is_err());
    }

    #[test]
    fn logout_claim_validation_never_panics(claims in json_value()) {
        let expect = logout_token::Expectations {
            issuer: "https://idp.example/",
            client_id: "client",
            now: 1_800_000_000,
            leeway: std::time::Duration::from_secs(60),
        };
        let _ = logout_token::validate_claims(&claims, &expect);
    }
}

//! The properties behind fuzzing. Each check takes arbitrary bytes, feeds them to a parser of
//! untrusted input, and panics when a promise of that parser breaks (a panic inside the
//! parser is a failure too).
//!
//! - `fuzz/` runs them under libFuzzer, coverage-guided (`cargo fuzz run <name>`).
//! - `cargo test` replays the committed corpus (`fuzz/corpus/<name>/`) through them, so every
//!   input a fuzzing run found interesting stays a regression test on stable Rust.
//!
//! See docs/fuzzing.md.

use std::sync::OnceLock;

use actix_web::{http::header, test::TestRequest};
use openidconnect::{
    core::{CoreJsonWebKey, CoreJwsSigningAlgorithm},
    JsonWebKeySet,
};
use time::OffsetDateTime;

use crate::{
    auth::{callback::CallbackParams, return_to::ReturnTo, transaction::TransactionCookies},
    config::BaseUrl,
    crypto::Keyring,
    oidc::{jws, logout_token},
    session::SessionCookieConfig,
};

/// A check: panics when the input breaks a promise.
pub type Check = fn(&[u8]);

/// Every check, by the name of its fuzz target and corpus folder.
pub const CHECKS: &[(&str, Check)] = &[
    ("return_to", return_to),
    ("callback_query", callback_query),
    ("transaction_cookie", transaction_cookie),
    ("sealed_value", sealed_value),
    ("session_cookie", session_cookie),
    ("jws", jws_signature),
    ("logout_claims", logout_claims),
];

const APP: &str = "https://app.example.com";
const ISSUER: &str = "https://idp.example/";
const CLIENT_ID: &str = "client";
/// A fixed "now" for claim checks (2027-01-15).
const NOW: i64 = 1_800_000_000;

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The current secret and a previous one, as after a rotation (`AUTH0_SECRET=new,old`).
fn keys() -> &'static Keyring {
    static KEYS: OnceLock<Keyring> = OnceLock::new();
    KEYS.get_or_init(|| {
        Keyring::from_secrets([
            "fuzzing-current-secret-0123456789abcdef",
            "fuzzing-previous-secret-0123456789abcdef",
        ])
    })
}

/// `returnTo` always becomes a path on our own origin.
pub fn return_to(data: &[u8]) {
    let base = BaseUrl::parse(APP).expect("base URL");
    let raw = text(data);
    let got = ReturnTo::parse_or_root(Some(&raw), &base);
    let path = got.as_str();
    assert!(path.starts_with('/'), "{raw:?} gave {path:?}");
    assert!(!path.starts_with("//"), "{raw:?} gave {path:?}");
    assert!(!path.contains('\\'), "{raw:?} gave {path:?}");
    assert!(!path.chars().any(char::is_control), "{raw:?} gave {path:?}");
    let landed = url::Url::parse(APP).unwrap().join(path).expect("joins");
    assert_eq!(landed.origin().ascii_serialization(), APP, "{raw:?}");
}

/// The callback query parses or is refused; what it accepts is bounded and printable.
pub fn callback_query(data: &[u8]) {
    let raw = text(data);
    if let Ok(params) = CallbackParams::parse(&raw) {
        for value in [
            &params.state,
            &params.code,
            &params.error,
            &params.error_description,
            &params.iss,
        ]
        .into_iter()
        .flatten()
        {
            assert!(value.len() <= 2048, "{raw:?}");
            assert!(!value.chars().any(char::is_control), "{raw:?}");
        }
    }
}

/// No `Cookie` header opens a login transaction we did not seal.
pub fn transaction_cookie(data: &[u8]) {
    let Ok(value) = header::HeaderValue::from_bytes(data) else {
        return;
    };
    let cookies = TransactionCookies::new(true);
    let req = TestRequest::default()
        .insert_header((header::COOKIE, value))
        .to_http_request();
    for state in ["fuzzstate", "a", "A-_9"] {
        assert!(cookies
            .read(&req, keys(), state, OffsetDateTime::now_utc())
            .is_err());
    }
}

/// No string opens as a sealed value (tokens at rest, transactions) without our key.
pub fn sealed_value(data: &[u8]) {
    let raw = text(data);
    for context in [&b"tokens"[..], b"txn", b""] {
        assert_eq!(keys().open(context, &raw), None, "{raw:?}");
    }
}

/// No session cookie value is accepted as signed by a previous key (and re-signed).
pub fn session_cookie(data: &[u8]) {
    let cookie = SessionCookieConfig::new(keys(), true, std::time::Duration::from_secs(3600));
    assert_eq!(cookie.resign(&text(data)), None);
}

/// No token verifies against a key set whose private key exists nowhere.
pub fn jws_signature(data: &[u8]) {
    static JWKS: OnceLock<JsonWebKeySet<CoreJsonWebKey>> = OnceLock::new();
    let jwks = JWKS.get_or_init(|| {
        serde_json::from_value(serde_json::json!({ "keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "fuzz", "e": "AQAB",
            // A public key whose private half was thrown away when it was made.
            "n": "xZynHPuVfxEJ-QU39oeDiZ03HoUXpUfQu2ZMrvlyy73nmNmx6JGb2iUfXA-X3cUqAFs69aLPT50AVi8mgq1IegQ0gt4-3w6S0uV3hqq_kxyfu6rrzpxmJlUYaeWcL8eiXal-aEV4cwcbvfL3e42B1dMGTtInCUWp3ZMjkw5fY-wB5XhZc2EMdsTERd1-4Kl_dSSOd1uL_WhcEwiCt8hUZkQJ40h24LiayRACJjz_DpPXsu4NFuwFRO_jRUHfUIVINqsxnZ5vxV0Dlf_ztC51lQjo50uxwJ_R24qzTfwC9sz14urVGgeF9VYAq6fAA7EQYyuhX3OcC-TDCX2EaKvgzw"
        }]}))
        .expect("JWKS")
    });
    let algs = [
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    ];
    let raw = text(data);
    assert!(jws::verify(&raw, jwks, &algs).is_err(), "{raw:?} verified");
}

/// Logout-token claims are accepted only with our issuer, our audience, the back-channel
/// event, a `sid` or `sub`, a `jti`, a fresh `iat`, and no `nonce`.
pub fn logout_claims(data: &[u8]) {
    let Ok(claims) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let expect = logout_token::Expectations {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        now: NOW,
        leeway: std::time::Duration::from_secs(60),
    };
    let Ok(request) = logout_token::validate_claims(&claims, &expect) else {
        return;
    };
    assert_eq!(request.issuer, ISSUER);
    assert!(request.sid.is_some() || request.sub.is_some());
    assert!(!request.jti.is_empty());
    assert!(claims.get("nonce").is_none());
    assert!(claims["events"]
        .get(logout_token::BACKCHANNEL_LOGOUT_EVENT)
        .is_some_and(serde_json::Value::is_object));
    assert!((request.issued_at - NOW).abs() <= logout_token::MAX_AGE.as_secs() as i64 + 60);
    assert!(request.expires_at > NOW - 60);
    assert!(request.expires_at - request.issued_at <= 600, "{claims}");
    let audience_ok = match &claims["aud"] {
        serde_json::Value::String(aud) => aud == CLIENT_ID,
        serde_json::Value::Array(auds) => {
            !auds.is_empty() && auds.iter().all(|aud| aud == CLIENT_ID)
        }
        _ => false,
    };
    assert!(audience_ok, "{claims}");
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::CHECKS;

    fn corpus(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(name)
    }

    #[test]
    fn every_committed_fuzz_input_still_passes_its_check() {
        for (name, check) in CHECKS {
            let dir = corpus(name);
            let entries = std::fs::read_dir(&dir)
                .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            assert!(!entries.is_empty(), "{} is empty", dir.display());
            for entry in entries {
                let data = std::fs::read(entry.path()).unwrap();
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(
                    outcome.is_ok(),
                    "{name}: {} fails its check",
                    entry.path().display()
                );
            }
        }
    }

    #[test]
    fn the_checks_fail_on_a_broken_promise_and_pass_on_valid_input() {
        // A sealed value of ours does open, so the "nothing forged opens" check must panic.
        let sealed = super::keys().seal(b"tokens", b"secret");
        assert!(std::panic::catch_unwind(|| super::sealed_value(sealed.as_bytes())).is_err());
        // A valid logout token's claims pass every assertion of the claims check.
        let valid = serde_json::json!({
            "iss": super::ISSUER, "aud": [super::CLIENT_ID], "iat": super::NOW - 5,
            "exp": super::NOW + 120, "jti": "j1", "sid": "s1",
            "events": { (super::logout_token::BACKCHANNEL_LOGOUT_EVENT): {} },
        });
        let expect = super::logout_token::Expectations {
            issuer: super::ISSUER,
            client_id: super::CLIENT_ID,
            now: super::NOW,
            leeway: std::time::Duration::from_secs(60),
        };
        assert!(super::logout_token::validate_claims(&valid, &expect).is_ok());
        super::logout_claims(valid.to_string().as_bytes());
    }
}

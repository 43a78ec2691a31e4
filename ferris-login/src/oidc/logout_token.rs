//! OpenID Connect Back-Channel Logout 1.0, section 2.6: validating a logout token.

use std::time::Duration;

use openidconnect::core::CoreJwsSigningAlgorithm;
use serde_json::Value;

use super::{jws, Provider};

pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// A logout token older than this is refused (its `jti` memory would otherwise be unbounded).
pub const MAX_AGE: Duration = Duration::from_secs(600);

/// Who is to be logged out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub issuer: String,
    pub sub: Option<String>,
    pub sid: Option<String>,
    pub jti: String,
    /// Unix seconds.
    pub issued_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoutTokenError {
    #[error("signature: {0}")]
    Signature(#[from] jws::JwsError),
    #[error("{0}")]
    Claims(&'static str),
}

pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub now: i64,
    pub leeway: Duration,
}

pub fn verify(
    token: &str,
    provider: &Provider,
    allowed_algs: &[CoreJwsSigningAlgorithm],
    expect: &Expectations<'_>,
) -> Result<LogoutRequest, LogoutTokenError> {
    let (header, claims) = jws::verify(token, &provider.jwks, allowed_algs)?;
    // An access token or ID token is not a logout token (explicit typing, BCL 2.4).
    if let Some(typ) = header.typ.as_deref() {
        if !typ.eq_ignore_ascii_case("logout+jwt") && !typ.eq_ignore_ascii_case("jwt") {
            return Err(LogoutTokenError::Claims("typ is not logout+jwt"));
        }
    }
    validate_claims(&claims, expect)
}

/// The claim rules, separate from the signature so each can be tested alone.
pub fn validate_claims(
    claims: &Value,
    expect: &Expectations<'_>,
) -> Result<LogoutRequest, LogoutTokenError> {
    let bad = LogoutTokenError::Claims;
    let str_claim = |name: &str| claims.get(name).and_then(Value::as_str);
    let int_claim = |name: &str| claims.get(name).and_then(Value::as_i64);
    let leeway = expect.leeway.as_secs() as i64;

    if str_claim("iss") != Some(expect.issuer) {
        return Err(bad("iss is not our provider"));
    }
    // As for ID tokens: this client, and no other audience (a token also meant for another
    // party is not a logout token for us alone).
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expect.client_id,
        Some(Value::Array(auds)) => {
            !auds.is_empty() && auds.iter().all(|a| a.as_str() == Some(expect.client_id))
        }
        _ => false,
    };
    if !aud_ok {
        return Err(bad("aud must name this client and no other audience"));
    }
    let iat = int_claim("iat").ok_or(bad("iat missing or not an integer"))?;
    if iat > expect.now + leeway {
        return Err(bad("iat is in the future"));
    }
    if iat < expect.now - MAX_AGE.as_secs() as i64 - leeway {
        return Err(bad("iat is too old"));
    }
    let exp = int_claim("exp").ok_or(bad("exp missing or not an integer"))?;
    if exp <= expect.now - leeway {
        return Err(bad("expired"));
    }
    // A logout token is short-lived (BCL 2.4 recommends two minutes): one that claims to live
    // longer than we remember `jti`s for is refused, so its replay memory always outlives it.
    if exp.saturating_sub(iat) > MAX_AGE.as_secs() as i64 {
        return Err(bad("exp is too far after iat"));
    }
    let jti = str_claim("jti")
        .filter(|j| !j.is_empty() && j.len() <= 255)
        .ok_or(bad("jti missing"))?;
    match claims
        .get("events")
        .and_then(|e| e.get(BACKCHANNEL_LOGOUT_EVENT))
    {
        Some(Value::Object(_)) => {}
        Some(_) => return Err(bad("the back-channel logout event is not an object")),
        None => return Err(bad("events lacks the back-channel logout event")),
    }
    if claims.get("nonce").is_some() {
        return Err(bad("a logout token must not carry a nonce"));
    }
    let sub = str_claim("sub")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let sid = str_claim("sid")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if sub.is_none() && sid.is_none() {
        return Err(bad("neither sub nor sid"));
    }
    Ok(LogoutRequest {
        issuer: expect.issuer.to_owned(),
        sub,
        sid,
        jti: jti.to_owned(),
        issued_at: iat,
        expires_at: exp,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn expect() -> Expectations<'static> {
        Expectations {
            issuer: "https://idp.example/",
            client_id: "client",
            now: NOW,
            leeway: Duration::from_secs(60),
        }
    }

    fn valid() -> Value {
        json!({
            "iss": "https://idp.example/",
            "aud": "client",
            "iat": NOW - 5,
            "exp": NOW + 115,
            "jti": "jti-1",
            "sid": "sid-1",
            "sub": "user-1",
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
            "extra": "ignored",
        })
    }

    fn with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
        let mut claims = valid();
        change(claims.as_object_mut().unwrap());
        claims
    }

    #[test]
    fn a_valid_token_names_the_session() {
        let request = validate_claims(&valid(), &expect()).unwrap();
        assert_eq!(request.sid.as_deref(), Some("sid-1"));
        assert_eq!(request.sub.as_deref(), Some("user-1"));
        assert_eq!(request.jti, "jti-1");
    }

    #[test]
    fn aud_may_be_an_array_of_just_us() {
        let claims = with(|c| {
            c.insert("aud".into(), json!(["client"]));
        });
        assert!(validate_claims(&claims, &expect()).is_ok());
    }

    #[test]
    fn each_broken_rule_is_refused() {
        let cases: Vec<(&str, Value)> = vec![
            (
                "wrong iss",
                with(|c| {
                    c.insert("iss".into(), json!("https://evil/"));
                }),
            ),
            (
                "trailing slash iss",
                with(|c| {
                    c.insert("iss".into(), json!("https://idp.example"));
                }),
            ),
            (
                "wrong aud",
                with(|c| {
                    c.insert("aud".into(), json!("other"));
                }),
            ),
            (
                "no aud",
                with(|c| {
                    c.remove("aud");
                }),
            ),
            (
                "an extra, untrusted audience",
                with(|c| {
                    c.insert("aud".into(), json!(["other", "client"]));
                }),
            ),
            (
                "an empty audience list",
                with(|c| {
                    c.insert("aud".into(), json!([]));
                }),
            ),
            (
                "exp far in the future (overflows naive arithmetic)",
                with(|c| {
                    c.insert("exp".into(), json!(i64::MAX));
                }),
            ),
            (
                "exp more than ten minutes after iat",
                with(|c| {
                    c.insert("exp".into(), json!(NOW + 3600));
                }),
            ),
            (
                "no iat",
                with(|c| {
                    c.remove("iat");
                }),
            ),
            (
                "iat as string",
                with(|c| {
                    c.insert("iat".into(), json!("1800000000"));
                }),
            ),
            (
                "iat in the future",
                with(|c| {
                    c.insert("iat".into(), json!(NOW + 3600));
                }),
            ),
            (
                "iat long ago",
                with(|c| {
                    c.insert("iat".into(), json!(NOW - 86_400));
                }),
            ),
            (
                "no exp",
                with(|c| {
                    c.remove("exp");
                }),
            ),
            (
                "expired",
                with(|c| {
                    c.insert("exp".into(), json!(NOW - 120));
                }),
            ),
            (
                "no jti",
                with(|c| {
                    c.remove("jti");
                }),
            ),
            (
                "no events",
                with(|c| {
                    c.remove("events");
                }),
            ),
            (
                "other event",
                with(|c| {
                    c.insert("events".into(), json!({"http://other": {}}));
                }),
            ),
            (
                "event is true",
                with(|c| {
                    c.insert("events".into(), json!({BACKCHANNEL_LOGOUT_EVENT: true}));
                }),
            ),
            (
                "event is array",
                with(|c| {
                    c.insert("events".into(), json!({BACKCHANNEL_LOGOUT_EVENT: []}));
                }),
            ),
            (
                "nonce",
                with(|c| {
                    c.insert("nonce".into(), json!("n"));
                }),
            ),
            (
                "neither sub nor sid",
                with(|c| {
                    c.remove("sub");
                    c.remove("sid");
                }),
            ),
        ];
        for (name, claims) in cases {
            assert!(
                validate_claims(&claims, &expect()).is_err(),
                "{name} must be refused"
            );
        }
    }

    #[test]
    fn sub_alone_or_sid_alone_is_enough() {
        let only_sub = with(|c| {
            c.remove("sid");
        });
        assert_eq!(validate_claims(&only_sub, &expect()).unwrap().sid, None);
        let only_sid = with(|c| {
            c.remove("sub");
        });
        assert_eq!(validate_claims(&only_sid, &expect()).unwrap().sub, None);
    }
}

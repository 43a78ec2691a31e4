//! Compact JWS verification against the provider's JWKS, for tokens `openidconnect` has no
//! verifier for (back-channel logout tokens). Keys come only from the JWKS: `jwk`, `jku`,
//! `x5u` and `x5c` in a header are never used. `none` and HMAC algorithms are never accepted.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openidconnect::{
    core::{CoreJsonWebKey, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm},
    JsonWebKey, JsonWebKeySet, JwsSigningAlgorithm,
};
use serde::Deserialize;

/// Largest token accepted (bytes).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("algorithm `{0}` is not allowed")]
    DisallowedAlg(String),
    #[error("no single signing key matches")]
    NoKey,
    #[error("bad signature")]
    BadSignature,
}

/// Verifies the signature and returns the header and the payload JSON.
pub fn verify(
    token: &str,
    jwks: &JsonWebKeySet<CoreJsonWebKey>,
    allowed: &[CoreJwsSigningAlgorithm],
) -> Result<(Header, serde_json::Value), JwsError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwsError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwsError::Malformed)
    };
    let header: Header =
        serde_json::from_slice(&decode(header_b64)?).map_err(|_| JwsError::Malformed)?;
    let alg: CoreJwsSigningAlgorithm =
        serde_json::from_value(serde_json::Value::String(header.alg.clone()))
            .map_err(|_| JwsError::DisallowedAlg(header.alg.clone()))?;
    if !allowed.contains(&alg) || alg.uses_shared_secret() {
        return Err(JwsError::DisallowedAlg(header.alg.clone()));
    }
    let signature = decode(signature_b64)?;
    let message = format!("{header_b64}.{payload_b64}");
    let candidates: Vec<&CoreJsonWebKey> = jwks
        .keys()
        .iter()
        .filter(|k| {
            header
                .kid
                .as_deref()
                .is_none_or(|kid| k.key_id().is_some_and(|id| id.as_str() == kid))
        })
        .filter(|k| k.key_type() == &alg.key_type().unwrap_or(k.key_type().clone()))
        .filter(|k| {
            k.key_use()
                .is_none_or(|u| *u == CoreJsonWebKeyUse::Signature)
        })
        .collect();
    // As for ID tokens (`openidconnect`): exactly one eligible key. Without a `kid` a JWKS of
    // several keys is ambiguous, and refused.
    let [key] = candidates.as_slice() else {
        return Err(JwsError::NoKey);
    };
    key.verify_signature(&alg, message.as_bytes(), &signature)
        .map_err(|_| JwsError::BadSignature)?;
    let payload: serde_json::Value =
        serde_json::from_slice(&decode(payload_b64)?).map_err(|_| JwsError::Malformed)?;
    if !payload.is_object() {
        return Err(JwsError::Malformed);
    }
    Ok((header, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn empty_jwks() -> JsonWebKeySet<CoreJsonWebKey> {
        JsonWebKeySet::new(vec![])
    }

    #[test]
    fn alg_none_is_refused() {
        let token = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64(r#"{"iss":"x"}"#));
        assert_eq!(
            verify(
                &token,
                &empty_jwks(),
                &[CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]
            ),
            Err(JwsError::DisallowedAlg("none".into()))
        );
    }

    #[test]
    fn hmac_is_refused_even_if_listed() {
        let token = format!("{}.{}.c2ln", b64(r#"{"alg":"HS256"}"#), b64("{}"));
        assert_eq!(
            verify(
                &token,
                &empty_jwks(),
                &[CoreJwsSigningAlgorithm::HmacSha256]
            ),
            Err(JwsError::DisallowedAlg("HS256".into()))
        );
    }

    #[test]
    fn algorithms_outside_the_allow_list_are_refused() {
        let token = format!("{}.{}.c2ln", b64(r#"{"alg":"ES256"}"#), b64("{}"));
        assert!(matches!(
            verify(
                &token,
                &empty_jwks(),
                &[CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]
            ),
            Err(JwsError::DisallowedAlg(_))
        ));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let allowed = [CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256];
        for token in [
            "",
            "a.b",
            "a.b.c.d",
            "!!!.b.c",
            &"a".repeat(MAX_TOKEN_LEN + 1),
        ] {
            assert_eq!(
                verify(token, &empty_jwks(), &allowed),
                Err(JwsError::Malformed),
                "{token}"
            );
        }
    }

    #[test]
    fn without_a_matching_key_nothing_verifies() {
        let token = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256","kid":"k1"}"#),
            b64("{}")
        );
        assert_eq!(
            verify(
                &token,
                &empty_jwks(),
                &[CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]
            ),
            Err(JwsError::NoKey)
        );
    }
}

//! Permissions from an API access token (Auth0 RBAC with "Add Permissions in the Access
//! Token"): only from a JWT access token that verifies against the provider's keys, names
//! our provider as `iss`, the configured `AUTH0_AUDIENCE` in `aud`, and has not expired.
//! Anything else contributes no permission (fail closed); opaque access tokens are normal.

use openidconnect::core::CoreJwsSigningAlgorithm;
use serde_json::Value;

use super::{id_token::string_list, jws, Provider};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccessTokenError {
    #[error("not a JWT")]
    Opaque,
    #[error("signature: {0}")]
    Signature(#[from] jws::JwsError),
    #[error("{0}")]
    Claims(&'static str),
}

pub struct Expectations<'a> {
    pub audience: &'a str,
    pub now: i64,
    pub leeway_secs: i64,
}

/// The `permissions` of a verified JWT access token for our API.
pub fn permissions(
    access_token: &str,
    provider: &Provider,
    allowed_algs: &[CoreJwsSigningAlgorithm],
    expect: &Expectations<'_>,
) -> Result<Vec<String>, AccessTokenError> {
    if access_token.split('.').count() != 3 {
        return Err(AccessTokenError::Opaque);
    }
    let (_header, claims) = jws::verify(access_token, &provider.jwks, allowed_algs)?;
    permissions_from_claims(&claims, &provider.issuer, expect)
}

/// Adds the permissions of a verified JWT access token for `audience` to `user` (sorted, no
/// duplicates). An opaque token adds nothing; an invalid one adds nothing and is logged.
pub fn merge_permissions(
    user: &mut shared::User,
    access_token: &str,
    provider: &Provider,
    allowed_algs: &[CoreJwsSigningAlgorithm],
    expect: &Expectations<'_>,
) {
    match permissions(access_token, provider, allowed_algs, expect) {
        Ok(permissions) => {
            user.permissions.extend(permissions);
            user.permissions.sort();
            user.permissions.dedup();
        }
        Err(AccessTokenError::Opaque) => {}
        Err(e) => tracing::warn!(error = %e, "access token permissions ignored"),
    }
}

pub fn permissions_from_claims(
    claims: &Value,
    issuer: &str,
    expect: &Expectations<'_>,
) -> Result<Vec<String>, AccessTokenError> {
    let bad = AccessTokenError::Claims;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(bad("iss is not our provider"));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expect.audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(bad("aud is not our API"));
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > expect.now - expect.leeway_secs => {}
        _ => return Err(bad("expired or no exp")),
    }
    Ok(string_list(claims.get("permissions")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::oidc::client_auth::{ClientAuthMethod, ClientAuthenticator, ClientCredentials};

    const NOW: i64 = 1_800_000_000;

    fn expect() -> Expectations<'static> {
        Expectations {
            audience: "https://api.example",
            now: NOW,
            leeway_secs: 60,
        }
    }

    #[test]
    fn permissions_of_a_token_for_our_api() {
        let claims = json!({"iss": "https://idp/", "aud": ["https://api.example", "https://idp/userinfo"],
            "exp": NOW + 60, "permissions": ["write:x", "read:x"]});
        assert_eq!(
            permissions_from_claims(&claims, "https://idp/", &expect()).unwrap(),
            ["read:x", "write:x"]
        );
    }

    #[test]
    fn tokens_for_another_api_issuer_or_time_give_nothing() {
        for claims in [
            json!({"iss": "https://idp/", "aud": "https://other.api", "exp": NOW + 60, "permissions": ["a"]}),
            json!({"iss": "https://evil/", "aud": "https://api.example", "exp": NOW + 60, "permissions": ["a"]}),
            json!({"iss": "https://idp/", "aud": "https://api.example", "exp": NOW - 600, "permissions": ["a"]}),
            json!({"iss": "https://idp/", "aud": "https://api.example", "permissions": ["a"]}),
        ] {
            assert!(
                permissions_from_claims(&claims, "https://idp/", &expect()).is_err(),
                "{claims}"
            );
        }
    }

    #[test]
    fn opaque_access_tokens_are_not_parsed() {
        assert!(matches!(
            permissions("opaque-token", &dummy_provider_unused(), &[], &expect()),
            Err(AccessTokenError::Opaque)
        ));
    }

    fn dummy_provider_unused() -> Provider {
        // `permissions` returns before touching the provider for an opaque token; build a
        // minimal one from a discovery document.
        let metadata: super::super::provider::Metadata = serde_json::from_value(json!({
            "issuer": "https://idp/",
            "authorization_endpoint": "https://idp/authorize",
            "token_endpoint": "https://idp/token",
            "jwks_uri": "https://idp/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }))
        .unwrap();
        Provider {
            client: super::super::provider::OidcClient::from_provider_metadata(
                metadata,
                openidconnect::ClientId::new("c".into()),
                None,
            ),
            jwks: openidconnect::JsonWebKeySet::new(vec![]),
            issuer: "https://idp/".into(),
            end_session_endpoint: None,
            revocation_endpoint: None,
            client_auth: std::sync::Arc::new(ClientAuthenticator::new(
                "c",
                &ClientCredentials::Secret {
                    secret: secrecy::SecretString::from("s"),
                    method: None,
                },
                ClientAuthMethod::ClientSecretBasic,
                "https://idp/",
                "https://idp/token",
            )),
            iss_parameter_supported: false,
            client_id: "c".into(),
            authorization_endpoint: url::Url::parse("https://idp/authorize").unwrap(),
            par_endpoint: None,
        }
    }
}

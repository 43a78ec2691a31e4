//! ID token verification (OpenID Connect Core 3.1.3.7) and the user it vouches for.
//!
//! `openidconnect` checks the signature against the provider's JWKS (header-supplied keys are
//! never used), `iss` (exact), `aud`, `exp` and the nonce; on top we pin the algorithm
//! allow-list, check `iat` against the login's start, `azp`, and bound every claim we keep.

use std::time::Duration;

use openidconnect::{
    core::CoreJwsSigningAlgorithm, ClaimsVerificationError, IdToken, Nonce,
    SignatureVerificationError, TokenResponse as _,
};
use time::OffsetDateTime;

use super::provider::{ExtraClaims, Provider, TokenResponse};
use crate::text::printable;

type AppIdToken = IdToken<
    ExtraClaims,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Claim strings longer than this are cut (a name of 16 KB has no place in a session).
const MAX_CLAIM_CHARS: usize = 256;
const MAX_LIST_ITEMS: usize = 64;

/// What a verified login yields.
#[derive(Debug, Clone)]
pub struct VerifiedLogin {
    pub user: shared::User,
    /// The provider's session id (`sid`), for back-channel logout.
    pub sid: Option<String>,
    /// The raw ID token, kept server-side for `id_token_hint` at logout.
    pub id_token: String,
}

pub struct Expectations<'a> {
    /// The login's nonce; `None` for a token from a refresh (OpenID Connect Core 12.2: none
    /// was sent, so none is checked).
    pub nonce: Option<&'a Nonce>,
    pub now: OffsetDateTime,
    pub leeway: Duration,
    /// When the login started (Unix seconds): a token issued before it is not for this login.
    /// `None` for a refresh.
    pub login_started_at: Option<i64>,
    /// The login asked for `max_age`: `auth_time` must be present and no older than this.
    pub max_age: Option<Duration>,
    pub allowed_algs: &'a [CoreJwsSigningAlgorithm],
    pub roles_claim: &'a str,
    /// The login asked for this organization (Auth0's `organization`): the token must name it.
    pub organization: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    #[error("the token response carries no ID token")]
    Missing,
    /// Signed with a key the JWKS does not have (yet): worth one re-fetch of the keys.
    #[error("no signing key matches the token")]
    UnknownKey,
    #[error("{0}")]
    Invalid(String),
}

pub fn verify(
    provider: &Provider,
    response: &TokenResponse,
    expect: &Expectations<'_>,
) -> Result<VerifiedLogin, IdTokenError> {
    let id_token: &AppIdToken = response.id_token().ok_or(IdTokenError::Missing)?;
    verify_token(provider, id_token, expect)
}

fn verify_token(
    provider: &Provider,
    id_token: &AppIdToken,
    expect: &Expectations<'_>,
) -> Result<VerifiedLogin, IdTokenError> {
    let leeway = time::Duration::try_from(expect.leeway).unwrap_or(time::Duration::ZERO);
    let now = expect.now;
    let exp_now = to_chrono(now - leeway);
    let earliest_iat = expect.login_started_at.map(|started| {
        to_chrono(OffsetDateTime::from_unix_timestamp(started).unwrap_or(now) - leeway)
    });
    let latest_iat = to_chrono(now + leeway);
    let verifier = provider
        .client
        .id_token_verifier()
        .set_allowed_algs(expect.allowed_algs.iter().cloned())
        .set_time_fn(move || exp_now)
        .set_issue_time_verifier_fn(move |iat| {
            if earliest_iat.is_some_and(|earliest| iat < earliest) {
                Err(format!("issued at {iat}, before this login started"))
            } else if iat > latest_iat {
                Err(format!("issued at {iat}, in the future"))
            } else {
                Ok(())
            }
        });
    let claims = match expect.nonce {
        Some(nonce) => id_token.claims(&verifier, nonce),
        None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
    };
    let claims = claims.map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => IdTokenError::UnknownKey,
        e => IdTokenError::Invalid(describe(&e)),
    })?;
    if claims.issuer().as_str() != provider.issuer {
        return Err(IdTokenError::Invalid("issuer mismatch".into()));
    }
    let client_id = provider.client.client_id().as_str();
    if let Some(azp) = claims.authorized_party() {
        if azp.as_str() != client_id {
            return Err(IdTokenError::Invalid(format!(
                "azp `{}` is not this client",
                bounded(azp.as_str())
            )));
        }
    }
    if let Some(max_age) = expect.max_age {
        let Some(auth_time) = claims.auth_time() else {
            return Err(IdTokenError::Invalid(
                "max_age was asked but auth_time is missing".into(),
            ));
        };
        let oldest = time::Duration::try_from(max_age)
            .ok()
            .and_then(|max_age| now.checked_sub(max_age + leeway));
        if oldest.is_some_and(|oldest| auth_time.timestamp() < oldest.unix_timestamp()) {
            return Err(IdTokenError::Invalid(
                "auth_time is older than max_age allows".into(),
            ));
        }
    }
    let extra = claims.additional_claims();
    if let Some(organization) = expect.organization {
        check_organization(
            organization,
            extra.other.get("org_id"),
            extra.other.get("org_name"),
        )?;
    }
    let subject = claims.subject().as_str();
    if subject.is_empty() || subject.len() > 255 {
        return Err(IdTokenError::Invalid(
            "sub is empty or longer than 255 bytes".into(),
        ));
    }
    let user = shared::User {
        sub: subject.to_owned(),
        issuer: provider.issuer.clone(),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| bounded(n.as_str())),
        email: claims.email().map(|e| bounded(e.as_str())),
        email_verified: claims.email_verified(),
        picture: claims
            .picture()
            .and_then(|p| p.get(None))
            .map(|p| p.as_str())
            .filter(|p| is_web_url(p))
            .map(str::to_owned),
        roles: string_list(extra.other.get(expect.roles_claim)),
        permissions: string_list(extra.other.get("permissions")),
        extra: Default::default(),
    };
    Ok(VerifiedLogin {
        user,
        sid: extra
            .sid
            .clone()
            .filter(|s| !s.is_empty() && s.len() <= 255),
        id_token: id_token.to_string(),
    })
}

/// The token names the organization the login asked for: by id (`org_…`, in `org_id`,
/// exactly) or by name (in `org_name`, which Auth0 lowercases: compared without case). A token
/// for another organization, or for none, is refused: the `organization` parameter alone
/// proves nothing, anyone can change it in the authorize URL.
fn check_organization(
    requested: &str,
    org_id: Option<&serde_json::Value>,
    org_name: Option<&serde_json::Value>,
) -> Result<(), IdTokenError> {
    let (claim, found) = if requested.starts_with("org_") {
        ("org_id", org_id.and_then(|v| v.as_str()).map(|id| id == requested))
    } else {
        (
            "org_name",
            org_name
                .and_then(|v| v.as_str())
                .map(|name| name.eq_ignore_ascii_case(requested)),
        )
    };
    match found {
        Some(true) => Ok(()),
        Some(false) => Err(IdTokenError::Invalid(format!(
            "{claim} does not name the organization the login asked for"
        ))),
        None => Err(IdTokenError::Invalid(format!(
            "an organization was asked for but {claim} is missing"
        ))),
    }
}

fn to_chrono(t: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.unix_timestamp(), 0).unwrap_or_default()
}

fn describe(err: &ClaimsVerificationError) -> String {
    // The library's messages name claims and keys, never token contents.
    bounded(&err.to_string())
}

fn bounded(s: &str) -> String {
    printable(s, MAX_CLAIM_CHARS)
}

fn is_web_url(raw: &str) -> bool {
    raw.len() <= 2048 && url::Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
}

/// A claim holding a list of strings (or one string, or space-separated scopes-style).
pub(crate) fn string_list(value: Option<&serde_json::Value>) -> Vec<String> {
    let items: Vec<String> = match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .map(bounded)
            .collect(),
        Some(serde_json::Value::String(s)) => s.split_whitespace().map(bounded).collect(),
        _ => Vec::new(),
    };
    let mut items: Vec<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
    items.sort();
    items.dedup();
    items.truncate(MAX_LIST_ITEMS);
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_claims_accept_arrays_and_strings() {
        assert_eq!(string_list(Some(&json!(["b", "a", "a", 3]))), ["a", "b"]);
        assert_eq!(string_list(Some(&json!("read write"))), ["read", "write"]);
        assert!(string_list(Some(&json!({"admin": true}))).is_empty());
        assert!(string_list(None).is_empty());
    }

    #[test]
    fn the_token_must_name_the_organization_asked_for() {
        let id = json!("org_123");
        let name = json!("acme");
        assert!(check_organization("org_123", Some(&id), None).is_ok());
        assert!(check_organization("org_999", Some(&id), None).is_err());
        assert!(check_organization("org_123", None, Some(&name)).is_err());
        assert!(check_organization("ACME", Some(&id), Some(&name)).is_ok());
        assert!(check_organization("globex", None, Some(&name)).is_err());
        assert!(check_organization("acme", Some(&id), None).is_err());
    }

    #[test]
    fn pictures_must_be_web_urls() {
        assert!(is_web_url("https://cdn.example.com/a.png"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("data:image/svg+xml,<svg/>"));
    }
}

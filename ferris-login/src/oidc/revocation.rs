//! RFC 7009: revoking a session's refresh token at the provider when the user logs out.
//! Best effort: a failure is logged and never blocks the logout (the session is deleted here
//! whatever the provider says).

use super::{http::ProviderHttp, Provider};

/// Revokes `refresh_token`; `Ok(false)` when the provider has no revocation endpoint. The
/// client authenticates as it does at the token endpoint (`client_auth`).
pub async fn revoke_refresh_token(
    provider: &Provider,
    http: &ProviderHttp,
    refresh_token: &str,
) -> anyhow::Result<bool> {
    let Some(endpoint) = &provider.revocation_endpoint else {
        return Ok(false);
    };
    let mut form = vec![
        ("token", refresh_token.to_owned()),
        ("token_type_hint", "refresh_token".to_owned()),
    ];
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let request = provider
        .client_auth
        .authenticate(http.inner().post(endpoint.as_str()), &mut form, now)
        .map_err(anyhow::Error::msg)?;
    let started = std::time::Instant::now();
    let response = request.form(&form).send().await;
    let failure = match &response {
        Err(e) if e.is_timeout() => Some("timeout"),
        Err(_) => Some("unreachable"),
        Ok(r) if !r.status().is_success() => Some("status"),
        Ok(_) => None,
    };
    crate::metrics::provider_call(endpoint.as_str(), started, failure);
    let response = response?;
    // 200 means revoked (or already invalid); anything else is reported.
    anyhow::ensure!(
        response.status().is_success(),
        "revocation answered HTTP {}",
        response.status()
    );
    Ok(true)
}

//! RFC 7009: revoking a session's refresh token at the provider when the user logs out.
//! Best effort: a failure is logged and never blocks the logout (the session is deleted here
//! whatever the provider says).

use base64::{engine::general_purpose::STANDARD, Engine};
use openidconnect::AuthType;
use secrecy::ExposeSecret;

use super::{http::ProviderHttp, Provider};
use crate::config::Config;

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Revokes `refresh_token`; `Ok(false)` when the provider has no revocation endpoint.
pub async fn revoke_refresh_token(
    provider: &Provider,
    http: &ProviderHttp,
    config: &Config,
    refresh_token: &str,
) -> anyhow::Result<bool> {
    let Some(endpoint) = &provider.revocation_endpoint else {
        return Ok(false);
    };
    let secret = config.client_secret.expose_secret();
    let mut form = vec![
        ("token", refresh_token.to_owned()),
        ("token_type_hint", "refresh_token".to_owned()),
    ];
    let mut request = http.inner().post(endpoint.as_str());
    match provider.client_auth {
        AuthType::RequestBody => {
            form.push(("client_id", config.client_id.clone()));
            form.push(("client_secret", secret.to_owned()));
        }
        _ => {
            // RFC 6749 2.3.1: id and secret form-encoded before Base64.
            let credentials = format!("{}:{}", form_encode(&config.client_id), form_encode(secret));
            request = request.header(
                reqwest::header::AUTHORIZATION,
                format!("Basic {}", STANDARD.encode(credentials)),
            );
        }
    }
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

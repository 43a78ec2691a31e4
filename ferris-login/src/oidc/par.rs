//! Pushed authorization requests (RFC 9126): the authorization request's parameters go to the
//! provider over the back channel, authenticated as the client; the browser is sent to the
//! authorization endpoint with only `client_id` and the `request_uri` the provider returned.
//! Nothing of the request (scopes, PKCE challenge, state, nonce) travels through the browser,
//! and nobody can alter it there.

use serde::Deserialize;
use url::Url;

use super::{
    http::{read_capped, FetchError, ProviderHttp},
    Provider,
};
use crate::text::printable;

/// `AUTH0_PUSHED_AUTHORIZATION_REQUESTS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParSetting {
    /// Push when the provider advertises `pushed_authorization_request_endpoint` (default).
    Auto,
    /// Always push; a provider without the endpoint is refused at start-up.
    Required,
    /// Never push (refused at start-up if the provider requires it).
    Off,
}

/// Largest PAR answer read.
const MAX_PAR_RESPONSE: usize = 16 * 1024;
/// Largest `request_uri` accepted (it travels in the redirect).
const MAX_REQUEST_URI: usize = 1024;

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
pub enum ParError {
    /// The provider answered with an OAuth error (RFC 9126 2.3): its `error` is named.
    #[error("the provider refused the pushed authorization request (HTTP {status}): {error} {description}")]
    Refused {
        status: u16,
        error: String,
        description: String,
    },
    #[error("pushing the authorization request: {0}")]
    Fetch(#[from] FetchError),
    /// A success answer without a usable `request_uri`.
    #[error("the provider's answer to the pushed authorization request is unusable: {0}")]
    Malformed(String),
}

#[derive(Deserialize)]
struct Pushed {
    request_uri: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Pushes the parameters of `authorize_url` (built as for a redirect) to the provider's PAR
/// endpoint and returns the URL to send the browser to: the authorization endpoint with
/// `client_id` and `request_uri` only.
pub async fn push(
    provider: &Provider,
    http: &ProviderHttp,
    endpoint: &Url,
    authorize_url: &Url,
    now: i64,
) -> Result<Url, ParError> {
    let pushed = pushed_params(&provider.authorization_endpoint, authorize_url);
    let mut form: Vec<(&'static str, String)> = Vec::new();
    let request = http.inner().post(endpoint.as_str());
    let request = provider
        .client_auth
        .authenticate(request, &mut form, now)
        .map_err(ParError::Malformed)?;
    if !form.iter().any(|(name, _)| *name == "client_id") {
        // Basic authentication: the request still names the client (RFC 9126 2.1).
        form.push(("client_id", provider.client_id.clone()));
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
        .extend_pairs(pushed.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .finish();
    let started = std::time::Instant::now();
    let result = send(
        request
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body),
    )
    .await;
    crate::metrics::provider_call(
        endpoint.as_str(),
        started,
        result.as_ref().err().map(|e| match e {
            ParError::Refused { .. } => "refused",
            ParError::Fetch(e) => e.kind(),
            ParError::Malformed(_) => "malformed",
        }),
    );
    let pushed = result?;
    if pushed.request_uri.is_empty()
        || pushed.request_uri.len() > MAX_REQUEST_URI
        || pushed.request_uri.chars().any(char::is_control)
    {
        return Err(ParError::Malformed("request_uri is empty, too long or not text".into()));
    }
    if pushed.expires_in == 0 {
        return Err(ParError::Malformed("expires_in is 0".into()));
    }
    Ok(redirect(
        &provider.authorization_endpoint,
        &provider.client_id,
        &pushed.request_uri,
    ))
}

/// The parameters to push: those of the URL built for a plain redirect, except `client_id`
/// (sent with the client's authentication) and any the authorization endpoint's own URL
/// carries (they stay on it).
fn pushed_params(authorization_endpoint: &Url, authorize_url: &Url) -> Vec<(String, String)> {
    let own: Vec<(String, String)> = authorization_endpoint.query_pairs().into_owned().collect();
    authorize_url
        .query_pairs()
        .into_owned()
        .filter(|pair| pair.0 != "client_id" && !own.contains(pair))
        .collect()
}

/// Where the browser goes: the authorization endpoint with `client_id` and `request_uri` only.
fn redirect(authorization_endpoint: &Url, client_id: &str, request_uri: &str) -> Url {
    let mut url = authorization_endpoint.clone();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri);
    url
}

async fn send(request: reqwest::RequestBuilder) -> Result<Pushed, ParError> {
    let response = request.send().await.map_err(|e| {
        ParError::Fetch(if e.is_timeout() {
            FetchError::Timeout
        } else {
            FetchError::Unreachable(crate::error::error_chain(&e))
        })
    })?;
    let status = response.status();
    if status.is_server_error() {
        return Err(FetchError::Status(status.as_u16()).into());
    }
    let body = read_capped(response, MAX_PAR_RESPONSE).await?;
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|e| ParError::Malformed(e.to_string()));
    }
    let refusal: Option<OAuthError> = serde_json::from_slice(&body).ok();
    Err(ParError::Refused {
        status: status.as_u16(),
        error: refusal
            .as_ref()
            .map_or_else(|| "(no OAuth error in the answer)".into(), |r| printable(&r.error, 64)),
        description: refusal
            .and_then(|r| r.error_description)
            .map(|d| printable(&d, 200))
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_but_client_id_and_the_endpoints_own_parameters_is_pushed() {
        let endpoint = Url::parse("https://idp.example/authorize?tenant=t1").unwrap();
        let built = Url::parse(
            "https://idp.example/authorize?tenant=t1&response_type=code&client_id=c&state=s\
             &code_challenge=x&code_challenge_method=S256&scope=openid+email",
        )
        .unwrap();
        let names: Vec<String> = pushed_params(&endpoint, &built)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            names,
            ["response_type", "state", "code_challenge", "code_challenge_method", "scope"]
        );
    }

    #[test]
    fn the_redirect_names_only_the_client_and_the_request_uri() {
        let endpoint = Url::parse("https://idp.example/authorize?tenant=t1").unwrap();
        let url = redirect(&endpoint, "my client", "urn:ietf:params:oauth:request_uri:abc");
        assert_eq!(
            url.as_str(),
            "https://idp.example/authorize?tenant=t1&client_id=my+client\
             &request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
        );
    }
}

//! The one HTTP client for the identity provider: redirects off (SSRF), timeouts on, response
//! bodies capped. It serves discovery, JWKS and, through `openidconnect`'s
//! [`AsyncHttpClient`] seam, the token endpoint.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

use super::client_auth::ClientAuthenticator;
use crate::error::error_chain;

/// Largest response body read from the provider.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the provider did not answer within the timeout")]
    Timeout,
    #[error("could not reach the provider: {0}")]
    Unreachable(String),
    #[error("the response exceeded {0} bytes")]
    TooLarge(usize),
    #[error("the provider answered HTTP {0}")]
    Status(u16),
    #[error("the provider's response is malformed: {0}")]
    Malformed(String),
}

impl FetchError {
    /// A short, fixed name for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout => "timeout",
            FetchError::Unreachable(_) => "unreachable",
            FetchError::TooLarge(_) => "too_large",
            FetchError::Status(_) => "status",
            FetchError::Malformed(_) => "malformed",
        }
    }

    fn from_reqwest(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            FetchError::Timeout
        } else {
            // reqwest's Display carries no secrets (no bodies, no credentials).
            FetchError::Unreachable(error_chain(&err))
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProviderHttp {
    client: reqwest::Client,
    /// The client's authentication at the provider, set by discovery: token requests made
    /// through `openidconnect` get their `private_key_jwt` assertion here.
    client_auth: Arc<RwLock<Option<Arc<ClientAuthenticator>>>>,
}

impl ProviderHttp {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            // Servers close idle keep-alive connections after a few seconds (Node's default is
            // 5 s): a connection idle longer is not reused, so no request races the close.
            .pool_idle_timeout(Duration::from_secs(4))
            .user_agent(concat!("rust-bff/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            client_auth: Arc::default(),
        })
    }

    /// How token requests authenticate from now on (the discovered provider's choice).
    pub(crate) fn use_client_auth(&self, auth: Arc<ClientAuthenticator>) {
        *self.client_auth.write().unwrap_or_else(|e| e.into_inner()) = Some(auth);
    }

    /// For `private_key_jwt`, a token request made by `openidconnect` (which sends only
    /// `client_id`) gets a fresh client assertion appended to its form body.
    fn add_client_assertion(&self, request: &mut HttpRequest) -> Result<(), FetchError> {
        let auth = self
            .client_auth
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(auth) = auth else { return Ok(()) };
        if request.method() != openidconnect::http::Method::POST {
            return Ok(());
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let Some(fields) = auth.assertion_for(&request.uri().to_string(), now) else {
            return Ok(());
        };
        let fields = fields.map_err(FetchError::Malformed)?;
        let body = request.body_mut();
        if !body.is_empty() {
            body.push(b'&');
        }
        body.extend_from_slice(fields.as_bytes());
        Ok(())
    }

    /// GET a JSON document (discovery, JWKS): 200 and a capped body, else an error.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, FetchError> {
        let started = Instant::now();
        let result = self.fetch_json(url).await;
        crate::metrics::provider_call(url, started, result.as_ref().err().map(FetchError::kind));
        result
    }

    async fn fetch_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, FetchError> {
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(FetchError::from_reqwest)?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(FetchError::Status(status.as_u16()));
        }
        let body = read_capped(response, MAX_BODY_BYTES).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Malformed(e.to_string()))
    }

    /// The underlying client, for calls the other methods do not cover.
    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }
}

/// The whole body, refused once it exceeds `limit` bytes (declared or streamed).
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, FetchError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(FetchError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(FetchError::from_reqwest)? {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = FetchError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, FetchError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let url = request.uri().to_string();
        Box::pin(async move {
            let started = Instant::now();
            let result = self.execute(request).await;
            crate::metrics::provider_call(
                &url,
                started,
                result.as_ref().err().map(FetchError::kind),
            );
            result
        })
    }
}

impl ProviderHttp {
    async fn execute(&self, mut request: HttpRequest) -> Result<HttpResponse, FetchError> {
        self.add_client_assertion(&mut request)?;
        {
            let request: reqwest::Request = request
                .try_into()
                .map_err(|e: reqwest::Error| FetchError::Malformed(e.to_string()))?;
            let response = self
                .client
                .execute(request)
                .await
                .map_err(FetchError::from_reqwest)?;
            // A provider that fails (5xx) is unavailable, whatever its body says.
            if response.status().is_server_error() {
                return Err(FetchError::Status(response.status().as_u16()));
            }
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = read_capped(response, MAX_BODY_BYTES).await?;
            builder
                .body(body)
                .map_err(|e| FetchError::Malformed(e.to_string()))
        }
    }
}

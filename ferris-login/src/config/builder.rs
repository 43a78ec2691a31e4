//! [`ConfigBuilder`]: the configuration in code. Each setter fills the variable of the same
//! meaning, and [`build`](ConfigBuilder::build) runs the very checks
//! [`Config::from_env`](super::Config::from_env) runs, so an error names the setting the same
//! way (`AUTH0_BASE_URL is invalid: ...` is what [`base_url`](ConfigBuilder::base_url) set).

use std::{collections::BTreeMap, time::Duration};

use super::{Config, ConfigError};

/// A [`Config`] built in code, from [`Config::builder`].
///
/// ```
/// use std::time::Duration;
/// use ferris_login::Config;
///
/// let config = Config::builder()
///     .base_url("https://app.example.com")
///     .issuer("https://example.eu.auth0.com/")
///     .client("my-client-id", "my-client-secret")
///     .secret("c8b1d4f7a2e5093618b4d7f0a3c6e9125b8e1d4a7f0c3e6b")
///     .database_url("postgres://app@db.internal/app")
///     .audience("https://api.example.com")
///     .session_idle_timeout(Duration::from_secs(2 * 3600))
///     .build()
///     .expect("a valid configuration");
/// assert_eq!(config.base_url(), "https://app.example.com");
///
/// // The same checks as from the environment, naming the setting:
/// let err = Config::builder().base_url("ftp://app").build().unwrap_err();
/// assert!(err.to_string().starts_with("AUTH0_BASE_URL is invalid"));
/// ```
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    values: BTreeMap<&'static str, String>,
}

impl std::fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: values include secrets.
        f.debug_struct("ConfigBuilder")
            .field("set", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ConfigBuilder {
    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.values.insert(name, value.into());
        self
    }

    /// The app's public origin (`AUTH0_BASE_URL`).
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.with("AUTH0_BASE_URL", url)
    }

    /// The provider's issuer, or a bare Auth0 domain (`AUTH0_ISSUER_BASE_URL`).
    pub fn issuer(self, issuer: impl Into<String>) -> Self {
        self.with("AUTH0_ISSUER_BASE_URL", issuer)
    }

    /// The app's client at the provider (`AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`).
    pub fn client(self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.with("AUTH0_CLIENT_ID", id)
            .with("AUTH0_CLIENT_SECRET", secret)
    }

    /// The app's client id alone (`AUTH0_CLIENT_ID`), for a client that authenticates with a
    /// key ([`client_assertion_signing_key`](Self::client_assertion_signing_key)).
    pub fn client_id(self, id: impl Into<String>) -> Self {
        self.with("AUTH0_CLIENT_ID", id)
    }

    /// `private_key_jwt`: the key that signs client assertions, a PEM or a private JWK
    /// (`AUTH0_CLIENT_ASSERTION_SIGNING_KEY`); no client secret is needed then.
    pub fn client_assertion_signing_key(self, key: impl Into<String>) -> Self {
        self.with("AUTH0_CLIENT_ASSERTION_SIGNING_KEY", key)
    }

    /// RS256, PS256 or ES256 (`AUTH0_CLIENT_ASSERTION_SIGNING_ALG`).
    pub fn client_assertion_signing_alg(self, alg: impl Into<String>) -> Self {
        self.with("AUTH0_CLIENT_ASSERTION_SIGNING_ALG", alg)
    }

    /// `client_secret_basic`, `client_secret_post` or `private_key_jwt`
    /// (`AUTH0_TOKEN_ENDPOINT_AUTH_METHOD`).
    pub fn token_endpoint_auth_method(self, method: impl Into<String>) -> Self {
        self.with("AUTH0_TOKEN_ENDPOINT_AUTH_METHOD", method)
    }

    /// Pushed authorization requests: `auto`, `required` or `off`
    /// (`AUTH0_PUSHED_AUTHORIZATION_REQUESTS`).
    pub fn pushed_authorization_requests(self, mode: impl Into<String>) -> Self {
        self.with("AUTH0_PUSHED_AUTHORIZATION_REQUESTS", mode)
    }

    /// The secret that keys cookies and sealed tokens (`AUTH0_SECRET`); several,
    /// comma-separated and newest first, while rotating.
    pub fn secret(self, secret: impl Into<String>) -> Self {
        self.with("AUTH0_SECRET", secret)
    }

    /// The PostgreSQL database (`DATABASE_URL`); with
    /// [`AuthBuilder::pool`](crate::AuthBuilder::pool) it serves the migrations only.
    pub fn database_url(self, url: impl Into<String>) -> Self {
        self.with("DATABASE_URL", url)
    }

    /// A direct connection for migrations and `LISTEN`, behind a transaction pooler
    /// (`DATABASE_DIRECT_URL`).
    pub fn database_direct_url(self, url: impl Into<String>) -> Self {
        self.with("DATABASE_DIRECT_URL", url)
    }

    /// The API access tokens are for (`AUTH0_AUDIENCE`).
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.with("AUTH0_AUDIENCE", audience)
    }

    /// The scopes asked for, space-separated (`AUTH0_SCOPE`; `openid` is always included).
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.with("AUTH0_SCOPE", scope)
    }

    /// Keep access tokens fresh with the refresh token (`AUTH0_REFRESH_TOKENS`).
    pub fn refresh_tokens(self, on: bool) -> Self {
        self.with("AUTH0_REFRESH_TOKENS", on.to_string())
    }

    /// Sessions end after this long unused (`SESSION_IDLE_TIMEOUT`).
    pub fn session_idle_timeout(self, timeout: Duration) -> Self {
        self.with("SESSION_IDLE_TIMEOUT", seconds(timeout))
    }

    /// Sessions end this long after login, however active (`SESSION_ABSOLUTE_TIMEOUT`).
    pub fn session_absolute_timeout(self, timeout: Duration) -> Self {
        self.with("SESSION_ABSOLUTE_TIMEOUT", seconds(timeout))
    }

    /// Any other setting, by the variable's name (see `docs/configuration.md`), e.g.
    /// `.set("RATE_LIMIT_PER_MINUTE", "30")`.
    pub fn set(self, name: &'static str, value: impl Into<String>) -> Self {
        self.with(name, value)
    }

    /// Checks everything, as [`Config::from_env`](super::Config::from_env) does.
    pub fn build(self) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| self.values.get(name).cloned())
    }
}

/// A duration as the variables take it (whole seconds; a bare number is seconds).
fn seconds(duration: Duration) -> String {
    duration.as_secs().to_string()
}

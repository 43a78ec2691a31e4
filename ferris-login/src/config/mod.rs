//! Configuration: read once at start-up from the environment (and `.env`), validated, typed.
//!
//! The variable names are the seed's (`@auth0/nextjs-auth0`), so an existing `.env.local`
//! for an Auth0 tenant works unchanged. A missing or invalid variable stops start-up with one
//! line naming it; secrets are held in [`SecretString`] and never printed.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use crate::{
    client::TrustedProxies,
    oidc::{
        client_auth::{ClientAuthMethod, ClientCredentials},
        par::ParSetting,
        signing_key::{AssertionAlg, AssertionKey},
    },
    session::CacheSettings,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// Where the API is mounted unless the builder says otherwise.
pub(crate) const DEFAULT_API_PREFIX: &str = "/api";

/// Whether `path` is `prefix` or below it.
pub(crate) fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The minimum length of each `AUTH0_SECRET` entry (as nextjs-auth0).
pub const MIN_SECRET_LEN: usize = 32;

/// Why the configuration was refused: one variable, named.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable is not set (or empty).
    #[error("{0} is required but not set")]
    Missing(&'static str),
    /// A variable is set to something unusable; `reason` says what it must be.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong, without the value (it may be a secret).
        reason: String,
    },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// The app's public origin (`AUTH0_BASE_URL`), e.g. `http://localhost:8080`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: Url,
    /// `scheme://host[:port]`, serialised once (every API request compares against it).
    origin: String,
}

impl BaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if url.host_str().is_none() {
            return Err("must have a host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("must not have a query or fragment".into());
        }
        if url.path() != "/" {
            return Err("must be an origin without a path (serve the app at the root)".into());
        }
        let origin = url.origin().ascii_serialization();
        Ok(Self { url, origin })
    }

    /// `scheme://host[:port]`, without a trailing slash.
    pub fn origin(&self) -> String {
        self.origin.clone()
    }

    /// The origin, borrowed.
    pub fn origin_str(&self) -> &str {
        &self.origin
    }

    /// The app serves only this machine (`localhost`, `*.localhost` or a loopback address).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.url)
    }

    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// An absolute URL of this app for a same-origin path (which must start with `/`).
    pub fn join_path(&self, path: &str) -> String {
        debug_assert!(path.starts_with('/'));
        format!("{}{}", self.origin(), path)
    }

}

/// The provider's issuer as configured (`AUTH0_ISSUER_BASE_URL`). A bare host means https.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerSetting(String);

impl IssuerSetting {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let with_scheme = if raw.contains("://") {
            raw.to_owned()
        } else {
            format!("https://{raw}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| format!("not a URL ({e})"))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_host(&url) => {}
            "http" => return Err(
                "must use https (plain http is accepted only for a loopback development provider)"
                    .into(),
            ),
            other => return Err(format!("unsupported scheme `{other}`")),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("must not have a query or fragment".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials".into());
        }
        Ok(Self(with_scheme))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The discovery document URL (`{issuer}/.well-known/openid-configuration`).
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.0.trim_end_matches('/')
        )
    }

    /// Whether an issuer announced by discovery is the configured one. Exact match, except that
    /// a single trailing slash may differ: Auth0's issuer is `https://TENANT/` while its docs
    /// (and the seed's `.env.local`) write `https://TENANT`. From then on the discovered string
    /// is the one every ID token must carry, byte for byte.
    pub fn accepts_discovered(&self, discovered: &str) -> bool {
        discovered == self.0
            || (discovered.trim_end_matches('/') == self.0.trim_end_matches('/')
                && discovered.len().abs_diff(self.0.len()) == 1)
    }
}

pub(crate) fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The configuration, read and checked once at start-up: [`Config::from_env`] reads the
/// environment (and `.env`), [`Config::from_lookup`] any source. A missing or invalid variable
/// is a [`ConfigError`] naming it; secrets are never printed.
///
/// ```
/// let config = ferris_login::Config::from_lookup(|name| match name {
///     "AUTH0_SECRET" => Some("Vq3t8MZk0XmYpJb2LrNcW5sHd7GfQa1E".into()),
///     "AUTH0_BASE_URL" => Some("http://localhost:8080".into()),
///     "AUTH0_ISSUER_BASE_URL" => Some("https://tenant.eu.auth0.com".into()),
///     "AUTH0_CLIENT_ID" => Some("client".into()),
///     "AUTH0_CLIENT_SECRET" => Some("client-secret".into()),
///     "DATABASE_URL" => Some("postgres://localhost/app".into()),
///     _ => None,
/// })
/// .unwrap();
/// assert_eq!(config.callback_url(), "http://localhost:8080/api/auth/callback");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// `AUTH0_SECRET`: the first entry signs/encrypts, all entries are accepted for reading.
    pub(crate) secrets: Vec<SecretString>,
    pub(crate) base_url: BaseUrl,
    pub(crate) issuer: IssuerSetting,
    pub(crate) client_id: String,
    /// `AUTH0_CLIENT_SECRET`, or `AUTH0_CLIENT_ASSERTION_SIGNING_KEY` (`private_key_jwt`), and
    /// `AUTH0_TOKEN_ENDPOINT_AUTH_METHOD`.
    pub(crate) client_credentials: ClientCredentials,
    /// `AUTH0_PUSHED_AUTHORIZATION_REQUESTS`: `auto`, `required` or `off`.
    pub(crate) pushed_authorization_requests: ParSetting,
    pub(crate) audience: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) database_url: SecretString,
    /// `DATABASE_DIRECT_URL`: a direct connection for the migrations' lock and `LISTEN` (when
    /// `DATABASE_URL` is a transaction pooler); `None`: `DATABASE_URL`.
    pub(crate) database_direct_url: Option<SecretString>,
    pub(crate) listen_addr: SocketAddr,
    pub(crate) frontend_dist: PathBuf,
    pub(crate) session_idle_timeout: Duration,
    pub(crate) session_absolute_timeout: Duration,
    /// Leeway for `exp`/`iat` of ID tokens (`ID_TOKEN_LEEWAY`, default 60 s).
    pub(crate) id_token_leeway: Duration,
    /// Timeout of every call to the provider (`OIDC_HTTP_TIMEOUT`, default 10 s).
    pub(crate) http_timeout: Duration,
    /// Name of the claim holding the user's roles (`AUTH0_ROLES_CLAIM`, default `roles`).
    pub(crate) roles_claim: String,
    /// How often expired sessions are swept (`SESSION_SWEEP_INTERVAL`, default 5 min).
    pub(crate) sweep_interval: Duration,
    /// Maximum database connections (`DATABASE_MAX_CONNECTIONS`, default 10).
    pub(crate) database_max_connections: u32,
    /// Accepted ID token signing algorithms (`ID_TOKEN_SIGNING_ALGS`, default `RS256`).
    pub(crate) id_token_algs: Vec<String>,
    /// Keep the session's tokens fresh with the refresh token (`AUTH0_REFRESH_TOKENS`,
    /// default off; on adds `offline_access` to the scopes).
    pub(crate) refresh_tokens: bool,
    /// Refresh this long before the access token expires (`TOKEN_REFRESH_BUFFER`, 60 s), or
    /// half-way through its life if that is later (`SessionView::refresh_due`).
    pub(crate) refresh_buffer: Duration,
    /// Downstream APIs reachable through `/api/proxy/{name}/…` (`API_PROXY_UPSTREAMS`:
    /// `name=https://api.example.com/base,other=…`).
    pub(crate) upstreams: Vec<Upstream>,
    /// Where a logout sends the browser at the provider (`AUTH0_LOGOUT_STRATEGY`).
    pub(crate) logout_strategy: LogoutStrategy,
    /// The in-process session cache (`SESSION_CACHE`, `SESSION_CACHE_MAX_ENTRIES`,
    /// `SESSION_CACHE_MAX_MB`); `None` when off.
    pub(crate) session_cache: Option<CacheSettings>,
    /// Where sessions live (`SESSION_STORE`, `SESSION_REDIS_URL`, `SESSION_REDIS_PREFIX`).
    pub(crate) session_store: StoreChoice,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
    pub(crate) trusted_proxies: TrustedProxies,
    /// `RATE_LIMIT_PER_MINUTE` per client address on login, callback and back-channel logout
    /// (0: none).
    pub(crate) rate_limit_per_minute: u32,
    /// `METRICS_ADDR`: where Prometheus `/metrics` listens; `None`: no metrics listener.
    pub(crate) metrics_addr: Option<SocketAddr>,
    /// `SHUTDOWN_DRAIN`: after SIGTERM, how long to keep serving (with `Connection: close` and
    /// a failing `/readyz`) before stopping.
    pub(crate) shutdown_drain: Duration,
    /// Where the API is mounted (`/api`; [`crate::AuthBuilder::api_prefix`]).
    pub(crate) api_prefix: String,
}

/// One allow-listed downstream API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub name: String,
    /// Base URL without a trailing slash.
    pub base: Url,
}

fn parse_upstreams(raw: Option<&str>) -> Result<Vec<Upstream>, ConfigError> {
    let mut upstreams: Vec<Upstream> = Vec::new();
    for entry in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let bad = |why: String| invalid("API_PROXY_UPSTREAMS", format!("`{entry}`: {why}"));
        let (name, url) = entry
            .split_once('=')
            .ok_or_else(|| bad("expected name=url".into()))?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad("names are lowercase letters, digits and `-`".into()));
        }
        if upstreams.iter().any(|u| u.name == name) {
            return Err(bad("duplicate name".into()));
        }
        let mut base = Url::parse(url.trim()).map_err(|e| bad(e.to_string()))?;
        match base.scheme() {
            "https" => {}
            "http" if is_loopback_host(&base) => {}
            _ => return Err(bad("must be https (http only on loopback)".into())),
        }
        if base.query().is_some()
            || base.fragment().is_some()
            || !base.username().is_empty()
            || base.password().is_some()
            || base.host_str().is_none()
        {
            return Err(bad("no credentials, query or fragment".into()));
        }
        let path = base.path().trim_end_matches('/').to_owned();
        base.set_path(&path);
        upstreams.push(Upstream {
            name: name.to_owned(),
            base,
        });
    }
    Ok(upstreams)
}

mod builder;

pub use builder::ConfigBuilder;

/// Where a logout sends the browser at the provider (`AUTH0_LOGOUT_STRATEGY`), after the
/// session here has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutStrategy {
    /// `auto` (the default): RP-initiated logout when the provider advertises an
    /// `end_session_endpoint`; else Auth0's `/v2/logout` for an issuer on `*.auth0.com`; else
    /// none (back to the app).
    Auto,
    /// `oidc`: RP-initiated logout only (back to the app when the provider has none).
    Oidc,
    /// `v2`: Auth0's `/v2/logout`, whatever the issuer's host (a tenant on a custom domain
    /// without RP-initiated logout).
    Auth0V2,
    /// `local`: end the session here only; the provider's session lives on.
    Local,
}

/// Other products' names for the seed's variables: (seed name, alias).
const ALIASES: [(&str, &str); 2] = [
    ("AUTH0_BASE_URL", "APP_BASE_URL"),
    ("AUTH0_ISSUER_BASE_URL", "AUTH0_DOMAIN"),
];

impl Config {
    /// Reads the process environment, after loading `.env.local` and `.env` if present (the
    /// process environment wins).
    pub fn from_env() -> Result<Self, ConfigError> {
        for file in [".env.local", ".env"] {
            let _ = dotenvy::from_filename(file);
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The configuration in code, with the same checks (see [`ConfigBuilder`]).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Builds the configuration from any variable lookup (tests pass a map).
    ///
    /// The seed's names (`AUTH0_BASE_URL`, `AUTH0_ISSUER_BASE_URL`) also answer to
    /// `@auth0/nextjs-auth0` v4's (`APP_BASE_URL`, `AUTH0_DOMAIN`, a bare tenant domain); the
    /// seed's name wins when both are set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let present = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let get = |name: &'static str| {
            present(name).or_else(|| ALIASES.iter().find(|(seed, _)| *seed == name).and_then(|(_, alias)| present(alias)))
        };
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));

        let base_url = BaseUrl::parse(&required("AUTH0_BASE_URL")?)
            .map_err(|r| invalid("AUTH0_BASE_URL", r))?;
        let loopback = base_url.is_loopback();
        let allow_insecure_http = flag(&get, "ALLOW_INSECURE_HTTP")?;
        if !base_url.is_https() && !loopback && !allow_insecure_http {
            return Err(invalid(
                "AUTH0_BASE_URL",
                "must be https unless the app serves only this machine (localhost): without \
                 Secure cookies a sibling host can plant cookies for yours. For a closed \
                 network, set ALLOW_INSECURE_HTTP=true",
            ));
        }
        let listen_addr = match get("LISTEN_ADDR") {
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| invalid("LISTEN_ADDR", "expected host:port, e.g. 127.0.0.1:8080"))?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        // The development secret is for an app nobody else can reach: its public origin on
        // loopback, and its listening address too (or, in a container, published only on the
        // host's loopback, as `docker-compose.yml` does, which the app cannot see: say so).
        let reachable_only_here = loopback
            && (listen_addr.ip().is_loopback() || flag(&get, "PUBLISHED_ON_LOOPBACK_ONLY")?);
        let secrets = parse_secrets(&required("AUTH0_SECRET")?, reachable_only_here)?;
        let issuer = IssuerSetting::parse(&required("AUTH0_ISSUER_BASE_URL")?)
            .map_err(|r| invalid("AUTH0_ISSUER_BASE_URL", r))?;
        let client_id = required("AUTH0_CLIENT_ID")?.trim().to_owned();
        let client_credentials = parse_client_credentials(&get)?;
        let pushed_authorization_requests =
            match get("AUTH0_PUSHED_AUTHORIZATION_REQUESTS").as_deref().map(str::trim) {
                None | Some("auto") => ParSetting::Auto,
                Some("required") => ParSetting::Required,
                Some("off") => ParSetting::Off,
                Some(_) => {
                    return Err(invalid(
                        "AUTH0_PUSHED_AUTHORIZATION_REQUESTS",
                        "expected auto, required or off",
                    ))
                }
            };
        let audience = get("AUTH0_AUDIENCE").map(|a| a.trim().to_owned());
        let scopes = parse_scopes(get("AUTH0_SCOPE").as_deref())?;
        let is_postgres =
            |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        let database_url = required("DATABASE_URL")?;
        if !is_postgres(&database_url) {
            return Err(invalid(
                "DATABASE_URL",
                "must be a postgres:// or postgresql:// URL",
            ));
        }
        let database_direct_url = get("DATABASE_DIRECT_URL");
        if database_direct_url
            .as_deref()
            .is_some_and(|url| !is_postgres(url))
        {
            return Err(invalid(
                "DATABASE_DIRECT_URL",
                "must be a postgres:// or postgresql:// URL",
            ));
        }
        let frontend_dist = get("FRONTEND_DIST")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("frontend/dist"));
        let duration = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match get(name) {
                Some(raw) => parse_duration(&raw).map_err(|r| invalid(name, r)),
                None => Ok(default),
            }
        };
        let session_idle_timeout = duration("SESSION_IDLE_TIMEOUT", Duration::from_secs(86_400))?;
        let session_absolute_timeout =
            duration("SESSION_ABSOLUTE_TIMEOUT", Duration::from_secs(7 * 86_400))?;
        if session_idle_timeout.is_zero() || session_absolute_timeout.is_zero() {
            return Err(invalid("SESSION_IDLE_TIMEOUT", "timeouts must be positive"));
        }
        // Deadlines are dates: a timeout that takes them past what a date can hold would
        // pass here and fail at every login.
        for (name, timeout) in [
            ("SESSION_IDLE_TIMEOUT", session_idle_timeout),
            ("SESSION_ABSOLUTE_TIMEOUT", session_absolute_timeout),
        ] {
            if timeout > MAX_SESSION_TIMEOUT {
                return Err(invalid(name, "must be at most 10 years (3650d)"));
            }
        }
        if session_idle_timeout > session_absolute_timeout {
            return Err(invalid(
                "SESSION_IDLE_TIMEOUT",
                "must not be longer than SESSION_ABSOLUTE_TIMEOUT",
            ));
        }
        let id_token_leeway = duration("ID_TOKEN_LEEWAY", Duration::from_secs(60))?;
        if id_token_leeway > Duration::from_secs(300) {
            return Err(invalid("ID_TOKEN_LEEWAY", "must be at most 5m"));
        }
        let http_timeout = duration("OIDC_HTTP_TIMEOUT", Duration::from_secs(10))?;
        if http_timeout.is_zero() {
            return Err(invalid("OIDC_HTTP_TIMEOUT", "must be positive"));
        }
        let sweep_interval = duration("SESSION_SWEEP_INTERVAL", Duration::from_secs(300))?;
        if sweep_interval.is_zero() {
            return Err(invalid("SESSION_SWEEP_INTERVAL", "must be positive"));
        }
        let roles_claim = get("AUTH0_ROLES_CLAIM")
            .map(|c| c.trim().to_owned())
            .unwrap_or_else(|| "roles".to_owned());
        let database_max_connections = match get("DATABASE_MAX_CONNECTIONS") {
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| invalid("DATABASE_MAX_CONNECTIONS", "expected 1..=1000"))?,
            None => 10,
        };

        let id_token_algs = parse_algs(get("ID_TOKEN_SIGNING_ALGS").as_deref())?;
        let refresh_tokens = flag(&get, "AUTH0_REFRESH_TOKENS")?;
        let mut scopes = scopes;
        if refresh_tokens && !scopes.iter().any(|s| s == "offline_access") {
            scopes.push("offline_access".to_owned());
        }
        let refresh_buffer = duration("TOKEN_REFRESH_BUFFER", Duration::from_secs(60))?;
        let upstreams = parse_upstreams(get("API_PROXY_UPSTREAMS").as_deref())?;
        let logout_strategy = match get("AUTH0_LOGOUT_STRATEGY").as_deref().map(str::trim) {
            None | Some("auto") => LogoutStrategy::Auto,
            Some("oidc") => LogoutStrategy::Oidc,
            Some("v2") => LogoutStrategy::Auth0V2,
            Some("local") => LogoutStrategy::Local,
            Some(_) => {
                return Err(invalid(
                    "AUTH0_LOGOUT_STRATEGY",
                    "expected auto, oidc, v2 or local",
                ))
            }
        };
        let session_cache = parse_session_cache(&get)?;
        let session_store = parse_session_store(&get)?;
        let rate_limit_per_minute = match get("RATE_LIMIT_PER_MINUTE") {
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 1_000_000)
                .ok_or_else(|| {
                    invalid(
                        "RATE_LIMIT_PER_MINUTE",
                        "expected a number (0 turns limits off)",
                    )
                })?,
            None => 60,
        };
        let shutdown_drain = duration("SHUTDOWN_DRAIN", Duration::from_secs(1))?;
        if shutdown_drain > Duration::from_secs(60) {
            return Err(invalid("SHUTDOWN_DRAIN", "must be at most 60s"));
        }
        let metrics_addr =
            match get("METRICS_ADDR") {
                Some(raw) => Some(raw.trim().parse().map_err(|_| {
                    invalid("METRICS_ADDR", "expected host:port, e.g. 127.0.0.1:9100")
                })?),
                None => None,
            };
        if metrics_addr.is_some() && !cfg!(feature = "prometheus") {
            return Err(invalid(
                "METRICS_ADDR",
                "needs ferris-login's `prometheus` feature (on by default), which this build lacks",
            ));
        }
        let trusted_proxies =
            TrustedProxies::parse(get("TRUSTED_PROXIES").as_deref().unwrap_or(""))
                .map_err(|r| invalid("TRUSTED_PROXIES", r))?;

        Ok(Self {
            secrets,
            base_url,
            issuer,
            client_id,
            client_credentials,
            pushed_authorization_requests,
            audience,
            scopes,
            database_url: SecretString::from(database_url),
            database_direct_url: database_direct_url.map(SecretString::from),
            listen_addr,
            frontend_dist,
            session_idle_timeout,
            session_absolute_timeout,
            id_token_leeway,
            http_timeout,
            roles_claim,
            sweep_interval,
            database_max_connections,
            id_token_algs,
            refresh_tokens,
            refresh_buffer,
            upstreams,
            logout_strategy,
            session_cache,
            session_store,
            trusted_proxies,
            rate_limit_per_minute,
            metrics_addr,
            shutdown_drain,
            api_prefix: DEFAULT_API_PREFIX.to_owned(),
        })
    }

    /// The address the app listens on (`LISTEN_ADDR`, default `127.0.0.1:8080`).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen_addr
    }

    /// The app's public origin (`AUTH0_BASE_URL`), as `scheme://host[:port]`.
    pub fn base_url(&self) -> &str {
        self.base_url.origin_str()
    }

    /// The built SPA (`FRONTEND_DIST`).
    pub fn frontend_dist(&self) -> &std::path::Path {
        &self.frontend_dist
    }

    /// The redirect URI to register at the provider: the base URL, the API prefix,
    /// `/auth/callback`.
    pub fn callback_url(&self) -> String {
        self.base_url
            .join_path(&format!("{}/auth/callback", self.api_prefix))
    }

    /// Whether `path` is under the API prefix.
    pub(crate) fn is_api_path(&self, path: &str) -> bool {
        is_under(path, &self.api_prefix)
    }

    /// The prefix set by the builder, checked.
    pub(crate) fn check_api_prefix(&self) -> Result<(), ConfigError> {
        let p = &self.api_prefix;
        let fine = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_/".contains(c);
        if p.len() < 2 || !p.starts_with('/') || p.ends_with('/') || p.contains("//") || !p.chars().all(fine) {
            return Err(invalid(
                "the API prefix",
                "must be a path like /api: lowercase letters, digits, -, _ and /, starting with / and not ending with one",
            ));
        }
        Ok(())
    }

    pub(crate) fn secret_strings(&self) -> impl Iterator<Item = &str> {
        self.secrets.iter().map(|s| s.expose_secret())
    }
}

/// Where sessions live.
#[derive(Clone)]
pub(crate) enum StoreChoice {
    /// The `sessions` table of `DATABASE_URL` (the default).
    Postgres,
    /// This process's memory: one replica only, nothing kept across restarts.
    Memory,
    /// Redis or Valkey at this URL, keys under this prefix.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    Redis { url: SecretString, prefix: String },
}

impl std::fmt::Debug for StoreChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreChoice::Postgres => "postgres",
            StoreChoice::Memory => "memory",
            StoreChoice::Redis { .. } => "redis",
        })
    }
}

fn parse_session_store(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<StoreChoice, ConfigError> {
    match get("SESSION_STORE").as_deref().map(str::trim) {
        None | Some("postgres") => Ok(StoreChoice::Postgres),
        Some("memory") => Ok(StoreChoice::Memory),
        Some("redis") => {
            if !cfg!(feature = "redis") {
                return Err(invalid(
                    "SESSION_STORE",
                    "redis needs ferris-login's `redis` feature, which this build lacks",
                ));
            }
            let url = get("SESSION_REDIS_URL")
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
                .ok_or_else(|| invalid("SESSION_REDIS_URL", "is required with SESSION_STORE=redis"))?;
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(invalid(
                    "SESSION_REDIS_URL",
                    "expected redis://host:port[/db] or rediss://…",
                ));
            }
            let prefix = get("SESSION_REDIS_PREFIX")
                .map(|p| p.trim().to_owned())
                .unwrap_or_else(|| "ferris-login:".to_owned());
            if prefix.is_empty() || prefix.len() > 64 || prefix.chars().any(char::is_whitespace) {
                return Err(invalid(
                    "SESSION_REDIS_PREFIX",
                    "expected 1 to 64 characters, no spaces",
                ));
            }
            Ok(StoreChoice::Redis {
                url: SecretString::from(url),
                prefix,
            })
        }
        Some(_) => Err(invalid("SESSION_STORE", "expected postgres, memory or redis")),
    }
}

/// The client's credentials: a secret (`client_secret_basic` / `client_secret_post`) or a
/// signing key (`private_key_jwt`), picked by `AUTH0_TOKEN_ENDPOINT_AUTH_METHOD`; by default,
/// the key when one is given, else the secret. Neither is refused.
fn parse_client_credentials(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<ClientCredentials, ConfigError> {
    const METHOD: &str = "AUTH0_TOKEN_ENDPOINT_AUTH_METHOD";
    const KEY: &str = "AUTH0_CLIENT_ASSERTION_SIGNING_KEY";
    const ALG: &str = "AUTH0_CLIENT_ASSERTION_SIGNING_ALG";
    let method = match get(METHOD) {
        Some(raw) => Some(ClientAuthMethod::parse(&raw).ok_or_else(|| {
            invalid(
                METHOD,
                "expected client_secret_basic, client_secret_post or private_key_jwt",
            )
        })?),
        None => None,
    };
    let secret = get("AUTH0_CLIENT_SECRET").map(SecretString::from);
    let key = get(KEY);
    let alg = get(ALG)
        .map(|raw| AssertionAlg::parse(&raw).map_err(|r| invalid(ALG, r)))
        .transpose()?;
    let wants_key = match method {
        Some(ClientAuthMethod::PrivateKeyJwt) => true,
        Some(_) => false,
        None => key.is_some(),
    };
    if wants_key {
        let key = key.ok_or(ConfigError::Missing(KEY))?;
        let key = AssertionKey::parse(&key, alg).map_err(|r| invalid(KEY, r))?;
        return Ok(ClientCredentials::PrivateKeyJwt(std::sync::Arc::new(key)));
    }
    if alg.is_some() {
        return Err(invalid(ALG, format!("is set but {METHOD} is not private_key_jwt")));
    }
    // Neither a key nor a secret: the secret is named (the seed's variable).
    let secret = secret.ok_or(ConfigError::Missing("AUTH0_CLIENT_SECRET"))?;
    Ok(ClientCredentials::Secret { secret, method })
}

fn parse_session_cache(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<Option<CacheSettings>, ConfigError> {
    match get("SESSION_CACHE").as_deref().map(str::trim) {
        None | Some("on" | "true" | "1") => {}
        Some("off" | "false" | "0") => return Ok(None),
        Some(_) => return Err(invalid("SESSION_CACHE", "expected on or off")),
    }
    let defaults = CacheSettings::default();
    let number = |name: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
        match get(name) {
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| invalid(name, format!("expected a number from 1 to {max}"))),
            None => Ok(default),
        }
    };
    Ok(Some(CacheSettings {
        max_entries: number(
            "SESSION_CACHE_MAX_ENTRIES",
            defaults.max_entries,
            10_000_000,
        )?,
        max_bytes: number(
            "SESSION_CACHE_MAX_MB",
            defaults.max_bytes / (1024 * 1024),
            64 * 1024,
        )? * 1024
            * 1024,
        ..defaults
    }))
}

/// A boolean variable: true/false (also 1/0, on/off, yes/no); unset is false.
fn flag(
    get: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
) -> Result<bool, ConfigError> {
    match get(name).as_deref().map(str::trim) {
        None | Some("false" | "0" | "off" | "no") => Ok(false),
        Some("true" | "1" | "on" | "yes") => Ok(true),
        Some(_) => Err(invalid(name, "expected true or false")),
    }
}

fn parse_secrets(raw: &str, loopback: bool) -> Result<Vec<SecretString>, ConfigError> {
    let secrets: Vec<&str> = raw.split(',').map(str::trim).collect();
    if secrets.iter().any(|s| s.is_empty()) {
        return Err(invalid("AUTH0_SECRET", "contains an empty entry"));
    }
    if secrets.iter().any(|s| s.chars().count() < MIN_SECRET_LEN) {
        return Err(invalid(
            "AUTH0_SECRET",
            format!("each entry must be at least {MIN_SECRET_LEN} characters (try `openssl rand -hex 32`)"),
        ));
    }
    for (position, secret) in secrets.iter().enumerate() {
        if let Some(why) = crate::secret_strength::weakness(secret, loopback) {
            return Err(invalid(
                "AUTH0_SECRET",
                format!("entry {} {why}", position + 1),
            ));
        }
    }
    Ok(secrets
        .into_iter()
        .map(|s| SecretString::from(s.to_owned()))
        .collect())
}

/// Asymmetric JWS algorithms only: `none` and HMAC (keyed with the client secret) never.
const ASYMMETRIC_ALGS: [&str; 10] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

fn parse_algs(raw: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let algs: Vec<String> = raw
        .unwrap_or("RS256")
        .split(',')
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    if algs.is_empty() {
        return Err(invalid("ID_TOKEN_SIGNING_ALGS", "lists no algorithm"));
    }
    if let Some(bad) = algs.iter().find(|a| !ASYMMETRIC_ALGS.contains(&a.as_str())) {
        return Err(invalid(
            "ID_TOKEN_SIGNING_ALGS",
            format!(
                "`{bad}` is not allowed (use one of {})",
                ASYMMETRIC_ALGS.join(", ")
            ),
        ));
    }
    Ok(algs)
}

fn parse_scopes(raw: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let mut scopes: Vec<String> = raw
        .unwrap_or("openid profile email")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.iter().any(|s| {
        !s.chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
    }) {
        return Err(invalid("AUTH0_SCOPE", "scopes must be printable ASCII"));
    }
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".to_owned());
    }
    scopes.dedup();
    Ok(scopes)
}

/// The longest session timeout accepted (ten years of 365 days): far beyond any sensible
/// session, well within the dates PostgreSQL and `time` hold.
const MAX_SESSION_TIMEOUT: Duration = Duration::from_secs(3650 * 86_400);

/// Parses a duration with [`humantime`]: `45s`, `30m`, `12h`, `7d`, `1w`, `1h 30m`; a bare
/// number is seconds (`90`).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("`{raw}` is too long"));
    }
    humantime::parse_duration(raw)
        .map_err(|e| format!("`{raw}` is not a duration like 30s, 15m, 12h or 7d ({e})"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const NEW_SECRET: &str = "7f3a9c1e5b2d4f6a8c0e1f3a5b7d9c2e4f6a8b0c1d3e5f7a";
    const OLD_SECRET: &str = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";

    fn valid() -> HashMap<&'static str, String> {
        HashMap::from([
            ("AUTH0_SECRET", NEW_SECRET.to_owned()),
            ("AUTH0_BASE_URL", "http://localhost:8080".into()),
            (
                "AUTH0_ISSUER_BASE_URL",
                "https://tenant.eu.auth0.com".into(),
            ),
            ("AUTH0_CLIENT_ID", "client".into()),
            ("AUTH0_CLIENT_SECRET", "secret".into()),
            ("DATABASE_URL", "postgres://localhost/db".into()),
        ])
    }

    fn load(vars: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn the_seeds_variables_are_enough() {
        let config = load(&valid()).unwrap();
        assert_eq!(config.base_url.origin(), "http://localhost:8080");
        assert_eq!(config.issuer.as_str(), "https://tenant.eu.auth0.com");
        assert_eq!(config.scopes, ["openid", "profile", "email"]);
        assert_eq!(config.session_idle_timeout, Duration::from_secs(86_400));
        assert_eq!(
            config.session_absolute_timeout,
            Duration::from_secs(604_800)
        );
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn the_logout_strategy_is_one_of_four_words() {
        assert_eq!(load(&valid()).unwrap().logout_strategy, LogoutStrategy::Auto);
        let mut vars = valid();
        for (word, strategy) in [
            ("auto", LogoutStrategy::Auto),
            ("oidc", LogoutStrategy::Oidc),
            ("v2", LogoutStrategy::Auth0V2),
            ("local", LogoutStrategy::Local),
        ] {
            vars.insert("AUTH0_LOGOUT_STRATEGY", word.into());
            assert_eq!(load(&vars).unwrap().logout_strategy, strategy);
        }
        vars.insert("AUTH0_LOGOUT_STRATEGY", "legacy".into());
        assert!(matches!(
            load(&vars),
            Err(ConfigError::Invalid { name: "AUTH0_LOGOUT_STRATEGY", .. })
        ));
    }

    #[test]
    fn nextjs_auth0_v4_names_work_and_the_seeds_names_win() {
        let mut vars = valid();
        vars.remove("AUTH0_BASE_URL");
        vars.remove("AUTH0_ISSUER_BASE_URL");
        vars.insert("APP_BASE_URL", "http://localhost:3000".into());
        vars.insert("AUTH0_DOMAIN", "tenant.us.auth0.com".into());
        let config = load(&vars).unwrap();
        assert_eq!(config.base_url.origin(), "http://localhost:3000");
        assert_eq!(config.issuer.as_str(), "https://tenant.us.auth0.com");

        vars.insert("AUTH0_BASE_URL", "http://localhost:8080".into());
        assert_eq!(load(&vars).unwrap().base_url.origin(), "http://localhost:8080");
    }

    #[test]
    fn the_callback_and_api_paths_follow_the_prefix() {
        let mut config = load(&valid()).unwrap();
        assert_eq!(
            config.callback_url(),
            "http://localhost:8080/api/auth/callback"
        );
        assert!(config.is_api_path("/api") && config.is_api_path("/api/auth/me"));
        assert!(!config.is_api_path("/apix") && !config.is_api_path("/profile"));
        config.api_prefix = "/backend/v1".into();
        assert!(config.check_api_prefix().is_ok());
        assert_eq!(
            config.callback_url(),
            "http://localhost:8080/backend/v1/auth/callback"
        );
        assert!(config.is_api_path("/backend/v1/auth/login") && !config.is_api_path("/api/x"));
    }

    #[test]
    fn an_api_prefix_that_is_not_a_plain_path_is_refused() {
        let mut config = load(&valid()).unwrap();
        for bad in ["", "/", "api", "/api/", "//api", "/API", "/a?b", "/a b", "/a/../b"] {
            config.api_prefix = bad.into();
            assert!(config.check_api_prefix().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn each_required_variable_is_named_when_missing() {
        for name in [
            "AUTH0_SECRET",
            "AUTH0_BASE_URL",
            "AUTH0_ISSUER_BASE_URL",
            "AUTH0_CLIENT_ID",
            "AUTH0_CLIENT_SECRET",
            "DATABASE_URL",
        ] {
            let mut vars = valid();
            vars.remove(name);
            assert_eq!(load(&vars).unwrap_err(), ConfigError::Missing(name));
            vars.insert(name, "  ".into());
            assert_eq!(load(&vars).unwrap_err(), ConfigError::Missing(name));
        }
    }

    #[test]
    fn a_signing_key_alone_means_private_key_jwt_and_neither_is_refused() {
        let mut vars = valid();
        vars.remove("AUTH0_CLIENT_SECRET");
        assert_eq!(
            load(&vars).unwrap_err(),
            ConfigError::Missing("AUTH0_CLIENT_SECRET")
        );
        vars.insert(
            "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
            crate::oidc::signing_key::tests::p256_pem(),
        );
        let config = load(&vars).unwrap();
        assert!(matches!(
            config.client_credentials,
            ClientCredentials::PrivateKeyJwt(_)
        ));
        // Both given: the key wins unless the method says otherwise.
        vars.insert("AUTH0_CLIENT_SECRET", "secret".into());
        assert!(matches!(
            load(&vars).unwrap().client_credentials,
            ClientCredentials::PrivateKeyJwt(_)
        ));
        vars.insert("AUTH0_TOKEN_ENDPOINT_AUTH_METHOD", "client_secret_post".into());
        assert!(matches!(
            load(&vars).unwrap().client_credentials,
            ClientCredentials::Secret {
                method: Some(ClientAuthMethod::ClientSecretPost),
                ..
            }
        ));
    }

    #[test]
    fn the_client_authentication_settings_are_checked() {
        let cases = [
            ("AUTH0_TOKEN_ENDPOINT_AUTH_METHOD", "client_secret_jwt", "AUTH0_TOKEN_ENDPOINT_AUTH_METHOD is invalid"),
            ("AUTH0_TOKEN_ENDPOINT_AUTH_METHOD", "private_key_jwt", "AUTH0_CLIENT_ASSERTION_SIGNING_KEY is required"),
            ("AUTH0_CLIENT_ASSERTION_SIGNING_ALG", "HS256", "AUTH0_CLIENT_ASSERTION_SIGNING_ALG is invalid"),
            ("AUTH0_CLIENT_ASSERTION_SIGNING_ALG", "ES256", "is set but AUTH0_TOKEN_ENDPOINT_AUTH_METHOD"),
            ("AUTH0_CLIENT_ASSERTION_SIGNING_KEY", "not-a-key", "AUTH0_CLIENT_ASSERTION_SIGNING_KEY is invalid"),
            ("AUTH0_PUSHED_AUTHORIZATION_REQUESTS", "always", "expected auto, required or off"),
        ];
        for (name, value, message) in cases {
            let mut vars = valid();
            vars.insert(name, value.into());
            let err = load(&vars).unwrap_err().to_string();
            assert!(err.contains(message), "{name}={value}: {err}");
        }
        let mut vars = valid();
        assert_eq!(load(&vars).unwrap().pushed_authorization_requests, ParSetting::Auto);
        vars.insert("AUTH0_PUSHED_AUTHORIZATION_REQUESTS", "required".into());
        assert_eq!(load(&vars).unwrap().pushed_authorization_requests, ParSetting::Required);
    }

    #[test]
    fn a_short_secret_is_refused_and_not_echoed() {
        let mut vars = valid();
        vars.insert("AUTH0_SECRET", "too-short-secret".into());
        let err = load(&vars).unwrap_err().to_string();
        assert!(err.starts_with("AUTH0_SECRET is invalid"), "{err}");
        assert!(!err.contains("too-short-secret"));
    }

    #[test]
    fn secrets_rotate_as_a_comma_separated_list() {
        let mut vars = valid();
        vars.insert("AUTH0_SECRET", format!("{NEW_SECRET}, {OLD_SECRET}"));
        let config = load(&vars).unwrap();
        let secrets: Vec<&str> = config.secret_strings().collect();
        assert_eq!(secrets, [NEW_SECRET, OLD_SECRET]);
        vars.insert("AUTH0_SECRET", format!("{NEW_SECRET},"));
        assert!(load(&vars).is_err());
    }

    #[test]
    fn published_and_weak_secrets_are_refused_by_name() {
        let mut vars = valid();
        for weak in [
            "replace-me-with-the-output-of-openssl-rand-hex-32".to_owned(),
            "a".repeat(40),
            format!("{NEW_SECRET},{}", "ab".repeat(20)),
        ] {
            vars.insert("AUTH0_SECRET", weak.clone());
            match load(&vars) {
                Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, "AUTH0_SECRET"),
                other => panic!("{weak}: {other:?}"),
            }
        }
    }

    #[test]
    fn plain_http_is_for_loopback_unless_explicitly_allowed() {
        let mut vars = valid();
        for loopback in [
            "http://localhost:8080",
            "http://127.0.0.1:8080",
            "http://app.localhost",
        ] {
            vars.insert("AUTH0_BASE_URL", loopback.into());
            assert!(load(&vars).is_ok(), "{loopback}");
        }
        vars.insert("AUTH0_BASE_URL", "http://app.example.com".into());
        match load(&vars) {
            Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, "AUTH0_BASE_URL"),
            other => panic!("{other:?}"),
        }
        vars.insert("ALLOW_INSECURE_HTTP", "true".into());
        assert!(load(&vars).is_ok());
        vars.insert("AUTH0_BASE_URL", "https://app.example.com".into());
        vars.remove("ALLOW_INSECURE_HTTP");
        assert!(load(&vars).is_ok());
        // The compose file's published secret is for loopback only.
        vars.insert(
            "AUTH0_SECRET",
            "dev-only-secret-for-docker-compose-do-not-use-in-production".into(),
        );
        assert!(load(&vars).is_err());
    }

    #[test]
    fn a_bare_issuer_host_means_https() {
        let issuer = IssuerSetting::parse("tenant.us.auth0.com").unwrap();
        assert_eq!(issuer.as_str(), "https://tenant.us.auth0.com");
        assert_eq!(
            issuer.discovery_url(),
            "https://tenant.us.auth0.com/.well-known/openid-configuration"
        );
    }

    #[test]
    fn plain_http_issuers_are_only_for_loopback() {
        assert!(IssuerSetting::parse("http://127.0.0.1:4000").is_ok());
        assert!(IssuerSetting::parse("http://localhost:4000").is_ok());
        assert!(IssuerSetting::parse("http://idp.example.com").is_err());
        assert!(IssuerSetting::parse("ftp://idp.example.com").is_err());
    }

    #[test]
    fn discovered_issuer_must_match_but_for_one_trailing_slash() {
        let issuer = IssuerSetting::parse("https://t.auth0.com").unwrap();
        assert!(issuer.accepts_discovered("https://t.auth0.com/"));
        assert!(issuer.accepts_discovered("https://t.auth0.com"));
        assert!(!issuer.accepts_discovered("https://t.auth0.com//"));
        assert!(!issuer.accepts_discovered("https://T.auth0.com/"));
        assert!(!issuer.accepts_discovered("https://evil.com/"));
        let with_path = IssuerSetting::parse("https://idp.example/realms/a/").unwrap();
        assert!(with_path.accepts_discovered("https://idp.example/realms/a"));
        assert!(!with_path.accepts_discovered("https://idp.example/realms/ab"));
    }

    #[test]
    fn base_url_must_be_a_bare_origin() {
        assert!(BaseUrl::parse("https://app.example.com").is_ok());
        assert!(BaseUrl::parse("https://app.example.com/").is_ok());
        assert!(BaseUrl::parse("https://app.example.com/app").is_err());
        assert!(BaseUrl::parse("https://user:pw@app.example.com").is_err());
        assert!(BaseUrl::parse("javascript:alert(1)").is_err());
        assert!(BaseUrl::parse("app.example.com").is_err());
        let url = BaseUrl::parse("https://app.example.com").unwrap();
        assert_eq!(url.origin(), "https://app.example.com");
        assert!(url.is_https());
    }

    #[test]
    fn durations_accept_units() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("45s").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("12h").unwrap(), Duration::from_secs(43_200));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_secs(604_800));
        assert_eq!(
            parse_duration("1h 30m").unwrap(),
            Duration::from_secs(5_400)
        );
        assert!(parse_duration("7x").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1d").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn idle_timeout_cannot_exceed_absolute_timeout() {
        let mut vars = valid();
        vars.insert("SESSION_IDLE_TIMEOUT", "8d".into());
        assert!(matches!(
            load(&vars).unwrap_err(),
            ConfigError::Invalid {
                name: "SESSION_IDLE_TIMEOUT",
                ..
            }
        ));
    }

    #[test]
    fn a_huge_session_timeout_is_a_named_configuration_error() {
        let huge = "18446744073709551615"; // seconds: u64::MAX
        for (huge_ones, named) in [
            (
                &["SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_TIMEOUT"][..],
                "SESSION_IDLE_TIMEOUT",
            ),
            (&["SESSION_ABSOLUTE_TIMEOUT"][..], "SESSION_ABSOLUTE_TIMEOUT"),
        ] {
            let mut vars = valid();
            for name in huge_ones {
                vars.insert(name, huge.into());
            }
            let error = load(&vars).unwrap_err();
            assert!(
                matches!(error, ConfigError::Invalid { name, .. } if name == named),
                "{error}"
            );
        }
        let mut vars = valid();
        vars.insert("SESSION_IDLE_TIMEOUT", "3650d".into());
        vars.insert("SESSION_ABSOLUTE_TIMEOUT", "3650d".into());
        assert!(load(&vars).is_ok(), "ten years is still accepted");
    }

    #[test]
    fn the_development_secret_needs_a_loopback_origin_and_listening_address() {
        let dev = "dev-only-secret-for-docker-compose-do-not-use-in-production";
        let mut vars = valid();
        vars.insert("AUTH0_SECRET", dev.into());
        assert!(load(&vars).is_ok(), "localhost, listening on 127.0.0.1");
        vars.insert("LISTEN_ADDR", "0.0.0.0:8080".into());
        assert!(matches!(
            load(&vars).unwrap_err(),
            ConfigError::Invalid {
                name: "AUTH0_SECRET",
                ..
            }
        ));
        vars.insert("PUBLISHED_ON_LOOPBACK_ONLY", "true".into());
        assert!(load(&vars).is_ok(), "a container published on loopback only");
        vars.insert("AUTH0_BASE_URL", "https://app.example.com".into());
        assert!(load(&vars).is_err(), "a public origin, whatever is said");
    }

    #[test]
    fn openid_scope_is_always_requested() {
        let mut vars = valid();
        vars.insert("AUTH0_SCOPE", "profile email offline_access".into());
        let config = load(&vars).unwrap();
        assert_eq!(
            config.scopes,
            ["openid", "profile", "email", "offline_access"]
        );
    }

    #[test]
    fn only_asymmetric_signing_algorithms_are_accepted() {
        let mut vars = valid();
        assert_eq!(load(&vars).unwrap().id_token_algs, ["RS256"]);
        vars.insert("ID_TOKEN_SIGNING_ALGS", "RS256, ES256".into());
        assert_eq!(load(&vars).unwrap().id_token_algs, ["RS256", "ES256"]);
        for bad in ["HS256", "none", "RS256,HS512"] {
            vars.insert("ID_TOKEN_SIGNING_ALGS", bad.into());
            assert!(load(&vars).is_err(), "{bad}");
        }
    }

    #[test]
    fn refresh_tokens_ask_for_offline_access() {
        let mut vars = valid();
        assert!(!load(&vars).unwrap().refresh_tokens);
        vars.insert("AUTH0_REFRESH_TOKENS", "true".into());
        let config = load(&vars).unwrap();
        assert!(config.refresh_tokens);
        assert_eq!(
            config.scopes,
            ["openid", "profile", "email", "offline_access"]
        );
        vars.insert("AUTH0_REFRESH_TOKENS", "maybe".into());
        assert!(load(&vars).is_err());
    }

    #[test]
    fn proxy_upstreams_are_an_allow_list_of_named_base_urls() {
        let parsed = parse_upstreams(Some(
            "echo=http://127.0.0.1:9000/v1/, api=https://api.example.com",
        ))
        .unwrap();
        assert_eq!(parsed[0].name, "echo");
        assert_eq!(parsed[0].base.as_str(), "http://127.0.0.1:9000/v1");
        assert_eq!(parsed[1].base.as_str(), "https://api.example.com/");
        for bad in [
            "noequals",
            "Bad=https://x.example",
            "a=http://x.example",
            "a=https://user:pw@x.example",
            "a=https://x.example/?q=1",
            "a=https://x.example,a=https://y.example",
            "a=ftp://x.example",
        ] {
            assert!(parse_upstreams(Some(bad)).is_err(), "{bad}");
        }
        assert!(parse_upstreams(None).unwrap().is_empty());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = load(&valid()).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains(&"a".repeat(32)));
        assert!(!debug.contains("postgres://localhost/db"));
    }
}

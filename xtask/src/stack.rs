//! The local stack's fixed values: the dev provider's defaults (`devidp/config.js`), the
//! ports of `cargo xtask dev` and `docker compose`, and the backend's configuration variables.

/// `DEVIDP_CLIENT_ID` default: the provider's one confidential client.
pub const DEVIDP_CLIENT_ID: &str = "bff-dev";
/// `DEVIDP_CLIENT_SECRET` default. A dev-only value, public on purpose.
pub const DEVIDP_CLIENT_SECRET: &str = "dev-client-secret-change-me";

/// `DEVIDP_API_AUDIENCE` default: the dev provider's API resource. The local stack asks for
/// access tokens for it (`AUTH0_AUDIENCE`), so dev users get their permissions.
pub const DEVIDP_API_AUDIENCE: &str = "http://localhost:8080/api";

/// Port of the dev provider in `cargo xtask dev` and Compose.
pub const DEV_IDP_PORT: u16 = 4000;
/// Port of the backend in `cargo xtask dev` and Compose.
pub const DEV_APP_PORT: u16 = 8080;
/// Port of `trunk serve` (`frontend/Trunk.toml`).
pub const DEV_TRUNK_PORT: u16 = 8081;
/// The database `cargo xtask dev` creates on a local server.
pub const DEV_DATABASE: &str = "bff_dev";

/// Every variable the backend reads (`ferris-login/src/config.rs`, `ferris-login/src/telemetry.rs`).
/// `.env.example` documents each one (checked by `xtask/tests/env_example.rs`); the e2e run
/// clears them all before setting its own, so a developer's shell cannot leak into it.
pub const BACKEND_ENV_VARS: &[&str] = &[
    "AUTH0_SECRET",
    "AUTH0_BASE_URL",
    "APP_BASE_URL",
    "AUTH0_DOMAIN",
    "AUTH0_LOGOUT_STRATEGY",
    "ALLOW_INSECURE_HTTP",
    "AUTH0_ISSUER_BASE_URL",
    "AUTH0_CLIENT_ID",
    "AUTH0_CLIENT_SECRET",
    "AUTH0_TOKEN_ENDPOINT_AUTH_METHOD",
    "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
    "AUTH0_CLIENT_ASSERTION_SIGNING_ALG",
    "AUTH0_PUSHED_AUTHORIZATION_REQUESTS",
    "AUTH0_AUDIENCE",
    "AUTH0_SCOPE",
    "AUTH0_ROLES_CLAIM",
    "AUTH0_REFRESH_TOKENS",
    "TOKEN_REFRESH_BUFFER",
    "API_PROXY_UPSTREAMS",
    "DATABASE_URL",
    "DATABASE_MAX_CONNECTIONS",
    "LISTEN_ADDR",
    "FRONTEND_DIST",
    "SESSION_IDLE_TIMEOUT",
    "SESSION_ABSOLUTE_TIMEOUT",
    "SESSION_SWEEP_INTERVAL",
    "ID_TOKEN_LEEWAY",
    "ID_TOKEN_SIGNING_ALGS",
    "OIDC_HTTP_TIMEOUT",
    "SESSION_CACHE",
    "SESSION_CACHE_MAX_ENTRIES",
    "SESSION_CACHE_MAX_MB",
    "SESSION_STORE",
    "SESSION_REDIS_URL",
    "SESSION_REDIS_PREFIX",
    "TRUSTED_PROXIES",
    "RATE_LIMIT_PER_MINUTE",
    "METRICS_ADDR",
    "SHUTDOWN_DRAIN",
    "DATABASE_DIRECT_URL",
    "PUBLISHED_ON_LOOPBACK_ONLY",
    "RUST_LOG",
    "LOG_FORMAT",
];

/// The variables without which the backend refuses to start (DESIGN.md).
pub const REQUIRED_BACKEND_ENV_VARS: &[&str] = &[
    "AUTH0_SECRET",
    "AUTH0_BASE_URL",
    "AUTH0_ISSUER_BASE_URL",
    "AUTH0_CLIENT_ID",
    "AUTH0_CLIENT_SECRET",
    "DATABASE_URL",
];

/// The minimum length of `AUTH0_SECRET` (`backend::config::MIN_SECRET_LEN`).
pub const MIN_SECRET_LEN: usize = 32;

/// The dev provider's URIs for an app at `base` (an origin such as `http://localhost:8080`).
pub struct ClientUris {
    pub redirect: String,
    pub post_logout: String,
    pub backchannel: String,
}

impl ClientUris {
    pub fn for_app(base: &str, backchannel_base: &str) -> Self {
        Self {
            redirect: format!("{base}/api/auth/callback"),
            post_logout: format!("{base}/"),
            backchannel: format!("{backchannel_base}/api/auth/backchannel-logout"),
        }
    }
}

//! What every handler shares, built once at start-up.

use std::sync::Arc;

use openidconnect::core::CoreJwsSigningAlgorithm;
use sqlx::PgPool;

use crate::{
    auth::transaction::TransactionCookies, clock::SharedClock, config::Config, crypto::Keyring,
    oidc::ProviderHandle, session::Sessions,
};

pub struct AppState {
    pub config: Arc<Config>,
    pub keys: Arc<Keyring>,
    pub provider: Arc<ProviderHandle>,
    pub pool: PgPool,
    pub sessions: Sessions,
    pub clock: SharedClock,
    pub txn_cookies: TransactionCookies,
    /// ID token signing algorithms we accept (never `none`, never HMAC).
    pub allowed_algs: Vec<CoreJwsSigningAlgorithm>,
    /// The client for downstream APIs (`/api/proxy`).
    pub api_client: reqwest::Client,
    /// The app's hooks on a login and on every session write.
    pub hooks: crate::hooks::Hooks,
}

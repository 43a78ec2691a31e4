//! [`AuthBuilder`]: the options, [`build`](AuthBuilder::build) (no I/O: it only assembles),
//! and [`Auth::start`] (the one call that talks to the database and the provider, and starts
//! the background tasks). [`StartError`] says what went wrong, by name.

#[cfg(feature = "prometheus")]
use std::net::TcpListener;
use std::{future::Future, sync::Arc};

#[cfg(feature = "prometheus")]
use crate::metrics;

use actix_web::web;
use openidconnect::core::CoreJwsSigningAlgorithm;
use sqlx::{migrate::Migrator, PgPool};
use tokio::sync::Mutex;

use crate::{
    auth::transaction::TransactionCookies,
    clock::{SharedClock, SystemClock},
    config::{Config, ConfigError, StoreChoice},
    crypto::Keyring,
    database::{self, database_options, direct_options, pool_options, LIBRARY_MIGRATIONS},
    hooks::{Hooks, Login, Refusal, SessionUpdate},
    oidc::{
        client_auth::ClientCredentials, http::ProviderHttp, provider::DiscoveryError,
        ProviderHandle,
    },
    rate_limit::RateLimits,
    security_headers::SecurityHeaders,
    server::{Auth, Inner},
    session::{
        ActixSessionStore, CacheSettings, CachedStore, MemoryStore, PostgresStore, Refresher,
        SessionCookieConfig, Sessions, Store, Timeouts,
    },
    shutdown::Draining,
    spa::Spa,
    state::AppState,
    sweeper,
};

/// Why the login layer could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is invalid (names the variable).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be reached, or its URL is malformed.
    #[error("database ({what}): {source}")]
    Database {
        /// What was being done (or the variable at fault).
        what: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// This crate's (or the app's) migrations failed.
    #[error("running database migrations: {0}")]
    Migrations(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The metrics listener could not bind `METRICS_ADDR`.
    #[error("binding METRICS_ADDR {addr}: {source}")]
    Metrics {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The provider was reached but cannot serve this configuration (PAR required and not
    /// offered, a client authentication method or algorithm it does not list).
    #[error("identity provider: {0}")]
    Provider(String),
    /// Something else in setting up (an HTTP client, say).
    #[error("{0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StartError {
    pub(crate) fn database(
        what: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StartError::Database {
            what,
            source: source.into(),
        }
    }
}

///
/// ```no_run
/// use ferris_login::{Auth, Config, Login, Refusal};
///
/// # async fn run() -> anyhow::Result<()> {
/// let auth = Auth::builder(Config::from_env()?)
///     .after_callback(|login: Login| async move {
///         match login.claim("email_verified").and_then(|v| v.as_bool()) {
///             Some(true) => Ok(login),
///             _ => Err(Refusal::new("email_not_verified")),
///         }
///     })
///     .build()?;
/// auth.start().await?;
/// # Ok(())
/// # }
/// ```
pub struct AuthBuilder {
    config: Config,
    clock: SharedClock,
    hooks: Hooks,
    admin_routes: bool,
    pool: Option<PgPool>,
    store: Option<Arc<dyn Store>>,
}

impl std::fmt::Debug for AuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthBuilder")
            .field("api_prefix", &self.config.api_prefix)
            .field("hooks", &self.hooks)
            .field("admin_routes", &self.admin_routes)
            .finish_non_exhaustive()
    }
}

impl AuthBuilder {
    /// The clock sessions and tokens are timed by (tests pass a
    /// [`ManualClock`](crate::clock::ManualClock)).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where [`Auth::api`] mounts: `/api` by default, so the auth routes are `/api/auth/login`
    /// and so on. The provider's callback follows (`AUTH0_BASE_URL` + prefix +
    /// `/auth/callback`). A path of lowercase letters, digits, `-`, `_` and `/`, starting
    /// with `/`, without a trailing `/`.
    pub fn api_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.api_prefix = prefix.into();
        self
    }

    /// Keep sessions in the app's own pool instead of opening one from `DATABASE_URL` (which
    /// then only serves the migrations and, with the cache on, the `LISTEN` connection; see
    /// `DATABASE_DIRECT_URL`). Give it a `statement_timeout`: a stuck database should turn
    /// into 503s, not requests that hang.
    pub fn pool(mut self, pool: PgPool) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Keep sessions in `store` instead of the one the configuration names (`SESSION_STORE`):
    /// a [`MemoryStore`](crate::store::MemoryStore) for tests or a single process, a
    /// [`CachedStore`](crate::store::CachedStore) over a store of your own, or any
    /// [`Store`]. It is used as given (wrap it in a `CachedStore` to cache it).
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Also mount the administration routes (`/api/admin/sessions`, revoke a user's
    /// sessions), for users with the `admin` role. Off by default.
    ///
    /// The role is the one the session holds: read from the ID token at login, and replaced
    /// only when a refresh brings new tokens. With refresh off (`AUTH0_REFRESH_TOKENS`, off by
    /// default), **an admin demoted at the provider keeps `/api/admin` for the rest of that
    /// session's life** (up to `SESSION_ABSOLUTE_TIMEOUT`). To take it away sooner, turn refresh
    /// on (roles follow at the next refresh), or end their sessions
    /// (`POST /api/admin/users/{id}/revoke-sessions`, or back-channel logout from the provider).
    pub fn admin_routes(mut self, on: bool) -> Self {
        self.admin_routes = on;
        self
    }

    /// Runs after the provider's tokens are verified and before the session exists: inspect
    /// the claims, add custom claims to [`Login::user_mut`], or refuse the login with a
    /// [`Refusal`] (the SPA shows `login_refused` and the reason).
    pub fn after_callback<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Login) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Login, Refusal>> + Send + 'static,
    {
        self.hooks.set_after_callback(hook);
        self
    }

    /// Runs each time a session is written from the provider's tokens, at login (after
    /// [`after_callback`](Self::after_callback)) and after a refresh: the last word on the
    /// user that is stored.
    pub fn before_session_saved(
        mut self,
        hook: impl Fn(&mut SessionUpdate<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.set_before_session_saved(hook);
        self
    }

    /// Assembles the login layer: **no I/O** (no connection opened, nothing spawned; the
    /// built SPA's `index.html` is read from `FRONTEND_DIST`, if there). Without
    /// [`pool`](Self::pool), the pool connects lazily to `DATABASE_URL`. Then call
    /// [`Auth::start`] once, in your runtime, before serving.
    pub fn build(self) -> Result<Auth, StartError> {
        let AuthBuilder {
            config,
            clock,
            hooks,
            admin_routes,
            pool,
            store,
        } = self;
        config.check_api_prefix()?;
        let pool = match pool {
            Some(pool) => pool,
            None => pool_options(config.database_max_connections)
                .connect_lazy_with(database_options(&config)?),
        };
        let config = Arc::new(config);
        let http = || ProviderHttp::new(config.http_timeout).map_err(|e| StartError::Other(e.into()));
        let provider = Arc::new(ProviderHandle::new(config.clone(), http()?));
        let keys = Arc::new(Keyring::from_secrets(config.secret_strings()));
        let store = match store {
            Some(store) => store,
            None => configured_store(&config, &pool)?,
        };
        let sessions = Sessions::new(
            store,
            clock.clone(),
            keys.clone(),
            Timeouts {
                idle: config.session_idle_timeout,
                absolute: config.session_absolute_timeout,
            },
        );
        let allowed_algs = config
            .id_token_algs
            .iter()
            .map(|a| serde_json::from_value(serde_json::Value::String(a.clone())))
            .collect::<Result<Vec<CoreJwsSigningAlgorithm>, _>>()
            .map_err(|_| {
                StartError::Config(ConfigError::Invalid {
                    name: "ID_TOKEN_SIGNING_ALGS",
                    reason: "names an algorithm this build does not know".into(),
                })
            })?;
        let https = config.base_url.is_https();
        let spa = Spa::load(&config.frontend_dist);
        let issuer_origin = url::Url::parse(config.issuer.as_str())
            .ok()
            .map(|u| u.origin().ascii_serialization());
        let headers = web::Data::new(SecurityHeaders::new(
            &spa.script_hashes,
            issuer_origin.as_deref(),
            https,
            &config.api_prefix,
        ));
        let refresher = web::Data::new(Refresher::new(
            config.clone(),
            provider.clone(),
            sessions.clone(),
            clock.clone(),
            allowed_algs.clone(),
            hooks.clone(),
        ));
        let state = web::Data::new(AppState {
            config: config.clone(),
            keys: keys.clone(),
            provider,
            pool,
            sessions: sessions.clone(),
            clock,
            txn_cookies: TransactionCookies::new(https),
            allowed_algs,
            // The same settings as for the provider: redirects off, timeouts on.
            api_client: http()?.inner().clone(),
            hooks,
        });
        let session_cookie = web::Data::new(SessionCookieConfig::new(
            &keys,
            https,
            config.session_absolute_timeout,
        ));
        Ok(Auth {
            inner: Arc::new(Inner {
                store: ActixSessionStore::new(sessions.clone()),
                limits: RateLimits::new(config.rate_limit_per_minute, &config.trusted_proxies),
                sessions: web::Data::new(sessions),
                timed: config.metrics_addr.is_some(),
                config,
                state,
                headers,
                session_cookie,
                refresher,
                draining: web::Data::new(Draining::default()),
                spa,
                admin_routes,
                started: Mutex::new(false),
                metrics: Mutex::new(None),
                metrics_port: std::sync::OnceLock::new(),
                background: Mutex::new(Vec::new()),
            }),
        })
    }
}

impl Auth {
    /// Reads the configuration from the environment (and `.env`), [`build`](AuthBuilder::build)s
    /// with the defaults and [`start`](Self::start)s.
    pub async fn from_env() -> Result<Self, StartError> {
        let auth = Self::builder(Config::from_env()?).build()?;
        auth.start().await?;
        Ok(auth)
    }

    /// Options before [`build`](AuthBuilder::build): the app's pool, hooks, clock, prefix,
    /// admin routes.
    pub fn builder(config: Config) -> AuthBuilder {
        AuthBuilder {
            config,
            clock: Arc::new(SystemClock),
            hooks: Hooks::default(),
            admin_routes: false,
            pool: None,
            store: None,
        }
    }

    /// **The one call that does I/O**, once, before serving (later calls do nothing):
    /// - applies this crate's migrations (on `DATABASE_DIRECT_URL`, else `DATABASE_URL`);
    /// - discovers the provider (one that is down is only a warning: logins retry);
    /// - starts the background tasks: the sweeper of expired rows, the session cache's
    ///   change feed (with the cache on: PostgreSQL `LISTEN` or Redis pub/sub), the metrics listener (with
    ///   `METRICS_ADDR`), all stopped by [`close`](Self::close).
    ///
    /// Call it inside the runtime that serves (it spawns tasks there).
    pub async fn start(&self) -> Result<(), StartError> {
        let inner = &self.inner;
        let mut started = inner.started.lock().await;
        if *started {
            return Ok(());
        }
        let config = &inner.config;
        database::run_migrations(config, &LIBRARY_MIGRATIONS).await?;
        if let ClientCredentials::PrivateKeyJwt(key) = &config.client_credentials {
            tracing::info!(
                kid = key.kid(),
                alg = key.alg().as_str(),
                public_jwk = %key.public_jwk(),
                "client assertions (private_key_jwt) are signed with this key; the provider must know its public JWK"
            );
        }
        match inner.state.provider.get().await {
            Ok(provider) => tracing::info!(
                client_auth = provider.client_auth.method().as_str(),
                pushed_authorization_requests = provider.par_endpoint.is_some(),
                "identity provider ready"
            ),
            // What the configuration asks and the provider cannot do is refused now, not at
            // the first login.
            Err(DiscoveryError::Incompatible(why)) => return Err(StartError::Provider(why)),
            Err(err) => tracing::warn!(
                error = %err,
                "starting without the identity provider; logins will retry discovery"
            ),
        }
        let sessions = inner.sessions.get_ref().clone();
        let pool = inner.state.pool.clone();
        #[cfg(feature = "prometheus")]
        self.start_metrics(&sessions, &pool).await?;
        let mut background = inner.background.lock().await;
        background.push(tokio::spawn(sweeper::run(
            sessions,
            pool,
            inner.state.clock.clone(),
            config.sweep_interval,
        )));
        let store = inner.sessions.store();
        if let Some(cache) = store.cache() {
            // PostgreSQL: its own connection, outside the request pool, and direct (`LISTEN`
            // needs a session); Redis: its own pub/sub connection.
            match store.change_feed(cache.clone()) {
                Some(feed) => background.push(tokio::spawn(feed)),
                None => tracing::warn!(
                    store = store.kind(),
                    "the session cache has no change feed over this store: it stays bypassed"
                ),
            }
        }
        *started = true;
        Ok(())
    }

    /// The metrics listener, with `METRICS_ADDR`.
    #[cfg(feature = "prometheus")]
    async fn start_metrics(&self, sessions: &Sessions, pool: &PgPool) -> Result<(), StartError> {
        let inner = &self.inner;
        let config = &inner.config;
        if let Some(addr) = config.metrics_addr {
            let listener =
                TcpListener::bind(addr).map_err(|source| StartError::Metrics { addr, source })?;
            let port = listener
                .local_addr()
                .map_err(|source| StartError::Metrics { addr, source })?
                .port();
            let sources = metrics::Sources {
                sessions: sessions.clone(),
                pool: pool.clone(),
                refresher: inner.refresher.clone().into_inner(),
            };
            let server = metrics::server(listener, sources)
                .map_err(|source| StartError::Metrics { addr, source })?;
            let _ = inner.metrics_port.set(port);
            *inner.metrics.lock().await = Some(server);
        }
        Ok(())
    }

    /// Applies your app's own migrations (for example `sqlx::migrate!("./migrations")`) on the
    /// direct connection, beside this crate's. Both share sqlx's table, so each leaves the
    /// other's versions alone: keep your version numbers apart from ours (ours are dates in
    /// 2026, `20261127…` and later).
    pub async fn migrate(&self, migrations: &Migrator) -> Result<(), StartError> {
        database::run_migrations(&self.inner.config, migrations).await
    }
}

/// The store `SESSION_STORE` names, under the cache unless `SESSION_CACHE=off`.
fn configured_store(config: &Config, pool: &PgPool) -> Result<Arc<dyn Store>, StartError> {
    fn cached<S: Store>(store: S, cache: Option<CacheSettings>) -> Arc<dyn Store> {
        match cache {
            Some(settings) => Arc::new(CachedStore::new(store, settings)),
            None => Arc::new(store),
        }
    }
    Ok(match &config.session_store {
        StoreChoice::Postgres => cached(
            PostgresStore::new(pool.clone()).listening_on(direct_options(config)?),
            config.session_cache,
        ),
        StoreChoice::Memory => Arc::new(MemoryStore::new()),
        #[cfg(feature = "redis")]
        StoreChoice::Redis { url, prefix } => cached(
            crate::store::RedisStore::new(secrecy::ExposeSecret::expose_secret(url), prefix).map_err(|e| {
                StartError::Config(ConfigError::Invalid {
                    name: "SESSION_REDIS_URL",
                    reason: e.to_string(),
                })
            })?,
            config.session_cache,
        ),
        #[cfg(not(feature = "redis"))]
        StoreChoice::Redis { .. } => {
            return Err(StartError::Config(ConfigError::Invalid {
                name: "SESSION_STORE",
                reason: "redis needs ferris-login's `redis` feature, which this build lacks".into(),
            }))
        }
    })
}

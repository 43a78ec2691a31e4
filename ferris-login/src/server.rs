//! [`Auth`]: start-up (database, migrations, provider discovery, background tasks), the
//! routes it mounts into your app, and a clean shutdown. Configuration is read and checked
//! once, before any of it ([`Config`]).

use std::{future::Future, net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    body::MessageBody,
    dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::{from_fn, Condition},
    web, Error, Scope,
};
use anyhow::Context;
use openidconnect::core::CoreJwsSigningAlgorithm;
use secrecy::{ExposeSecret, SecretString};
use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgConnection, PgPool,
};
use tokio::{sync::Mutex, task::JoinHandle};

use crate::{
    admin,
    auth::{self, csrf, transaction::TransactionCookies},
    clock::{SharedClock, SystemClock},
    config::Config,
    crypto::Keyring,
    error::{json_errors, ApiError},
    health,
    hooks::{Hooks, Login, Refusal, SessionUpdate},
    metrics,
    oidc::{http::ProviderHttp, ProviderHandle},
    proxy,
    rate_limit::RateLimits,
    security_headers::{add_security_headers, SecurityHeaders},
    session::{
        cookie::guard_session_cookie, invalidation, PgSessionStore, Refresher, SessionCache,
        SessionCookieConfig, Sessions, Timeouts,
    },
    shutdown::{self, Draining},
    spa::Spa,
    state::AppState,
    sweeper,
};

/// Sets up login for an app: [`Auth::from_env`] for the defaults, [`Auth::builder`] for
/// hooks, a clock or a different route prefix.
///
/// Cheap to clone (one shared state): clone it into the `HttpServer::new` closure and call
/// [`Auth::api`] and [`Auth::spa`] there, once per worker.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<Config>,
    state: web::Data<AppState>,
    headers: web::Data<SecurityHeaders>,
    session_cookie: web::Data<SessionCookieConfig>,
    sessions: web::Data<Sessions>,
    refresher: web::Data<Refresher>,
    draining: web::Data<Draining>,
    store: PgSessionStore,
    limits: RateLimits,
    spa: Spa,
    admin_routes: bool,
    timed: bool,
    metrics: Mutex<Option<(u16, Server)>>,
    metrics_port: Option<u16>,
    background: Mutex<Vec<JoinHandle<()>>>,
}

/// Options for [`Auth`], from [`Auth::builder`].
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
///     .build()
///     .await?;
/// # Ok(())
/// # }
/// ```
pub struct AuthBuilder {
    config: Config,
    clock: SharedClock,
    hooks: Hooks,
    admin_routes: bool,
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

    /// Connects to the database, applies this crate's migrations, discovers the provider
    /// (a provider that is down is retried at the first login), and starts the background
    /// tasks: the sweeper, the cache's invalidation listener, the metrics listener.
    pub async fn build(self) -> anyhow::Result<Auth> {
        let AuthBuilder {
            config,
            clock,
            hooks,
            admin_routes,
        } = self;
        config.check_api_prefix()?;
        let pool = pool_options(config.database_max_connections)
            .connect_with(database_options(&config)?)
            .await
            .context("connecting to DATABASE_URL")?;
        run_migrations(&config, &LIBRARY_MIGRATIONS).await?;

        let config = Arc::new(config);
        let provider = Arc::new(ProviderHandle::new(
            config.clone(),
            ProviderHttp::new(config.http_timeout)?,
        ));
        if let Err(err) = provider.get().await {
            tracing::warn!(
                error = %err,
                "starting without the identity provider; logins will retry discovery"
            );
        }

        let keys = Arc::new(Keyring::from_secrets(config.secret_strings()));
        let cache = Arc::new(match config.session_cache {
            Some(settings) => SessionCache::new(settings),
            None => SessionCache::disabled(),
        });
        let sessions = Sessions::new(
            pool.clone(),
            clock.clone(),
            keys.clone(),
            Timeouts {
                idle: config.session_idle_timeout,
                absolute: config.session_absolute_timeout,
            },
            cache.clone(),
        );
        let allowed_algs = config
            .id_token_algs
            .iter()
            .map(|a| serde_json::from_value(serde_json::Value::String(a.clone())))
            .collect::<Result<Vec<CoreJwsSigningAlgorithm>, _>>()
            .context("ID_TOKEN_SIGNING_ALGS")?;
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
            pool: pool.clone(),
            sessions: sessions.clone(),
            clock: clock.clone(),
            txn_cookies: TransactionCookies::new(https),
            allowed_algs,
            // The same settings as for the provider: redirects off, timeouts on.
            api_client: ProviderHttp::new(config.http_timeout)?.inner().clone(),
            hooks,
        });

        let metrics = match config.metrics_addr {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .with_context(|| format!("binding METRICS_ADDR {addr}"))?;
                let metrics_port = listener.local_addr()?.port();
                let sources = metrics::Sources {
                    sessions: sessions.clone(),
                    pool: pool.clone(),
                    refresher: refresher.clone().into_inner(),
                };
                Some((metrics_port, metrics::server(listener, sources)?))
            }
            None => None,
        };
        let session_cookie = web::Data::new(SessionCookieConfig::new(
            &keys,
            https,
            config.session_absolute_timeout,
        ));

        let mut background = vec![tokio::spawn(sweeper::run(
            sessions.clone(),
            pool.clone(),
            clock,
            config.sweep_interval,
        ))];
        if cache.is_enabled() {
            // Its own connection, outside the request pool, and direct: `LISTEN` needs a
            // session.
            let options = invalidation::listener_options(direct_options(&config)?);
            background.push(tokio::spawn(invalidation::run(options, cache)));
        }
        Ok(Auth {
            inner: Arc::new(Inner {
                store: PgSessionStore::new(sessions.clone()),
                limits: RateLimits::new(config.rate_limit_per_minute, &config.trusted_proxies),
                sessions: web::Data::new(sessions),
                config,
                state,
                headers,
                session_cookie,
                refresher,
                draining: web::Data::new(Draining::default()),
                spa,
                admin_routes,
                timed: metrics.is_some(),
                metrics_port: metrics.as_ref().map(|(port, _)| *port),
                metrics: Mutex::new(metrics),
                background: Mutex::new(background),
            }),
        })
    }
}

impl Auth {
    /// Reads the configuration from the environment (and `.env`), then
    /// [`build`](AuthBuilder::build)s with the defaults.
    pub async fn from_env() -> anyhow::Result<Self> {
        Self::builder(Config::from_env()?).build().await
    }

    /// Options before [`build`](AuthBuilder::build): hooks, clock, prefix, admin routes.
    pub fn builder(config: Config) -> AuthBuilder {
        AuthBuilder {
            config,
            clock: Arc::new(SystemClock),
            hooks: Hooks::default(),
            admin_routes: false,
        }
    }

    /// The clock sessions are timed by, for your own timestamps.
    pub fn clock(&self) -> SharedClock {
        self.inner.state.clock.clone()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The database pool (the same one sessions use), for your own queries.
    pub fn pool(&self) -> &PgPool {
        &self.inner.state.pool
    }

    /// Applies your app's own migrations (for example `sqlx::migrate!("./migrations")`) on the
    /// direct connection, beside this crate's. Both share sqlx's table, so each leaves the
    /// other's versions alone: keep your version numbers apart from ours (ours are dates in
    /// 2026, `20261127…` and later).
    pub async fn migrate(&self, migrations: &Migrator) -> anyhow::Result<()> {
        run_migrations(&self.inner.config, migrations).await
    }

    /// The metrics listener's port, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.inner.metrics_port
    }

    /// Everything under the API prefix (`/api`): the auth routes (`/api/auth/login`,
    /// `callback`, `logout`, `me`, `session`, `sessions`, `backchannel-logout`), the proxy to
    /// `UPSTREAM_APIS` when configured and the admin routes when enabled. Add **your routes**
    /// to the scope it returns (`.route(...)`, `.service(...)`, `.configure(...)`), relative to
    /// the prefix.
    ///
    /// All of it runs behind the session, the anti-forgery check (`X-CSRF: 1` on every call
    /// but the browser navigations to login, callback and logout), JSON errors and the
    /// security headers; an unknown path is a 404 JSON.
    pub fn api(
        &self,
    ) -> Scope<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    > {
        let inner = &self.inner;
        let limits = &inner.limits;
        let admin_routes = inner.admin_routes;
        let proxy = !inner.config.upstreams.is_empty();
        self.with_data(web::scope(&inner.config.api_prefix))
            .app_data(web::PayloadConfig::new(64 * 1024))
            .app_data(web::JsonConfig::default().limit(16 * 1024))
            .app_data(web::FormConfig::default().limit(64 * 1024))
            .wrap(inner.session_cookie.middleware(inner.store.clone()))
            .wrap(from_fn(guard_session_cookie))
            .wrap(from_fn(csrf::require_same_origin))
            .wrap(Condition::new(inner.timed, from_fn(metrics::time_requests)))
            .wrap(from_fn(shutdown::close_connections_while_draining))
            .wrap(from_fn(json_errors))
            .wrap(from_fn(add_security_headers))
            .configure(|cfg| auth::configure(cfg, limits))
            .configure(|cfg| {
                if admin_routes {
                    admin::configure(cfg);
                }
                if proxy {
                    proxy::configure(cfg);
                }
            })
            .default_service(web::to(|| async { Err::<&str, _>(ApiError::NotFound) }))
    }

    /// The rest of the site: `/healthz` (the process is up), `/readyz` (the database answers;
    /// 503 while stopping), and the built SPA from `FRONTEND_DIST` with `index.html` for every
    /// other path, so deep links work. Register it last: it answers every path.
    ///
    /// Its responses carry the security headers (a CSP that allows the SPA's inline loader by
    /// hash). After a logout with `returnTo`, the provider sends the browser to `/`, which
    /// forwards it to the remembered page.
    pub fn spa(
        &self,
    ) -> Scope<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    > {
        let spa = self.inner.spa.clone();
        self.with_data(web::scope(""))
            .wrap(from_fn(auth::logout_return::resume_after_provider_logout))
            .wrap(from_fn(shutdown::close_connections_while_draining))
            .wrap(from_fn(add_security_headers))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .configure(|cfg| spa.configure(cfg))
    }

    fn with_data<T>(&self, scope: Scope<T>) -> Scope<T>
    where
        T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
    {
        let inner = &self.inner;
        scope
            .app_data(inner.state.clone())
            .app_data(inner.headers.clone())
            .app_data(inner.session_cookie.clone())
            .app_data(inner.sessions.clone())
            .app_data(inner.refresher.clone())
            .app_data(inner.draining.clone())
    }

    /// Serves `server` (built on `listener`, with [`Auth::api`] and [`Auth::spa`]) until
    /// SIGTERM or SIGINT, then stops cleanly: new connections are refused at once, `/readyz`
    /// answers 503, keep-alive connections are closed after their response, requests in flight
    /// finish (for up to `SHUTDOWN_DRAIN` plus 5 s), then the background tasks and the pool are
    /// closed. Also serves the metrics listener, if any.
    ///
    /// Actix's own signal handling (on unless the server was built with `.disable_signals()`)
    /// also stops the server gracefully on SIGTERM; with it off, the whole sequence above is
    /// this function's, which is what the demo does.
    pub async fn serve_until_stopped(
        &self,
        server: Server,
        listener: TcpListener,
    ) -> std::io::Result<()> {
        self.serve(server, listener, shutdown::signal()).await
    }

    /// [`serve_until_stopped`](Self::serve_until_stopped), with the stop signal given.
    pub async fn serve(
        &self,
        server: Server,
        listener: TcpListener,
        stop: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let inner = &self.inner;
        let metrics = inner.metrics.lock().await.take().map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let handle = server.handle();
        let mut server = server;
        let result = tokio::select! {
            result = &mut server => result,
            () = stop => {
                inner.draining.start();
                shutdown::refuse_new_connections(&listener);
                let stop = async {
                    handle.pause().await;
                    tokio::time::sleep(inner.config.shutdown_drain).await;
                    handle.stop(true).await;
                };
                // The server future drives its own stop: keep polling it meanwhile.
                let (result, ()) = tokio::join!(&mut server, stop);
                result
            }
        };
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        self.close().await;
        tracing::info!("stopped");
        result
    }

    /// Stops the background tasks and closes the pool (what a stop ends with).
    pub async fn close(&self) {
        for task in self.inner.background.lock().await.drain(..) {
            task.abort();
        }
        self.inner.sessions.pool().close().await;
    }

    /// The app's sessions (the benchmark and tests look at its cache).
    #[doc(hidden)]
    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("base_url", &self.inner.config.base_url.origin_str())
            .field("api_prefix", &self.inner.config.api_prefix)
            .finish_non_exhaustive()
    }
}

/// This crate's tables: users, sessions, login states, logout-token ids.
static LIBRARY_MIGRATIONS: Migrator = sqlx::migrate!("../migrations");

/// Runs `migrations` on a direct connection: the migrator holds a session-level advisory lock,
/// which a transaction pooler (PgBouncer) cannot keep. Versions applied by the other migrator
/// (the library's or the app's) are left alone.
async fn run_migrations(config: &Config, migrations: &Migrator) -> anyhow::Result<()> {
    let mut direct = PgConnection::connect_with(&direct_options(config)?)
        .await
        .context("connecting to DATABASE_DIRECT_URL (or DATABASE_URL)")?;
    crate::migrations::repair_split_migration(&mut direct).await?;
    let mut migrations = Migrator {
        migrations: migrations.migrations.clone(),
        ..Migrator::DEFAULT
    };
    migrations.set_ignore_missing(true);
    migrations
        .run(&mut direct)
        .await
        .context("running database migrations")?;
    let _ = direct.close().await;
    Ok(())
}
/// No query may hold a connection longer than this (lock waits included): a stuck database
/// turns into 503s, never into requests that hang.
const STATEMENT_TIMEOUT: &str = "10s";

fn connect_options(url: &SecretString, name: &str) -> anyhow::Result<PgConnectOptions> {
    let options: PgConnectOptions = url.expose_secret().parse().context(name.to_owned())?;
    Ok(options.options([("statement_timeout", STATEMENT_TIMEOUT)]))
}

fn database_options(config: &Config) -> anyhow::Result<PgConnectOptions> {
    connect_options(&config.database_url, "DATABASE_URL")
}

/// A connection with a session of its own (`DATABASE_DIRECT_URL`, else `DATABASE_URL`).
fn direct_options(config: &Config) -> anyhow::Result<PgConnectOptions> {
    match &config.database_direct_url {
        Some(url) => connect_options(url, "DATABASE_DIRECT_URL"),
        None => database_options(config),
    }
}

/// A pooled connection idle longer than this is pinged before use; a busier one is not (sqlx
/// would otherwise add a round trip to every query). A connection that died meanwhile fails
/// its query with a 503, and the pool replaces it.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

/// The pool's settings, shared with the benchmark's baseline (so "one query" costs the same
/// there).
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// One of this crate's migrations, by version.
pub(crate) fn library_migration(version: i64) -> Option<&'static sqlx::migrate::Migration> {
    LIBRARY_MIGRATIONS.iter().find(|m| m.version == version)
}

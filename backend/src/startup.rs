//! Builds the application: database, migrations, provider discovery, the HTTP server with its
//! middleware and routes. Binds its own listener, or runs on one the caller bound (tests).

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    dev::Server,
    middleware::{from_fn, Compress, Condition},
    web, App, HttpServer,
};
use anyhow::Context;
use openidconnect::core::CoreJwsSigningAlgorithm;
use secrecy::ExposeSecret;
use secrecy::SecretString;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgConnection, PgPool,
};
use tracing_actix_web::TracingLogger;

use crate::{
    admin,
    auth::{self, csrf, transaction::TransactionCookies},
    clock::{SharedClock, SystemClock},
    config::Config,
    crypto::Keyring,
    error::{json_errors, ApiError},
    health, messages, metrics,
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
    telemetry::{request_id_header, RequestSpan},
};

pub struct Application {
    port: u16,
    server: Server,
    /// The listening socket (shared with the server): shut at SIGTERM, so new connections are
    /// refused at once instead of queued and then reset.
    listening: TcpListener,
    draining: Draining,
    drain: Duration,
    metrics: Option<(u16, Server)>,
    background: Vec<tokio::task::JoinHandle<()>>,
    sessions: Sessions,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen_addr)
            .with_context(|| format!("binding LISTEN_ADDR {}", config.listen_addr))?;
        Self::build_on(config, clock, listener).await
    }

    /// Builds the app on a listener bound by the caller. Tests bind port 0 first and keep the
    /// listener while they configure the provider with the app's address, so no other
    /// process can take the port in between.
    pub async fn build_on(
        config: Config,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let pool = connect_database(&config).await?;
        // On a direct connection: the migrator holds a session-level advisory lock, which a
        // transaction pooler (PgBouncer) cannot keep.
        let mut direct = PgConnection::connect_with(&direct_options(&config)?)
            .await
            .context("connecting to DATABASE_DIRECT_URL (or DATABASE_URL)")?;
        sqlx::migrate!("../migrations")
            .run(&mut direct)
            .await
            .context("running database migrations")?;
        let _ = direct.close().await;

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
        ));
        let refresher = web::Data::new(Refresher::new(
            config.clone(),
            provider.clone(),
            sessions.clone(),
            clock.clone(),
            allowed_algs.clone(),
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
        });

        let port = listener.local_addr()?.port();
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
        let timed = metrics.is_some();
        let session_cookie = web::Data::new(SessionCookieConfig::new(
            &keys,
            https,
            config.session_absolute_timeout,
        ));
        let store = PgSessionStore::new(sessions.clone());
        let limits = RateLimits::new(config.rate_limit_per_minute, &config.trusted_proxies);
        let sessions_data = web::Data::new(sessions.clone());
        let draining = Draining::default();
        let draining_data = web::Data::new(draining.clone());

        let listening = listener.try_clone().context("the listening socket")?;
        let server = HttpServer::new(move || {
            let session = session_cookie.middleware(store.clone());
            let spa = spa.clone();
            App::new()
                .app_data(state.clone())
                .app_data(headers.clone())
                .app_data(session_cookie.clone())
                .app_data(sessions_data.clone())
                .app_data(refresher.clone())
                .app_data(draining_data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024))
                .app_data(web::JsonConfig::default().limit(16 * 1024))
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .wrap(Compress::default())
                .wrap(from_fn(shutdown::close_connections_while_draining))
                .wrap(from_fn(auth::logout_return::resume_after_provider_logout))
                .wrap(from_fn(json_errors))
                .wrap(from_fn(add_security_headers))
                .wrap(from_fn(request_id_header))
                .wrap(TracingLogger::<RequestSpan>::new())
                .route("/healthz", web::get().to(health::healthz))
                .route("/readyz", web::get().to(health::readyz))
                .service(
                    web::scope("/api")
                        .wrap(session)
                        .wrap(from_fn(guard_session_cookie))
                        .wrap(from_fn(csrf::require_same_origin))
                        .wrap(Condition::new(timed, from_fn(metrics::time_requests)))
                        .configure(|cfg| auth::configure(cfg, &limits))
                        .configure(admin::configure)
                        .configure(messages::configure)
                        .configure(proxy::configure)
                        .default_service(web::to(|| async { Err::<&str, _>(ApiError::NotFound) })),
                )
                .configure(|cfg| spa.configure(cfg))
        })
        .listen(listener)?
        // Stopping is ours (`shutdown`): drain first, then stop gracefully.
        .disable_signals()
        .shutdown_timeout(5)
        .run();

        let mut background = vec![tokio::spawn(sweeper::run(
            sessions.clone(),
            pool.clone(),
            clock,
            config.sweep_interval,
        ))];
        if cache.is_enabled() {
            // Its own connection, outside the request pool, and direct: `LISTEN` needs a
            // session.
            let listener_pool = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(3))
                .connect_lazy_with(direct_options(&config)?);
            background.push(tokio::spawn(invalidation::run(listener_pool, cache)));
        }
        Ok(Self {
            port,
            server,
            listening,
            draining,
            drain: config.shutdown_drain,
            metrics,
            background,
            sessions,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The app's sessions (benchmarks and tests look at its cache).
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The metrics listener's port, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until SIGTERM or SIGINT (see `shutdown`): drains, stops gracefully, closes the
    /// background tasks and the pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let handle = self.server.handle();
        let mut server = self.server;
        let result = tokio::select! {
            result = &mut server => result,
            () = shutdown::signal() => {
                self.draining.start();
                shutdown::refuse_new_connections(&self.listening);
                let stop = async {
                    handle.pause().await;
                    tokio::time::sleep(self.drain).await;
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
        for task in &self.background {
            task.abort();
        }
        self.sessions.pool().close().await;
        tracing::info!("stopped");
        result
    }
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

async fn connect_database(config: &Config) -> anyhow::Result<PgPool> {
    pool_options(config.database_max_connections)
        .connect_with(database_options(config)?)
        .await
        .context("connecting to DATABASE_URL")
}

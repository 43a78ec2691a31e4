//! Builds the application: database, migrations, provider discovery, the HTTP server with its
//! middleware and routes. Binds its own listener, or runs on one the caller bound (tests).

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    dev::Server,
    middleware::{from_fn, Compress},
    web, App, HttpServer,
};
use anyhow::Context;
use openidconnect::core::CoreJwsSigningAlgorithm;
use secrecy::ExposeSecret;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};
use tracing_actix_web::TracingLogger;

use crate::{
    admin,
    auth::{self, csrf, transaction::TransactionCookies},
    clock::{SharedClock, SystemClock},
    config::Config,
    crypto::Keyring,
    error::{json_errors, ApiError},
    health, messages,
    oidc::{http::ProviderHttp, ProviderHandle},
    proxy,
    rate_limit::RateLimits,
    security_headers::{add_security_headers, SecurityHeaders},
    session::{
        cookie::guard_session_cookie, invalidation, PgSessionStore, Refresher, SessionCache,
        SessionCookieConfig, Sessions, Timeouts,
    },
    spa::Spa,
    state::AppState,
    sweeper,
    telemetry::{request_id_header, RequestSpan},
};

pub struct Application {
    port: u16,
    server: Server,
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
        sqlx::migrate!("../migrations")
            .run(&pool)
            .await
            .context("running database migrations")?;

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
        let session_cookie = web::Data::new(SessionCookieConfig::new(
            &keys,
            https,
            config.session_absolute_timeout,
        ));
        let store = PgSessionStore::new(sessions.clone());
        let limits = RateLimits::new(config.rate_limit_per_minute, &config.trusted_proxies);
        let sessions_data = web::Data::new(sessions.clone());

        let server = HttpServer::new(move || {
            let session = session_cookie.middleware(store.clone());
            let spa = spa.clone();
            App::new()
                .app_data(state.clone())
                .app_data(headers.clone())
                .app_data(session_cookie.clone())
                .app_data(sessions_data.clone())
                .app_data(refresher.clone())
                .app_data(web::PayloadConfig::new(64 * 1024))
                .app_data(web::JsonConfig::default().limit(16 * 1024))
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .wrap(Compress::default())
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
                        .configure(|cfg| auth::configure(cfg, &limits))
                        .configure(admin::configure)
                        .configure(messages::configure)
                        .configure(proxy::configure)
                        .default_service(web::to(|| async { Err::<&str, _>(ApiError::NotFound) })),
                )
                .configure(|cfg| spa.configure(cfg))
        })
        .listen(listener)?
        .shutdown_timeout(5)
        .run();

        let mut background = vec![tokio::spawn(sweeper::run(
            sessions.clone(),
            pool.clone(),
            clock,
            config.sweep_interval,
        ))];
        if cache.is_enabled() {
            // Its own connection, outside the request pool.
            let listener_pool = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(3))
                .connect_lazy_with(database_options(&config)?);
            background.push(tokio::spawn(invalidation::run(listener_pool, cache)));
        }
        Ok(Self {
            port,
            server,
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        for task in &self.background {
            task.abort();
        }
        result
    }
}

/// No query may hold a connection longer than this (lock waits included): a stuck database
/// turns into 503s, never into requests that hang.
const STATEMENT_TIMEOUT: &str = "10s";

fn database_options(config: &Config) -> anyhow::Result<PgConnectOptions> {
    let options: PgConnectOptions = config
        .database_url
        .expose_secret()
        .parse()
        .context("DATABASE_URL")?;
    Ok(options.options([("statement_timeout", STATEMENT_TIMEOUT)]))
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

//! Builds the application: database, migrations, provider discovery, the HTTP server with its
//! middleware and routes. Binds its own listener, or runs on one the caller bound (tests).

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_session::{
    config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy},
    SessionMiddleware,
};
use actix_web::{
    cookie::{time::Duration as CookieDuration, SameSite},
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
    health,
    oidc::{http::ProviderHttp, ProviderHandle},
    proxy,
    security_headers::{add_security_headers, SecurityHeaders},
    session::{
        cookie_guard::{guard_session_cookie, SessionCookieKeys},
        sweeper, PgSessionStore, Timeouts,
    },
    spa::Spa,
    state::AppState,
    telemetry::{request_id_header, RequestSpan},
};

/// Name of the session cookie (`__Host-` prefixed when served over https).
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-bff_session"
    } else {
        "bff_session"
    }
}

/// The attributes of the session cookie (actix-session is configured to match).
pub fn session_cookie_template(
    name: &'static str,
    value: String,
    max_age: CookieDuration,
) -> actix_web::cookie::Cookie<'static> {
    let https = name.starts_with("__Host-");
    actix_web::cookie::Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Strict)
        .max_age(max_age)
        .finish()
}

pub struct Application {
    port: u16,
    server: Server,
    sweeper: tokio::task::JoinHandle<()>,
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
        let store = PgSessionStore::new(
            pool.clone(),
            clock.clone(),
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
        let state = web::Data::new(AppState {
            config: config.clone(),
            keys: keys.clone(),
            provider,
            pool: pool.clone(),
            store: store.clone(),
            clock,
            txn_cookies: TransactionCookies::new(https),
            allowed_algs,
            // The same settings as for the provider: redirects off, timeouts on.
            api_client: ProviderHttp::new(config.http_timeout)?.inner().clone(),
        });

        let sweep_store = state.store.clone();
        let port = listener.local_addr()?.port();
        let absolute_ttl =
            CookieDuration::seconds(config.session_absolute_timeout.as_secs() as i64);
        let cookie_keys = web::Data::new(SessionCookieKeys {
            name: session_cookie_name(https),
            current: keys.session_cookie_key(),
            previous: keys.previous_session_cookie_keys(),
            max_age: absolute_ttl,
        });

        let server = HttpServer::new(move || {
            let session = SessionMiddleware::builder(store.clone(), keys.session_cookie_key())
                .cookie_name(session_cookie_name(https).to_owned())
                .cookie_secure(https)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Strict)
                .cookie_path("/".to_owned())
                .cookie_domain(None)
                .cookie_content_security(CookieContentSecurity::Signed)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(absolute_ttl)
                        .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            let spa = spa.clone();
            App::new()
                .app_data(state.clone())
                .app_data(headers.clone())
                .app_data(cookie_keys.clone())
                .app_data(web::PayloadConfig::new(64 * 1024))
                .app_data(web::JsonConfig::default().limit(16 * 1024))
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .wrap(Compress::default())
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
                        .configure(auth::configure)
                        .configure(admin::configure)
                        .configure(proxy::configure)
                        .default_service(web::to(|| async { Err::<&str, _>(ApiError::NotFound) })),
                )
                .configure(|cfg| spa.configure(cfg))
        })
        .listen(listener)?
        .shutdown_timeout(5)
        .run();

        let sweeper = tokio::spawn(sweeper::run(sweep_store, config.sweep_interval));
        Ok(Self {
            port,
            server,
            sweeper,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.sweeper.abort();
        result
    }
}

/// No query may hold a connection longer than this (lock waits included): a stuck database
/// turns into 503s, never into requests that hang.
const STATEMENT_TIMEOUT: &str = "10s";

async fn connect_database(config: &Config) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = config
        .database_url
        .expose_secret()
        .parse()
        .context("DATABASE_URL")?;
    PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options.options([("statement_timeout", STATEMENT_TIMEOUT)]))
        .await
        .context("connecting to DATABASE_URL")
}

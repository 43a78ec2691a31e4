//! The demo app: `ferris-login` mounted beside the demo's own routes (`/api/messages`), with
//! request ids, logs and compression around it. This is what "add login to your Actix app"
//! looks like with everything switched on.

use std::net::TcpListener;

use actix_web::{dev::Server, middleware::from_fn, middleware::Compress, App, HttpServer};
use anyhow::Context;
use ferris_login::{
    clock::{SharedClock, SystemClock},
    telemetry::{request_id_header, RequestSpan},
    Auth, Config,
};
use tracing_actix_web::TracingLogger;

use crate::messages;

/// The demo's own tables (`messages`), beside the library's.
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The demo server, built and bound, not yet serving.
pub struct Application {
    port: u16,
    auth: Auth,
    server: Server,
    listener: TcpListener,
}

impl Application {
    /// Binds `LISTEN_ADDR` and builds the app.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen_addr())
            .with_context(|| format!("binding LISTEN_ADDR {}", config.listen_addr()))?;
        Self::build_on(config, std::sync::Arc::new(SystemClock), listener).await
    }

    /// Builds the app on a listener bound by the caller. Tests bind port 0 first and keep the
    /// listener while they configure the provider with the app's address, so no other
    /// process can take the port in between.
    pub async fn build_on(
        config: Config,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let auth = Auth::builder(config)
            .clock(clock)
            .admin_routes(true)
            .build()?;
        auth.start().await?;
        auth.migrate(&MIGRATIONS).await?;
        let port = listener.local_addr()?.port();
        let (app, pool, clock) = (auth.clone(), auth.pool().clone(), auth.clock());
        let server = HttpServer::new(move || {
            App::new()
                .wrap(Compress::default())
                .wrap(from_fn(request_id_header))
                .wrap(TracingLogger::<RequestSpan>::new())
                .service(
                    app.api()
                        .configure(|api| messages::configure(api, &pool, clock.clone())),
                )
                .service(app.spa())
        })
        .listen(listener.try_clone().context("the listening socket")?)?
        // Stopping is `Auth::serve_until_stopped`'s: drain first, then stop gracefully.
        .disable_signals()
        .shutdown_timeout(5)
        .run();
        Ok(Self {
            port,
            auth,
            server,
            listener,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The login layer (tests and the benchmark look at its sessions).
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The metrics listener's port, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.auth.metrics_port()
    }

    /// Serves until SIGTERM or SIGINT, then stops cleanly.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.auth
            .serve_until_stopped(self.server, self.listener)
            .await
    }
}

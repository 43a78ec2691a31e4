//! [`Auth`]: what it mounts into your app (the API scope, pages, the SPA) and what your
//! handlers reach through it. Building and starting it is in `builder`, serving and stopping
//! in `serve`.

use std::sync::Arc;

use actix_web::{
    body::MessageBody,
    dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::{from_fn, Condition},
    web, Error, Scope,
};
use sqlx::PgPool;
use tokio::{sync::Mutex, task::JoinHandle};

use crate::{
    admin,
    auth::{self, csrf},
    clock::SharedClock,
    config::Config,
    error::{json_errors, ApiError},
    health, metrics, proxy,
    rate_limit::RateLimits,
    security_headers::{add_security_headers, SecurityHeaders},
    session::{
        cookie::guard_session_cookie, ActixSessionStore, Refresher,
        SessionCookieConfig, Sessions,
    },
    shutdown::{self, Draining},
    spa::Spa,
    state::AppState,
};

/// Sets up login for an app: [`Auth::from_env`] for the defaults, [`Auth::builder`] for
/// hooks, a clock or a different route prefix.
///
/// Cheap to clone (one shared state): clone it into the `HttpServer::new` closure and call
/// [`Auth::api`] and [`Auth::spa`] there, once per worker.
#[derive(Clone)]
pub struct Auth {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Arc<Config>,
    pub(crate) state: web::Data<AppState>,
    pub(crate) headers: web::Data<SecurityHeaders>,
    pub(crate) session_cookie: web::Data<SessionCookieConfig>,
    pub(crate) sessions: web::Data<Sessions>,
    pub(crate) refresher: web::Data<Refresher>,
    pub(crate) draining: web::Data<Draining>,
    pub(crate) store: ActixSessionStore,
    pub(crate) limits: RateLimits,
    pub(crate) spa: Spa,
    pub(crate) admin_routes: bool,
    pub(crate) timed: bool,
    pub(crate) started: Mutex<bool>,
    pub(crate) metrics: Mutex<Option<Server>>,
    pub(crate) metrics_port: std::sync::OnceLock<u16>,
    pub(crate) background: Mutex<Vec<JoinHandle<()>>>,
}

impl Auth {
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

    /// The metrics listener's port, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.inner.metrics_port.get().copied()
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

    /// A scope at `path` for the app's own **server-rendered pages**, with the session: add
    /// routes to it whose handlers take [`LoginRequired`](crate::LoginRequired) (signed-out
    /// browsers go to the login and come back) or [`CurrentSession`](crate::CurrentSession) /
    /// [`OptionalSession`](crate::OptionalSession). Browsers navigate here, so no `X-CSRF`
    /// header is asked for; a `POST` (or any other unsafe method) must come from this origin.
    /// Every response is `no-store` and carries the security headers. Register it before
    /// [`Auth::spa`], which answers every path.
    pub fn pages(
        &self,
        path: &str,
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
        self.with_data(web::scope(path))
            .app_data(web::PayloadConfig::new(64 * 1024))
            .app_data(web::FormConfig::default().limit(64 * 1024))
            .wrap(inner.session_cookie.middleware(inner.store.clone()))
            .wrap(from_fn(guard_session_cookie))
            .wrap(from_fn(crate::pages::guard_pages))
            .wrap(from_fn(shutdown::close_connections_while_draining))
            .wrap(from_fn(add_security_headers))
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
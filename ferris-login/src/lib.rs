//! OpenID Connect login for an Actix app, as a Backend-for-Frontend.
//!
//! The authorization-code flow (PKCE, `state`, `nonce`) against Auth0 or any OpenID provider,
//! server-side sessions in PostgreSQL behind one opaque HttpOnly cookie, and extractors that
//! guard your own routes by role or permission. Tokens never reach the browser.
//!
//! Configured from the same variables as `@auth0/nextjs-auth0` (`AUTH0_SECRET`,
//! `AUTH0_BASE_URL`, `AUTH0_ISSUER_BASE_URL`, `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`, plus
//! `DATABASE_URL`); see [`Config`].
//!
//! ```no_run
//! use actix_web::{web, App, HttpServer};
//! use ferris_login::{Auth, CurrentSession};
//!
//! async fn hello(session: CurrentSession) -> String {
//!     format!("Hello, {}", session.user().display_name())
//! }
//!
//! # async fn run() -> anyhow::Result<()> {
//! let auth = Auth::from_env().await?;
//! let listener = std::net::TcpListener::bind(auth.config().listen_addr())?;
//! let routes = auth.clone();
//! let server = HttpServer::new(move || {
//!     App::new()
//!         // `/api/auth/login|callback|logout|me|...`, the session, and your routes beside them.
//!         .service(routes.api().route("/hello", web::get().to(hello)))
//!         // The built SPA (deep links too) and `/healthz`, `/readyz`.
//!         .service(routes.spa())
//! })
//! .listen(listener.try_clone()?)?
//! .run();
//! auth.serve_until_stopped(server, listener).await?;
//! # Ok(())
//! # }
//! ```
//!
//! - [`Auth`] / [`AuthBuilder`]: start-up (database, migrations, provider discovery), the
//!   routes, the hooks, and a clean shutdown on SIGTERM.
//! - [`CurrentSession`], [`OptionalSession`], [`RequireRole`], [`RequirePermission`]: what your
//!   handlers take. A guard refuses with 401 or 403 JSON before the handler runs.
//! - [`Login`], [`Refusal`], [`SessionUpdate`]: the hooks' view of a login.
//! - [`ApiError`]: errors as the SPA reads them (`{"error": {"code", "message"}}`).

#![warn(missing_docs)]

/// Declares the inner modules: private, or public (and hidden) with the `internals` feature,
/// which only this repository's own tests and benchmark use.
macro_rules! internal_modules {
    ($($name:ident),* $(,)?) => {
        $(
            #[cfg(feature = "internals")]
            #[doc(hidden)]
            #[allow(missing_docs)]
            pub mod $name;
            #[cfg(not(feature = "internals"))]
            mod $name;
        )*
    };
}

internal_modules!(
    admin,
    auth,
    builder,
    client,
    config,
    crypto,
    database,
    error,
    health,
    metrics,
    migrations,
    oidc,
    proxy,
    rate_limit,
    secret_strength,
    security_headers,
    serve,
    server,
    session,
    shutdown,
    spa,
    state,
    sweeper,
    text,
    users,
);

pub mod clock;
mod hooks;

/// Where sessions live: the [`Store`](store::Store) trait, the stores this crate ships
/// ([`PostgresStore`](store::PostgresStore), [`MemoryStore`](store::MemoryStore),
/// `RedisStore` with the `redis` feature) and the cache layer over them
/// ([`CachedStore`](store::CachedStore)). Pick one with `SESSION_STORE` or
/// [`AuthBuilder::store`].
///
/// What every store guarantees (the contract suite, `ferris-login/tests/store_contract.rs`,
/// holds each to it):
/// - a record is found by its cookie's hash or its public id only while both its deadlines
///   are ahead of the `now` the caller passes;
/// - every change returns the cookie hashes it touched, so a cache in this process drops them
///   at once, and tells the other processes through the store's change feed if it has one;
/// - the refresh lease is claimed by one caller at a time, and refreshed tokens are stored
///   only if the record's tokens are still at the version the caller started from.
pub mod store {
    pub use crate::session::{
        cache::{CacheSettings, KeyHash, SessionCache},
        model::{AppData, SessionId, SessionListing, SessionView},
        store::*,
    };
}
mod pages;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod fuzz_checks;
#[cfg(test)]
mod fuzz_tests;

pub use auth::guards::{
    Admin, HasPermission, HasRole, Permission, Require, RequirePermission, RequireRole,
    Requirement, Role,
};
pub use builder::{AuthBuilder, StartError};
pub use config::{Config, ConfigBuilder, ConfigError};
pub use error::{ApiError, Cause};
pub use hooks::{Login, Refusal, SaveCause, SessionUpdate};
pub use pages::{LoginRequired, PageRefusal};
pub use server::Auth;
pub use session::{
    AccessToken, CurrentSession, LogoutRedirect, OptionalSession, SessionId, MAX_APP_DATA_BYTES,
};
pub use shared::{Claim, ErrorBody, ErrorCode, Extra, User};

//! Ferris Login: the Yew single-page app of the Rust Backend-for-Frontend demo.
//!
//! The backend does OpenID Connect; the browser only holds an HttpOnly session cookie. The SPA
//! asks `GET /api/auth/me` who is signed in and renders accordingly.
//!
//! Pure, tested natively (`cargo test -p frontend`):
//! - [`auth`]: the state machine, the guard's decision, login URLs, the error advice table,
//!   the expiry timing, the cross-tab events and the focus re-check gate;
//! - [`admin`], [`account`], [`messages`], [`listing`]: the list pages' state machines;
//! - [`format`]: instants and user agents as text; [`routes`]: names and titles.
//!
//! Browser glue: [`services`] (the one request function, the cross-tab channel), [`browser`],
//! [`hooks`] / [`components`] (the provider, `use_auth()`, the nav, the guard, the banner, the
//! expiry dialog) and [`pages`].

pub mod account;
pub mod admin;
pub mod app;
pub mod auth;
pub mod browser;
pub mod components;
pub mod format;
pub mod hooks;
pub mod listing;
pub mod messages;
pub mod pages;
pub mod routes;
pub mod services;

pub use app::{App, AppProps};

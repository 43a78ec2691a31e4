//! Ferris Login: the Yew single-page app of the Rust Backend-for-Frontend demo.
//!
//! The backend does OpenID Connect; the browser only holds an HttpOnly session cookie. The SPA
//! asks `GET /api/auth/me` who is signed in and renders accordingly.
//!
//! - [`auth`]: the pure part (state machine, guard decision, login URLs, messages), tested
//!   natively;
//! - [`admin`]: the pure part of the admin sessions page (formatting, grouping, its state
//!   machine), tested natively;
//! - [`services`]: the one request function and its typed errors;
//! - [`hooks`] / [`components`]: the provider, `use_auth()`, the nav, the guard, the banner;
//! - [`pages`] and [`routes`]: one `Route` enum, one `switch`.

pub mod admin;
pub mod app;
pub mod auth;
pub mod browser;
pub mod components;
pub mod hooks;
pub mod pages;
pub mod routes;
pub mod services;

pub use app::{App, AppProps};

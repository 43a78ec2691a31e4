//! Ferris Login: the Yew single-page app of the Rust Backend-for-Frontend demo.
//!
//! The backend does OpenID Connect; the browser only holds an HttpOnly session cookie. The SPA
//! asks `GET /api/auth/me` who is signed in and renders accordingly.
//!
//! The login layer (the auth state machine, `use_auth()`, `<RequireAuth>`, the request
//! function, the expiry watch, the cross-tab channel) is the `ferris-login-yew` library; this
//! crate is its user, with the demo's pages, words and looks.
//!
//! Pure, tested natively (`cargo test -p frontend`):
//! - [`auth`]: the error advice table and the banner's words for what the auth state noticed;
//! - [`admin`], [`account`], [`messages`], [`listing`]: the list pages' state machines;
//! - [`format`]: instants and user agents as text; [`routes`]: names and titles.
//!
//! Browser glue: [`services`] (the demo's API calls through the library's client), [`browser`],
//! [`hooks`] / [`components`] (the nav, the guard's views, the banner, the expiry dialog) and
//! [`pages`].

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
pub mod words;

pub use app::{App, AppProps};

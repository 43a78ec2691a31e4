//! The Backend-for-Frontend: OpenID Connect login (authorization code + PKCE) against Auth0 or
//! any OpenID provider, server-side sessions in PostgreSQL, and the Yew SPA, from one origin.
//! The browser holds an opaque HttpOnly session cookie; tokens stay here.

pub mod admin;
pub mod auth;
pub mod client;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz_checks;
#[cfg(test)]
mod fuzz_tests;
pub mod health;
pub mod messages;
pub mod metrics;
pub mod oidc;
pub mod proxy;
pub mod rate_limit;
pub mod secret_strength;
pub mod security_headers;
pub mod session;
pub mod shutdown;
pub mod spa;
pub mod startup;
pub mod state;
pub mod sweeper;
pub mod telemetry;
pub mod text;
pub mod users;

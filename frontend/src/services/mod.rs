//! Talking to the backend: one request function ([`api::request`]) and its typed errors.

pub mod api;
pub mod error;

pub use api::{fetch_me, list_sessions, logout, request, revoke_user_sessions};
pub use error::ApiError;

//! Talking to the backend: one request function ([`api::request`]) and its typed errors.

pub mod api;
pub mod error;

pub use api::{fetch_me, logout, request};
pub use error::ApiError;

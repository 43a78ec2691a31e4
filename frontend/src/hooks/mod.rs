//! Hooks: how components reach shared state.

pub mod use_auth;

pub use use_auth::{use_auth, AuthHandle};

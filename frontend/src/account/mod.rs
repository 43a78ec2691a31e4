//! The person's own account pages, the pure part: "Your sessions" (`/account/sessions`).

pub mod sessions;

pub use sessions::{Revoke, SessionsAction, SessionsFocus, SessionsModel};

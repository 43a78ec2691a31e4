//! Hooks: how components reach shared state (the auth state is the library's).

pub use ferris_login_yew::{use_api, use_auth, AuthHandle};

//! Talking to the backend: one request function ([`api::request`]) and its typed errors, and
//! the cross-tab channel ([`tabs`]).

pub mod api;
pub mod error;
pub mod tabs;

pub use api::{
    delete_message, end_my_other_sessions, end_my_session, extend_session, fetch_me, list_sessions,
    logout, messages, my_sessions, post_message, request, revoke_user_sessions, session_status,
};
pub use error::ApiError;

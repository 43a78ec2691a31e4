//! Talking to the backend: the demo's calls ([`api`]), through the library's client.

pub mod api;

pub use api::{
    delete_message, end_my_other_sessions, end_my_session, list_sessions, messages, my_sessions,
    post_message, revoke_user_sessions,
};
pub use ferris_login_yew::ApiError;

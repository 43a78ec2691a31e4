//! Paths of the API, shared so neither side hard-codes them twice.

use uuid::Uuid;

pub const LOGIN: &str = "/api/auth/login";
pub const CALLBACK: &str = "/api/auth/callback";
pub const LOGOUT: &str = "/api/auth/logout";
pub const ME: &str = "/api/auth/me";
pub const BACKCHANNEL_LOGOUT: &str = "/api/auth/backchannel-logout";
/// The caller's session deadlines (`GET`, never extends anything).
pub const SESSION: &str = "/api/auth/session";
/// Slides the caller's idle deadline (`POST`).
pub const SESSION_EXTEND: &str = "/api/auth/session/extend";
/// The caller's live sessions (`GET`); `DELETE ?others=true` ends all but the current one.
pub const SESSIONS: &str = "/api/auth/sessions";
/// The worked example: messages guarded by `read:messages` / `write:messages`.
pub const MESSAGES: &str = "/api/messages";
/// Admin (role `admin`): every live session.
pub const ADMIN_SESSIONS: &str = "/api/admin/sessions";

/// One of the caller's sessions (`DELETE` ends it).
pub fn session(id: Uuid) -> String {
    format!("{SESSIONS}/{id}")
}

/// Every session of the caller but the current one (`DELETE`).
pub fn other_sessions() -> String {
    format!("{SESSIONS}?others=true")
}

/// One message (`DELETE` removes the caller's own).
pub fn message(id: Uuid) -> String {
    format!("{MESSAGES}/{id}")
}

/// Admin (role `admin`): end every session of a user (POST).
pub fn admin_revoke_sessions(user_id: Uuid) -> String {
    format!("/api/admin/users/{user_id}/revoke-sessions")
}

/// Authorization parameters `/api/auth/login` passes on to the provider (values validated
/// there; anything else is ignored).
pub const LOGIN_PARAMETERS: [&str; 9] = [
    "prompt",
    "screen_hint",
    "login_hint",
    "organization",
    "invitation",
    "connection",
    "acr_values",
    "max_age",
    "ui_locales",
];

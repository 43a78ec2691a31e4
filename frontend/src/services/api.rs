//! The demo's own API calls, all through the library's client ([`ApiClient`], from
//! `use_api()`): it adds the anti-forgery header, sends the session cookie, decodes the typed
//! errors, and signs the page out on a 401 from any of them.

use ferris_login_yew::{ApiClient, ApiError};
use shared::{routes, Message, MySession, NewMessage, RevokeResult, SessionInfo, Uuid};

/// `GET /api/auth/sessions`: the caller's live sessions.
pub async fn my_sessions(api: &ApiClient) -> Result<Vec<MySession>, ApiError> {
    api.get(routes::SESSIONS).await
}

/// `DELETE /api/auth/sessions/{id}`: ends one of the caller's sessions.
pub async fn end_my_session(api: &ApiClient, id: Uuid) -> Result<RevokeResult, ApiError> {
    api.delete(&routes::session(id)).await
}

/// `DELETE /api/auth/sessions?others=true`: ends every session of the caller but this one.
pub async fn end_my_other_sessions(api: &ApiClient) -> Result<RevokeResult, ApiError> {
    api.delete(&routes::other_sessions()).await
}

/// `GET /api/admin/sessions` (role `admin`): every live session.
pub async fn list_sessions(api: &ApiClient) -> Result<Vec<SessionInfo>, ApiError> {
    api.get(routes::ADMIN_SESSIONS).await
}

/// `POST /api/admin/users/{user_id}/revoke-sessions` (role `admin`): ends every session of the
/// user (the admin's own too, when it is their user: the next call is then a 401).
pub async fn revoke_user_sessions(
    api: &ApiClient,
    user_id: Uuid,
) -> Result<RevokeResult, ApiError> {
    api.post(&routes::admin_revoke_sessions(user_id)).await
}

/// `GET /api/messages` (permission `read:messages`): newest first.
pub async fn messages(api: &ApiClient) -> Result<Vec<Message>, ApiError> {
    api.get(routes::MESSAGES).await
}

/// `POST /api/messages` (permission `write:messages`): the created message.
pub async fn post_message(api: &ApiClient, body: &str) -> Result<Message, ApiError> {
    let new = NewMessage {
        body: body.to_string(),
    };
    api.post_json(routes::MESSAGES, &new).await
}

/// `DELETE /api/messages/{id}` (one's own, permission `write:messages`): `204`.
pub async fn delete_message(api: &ApiClient, id: Uuid) -> Result<(), ApiError> {
    api.delete(&routes::message(id)).await
}

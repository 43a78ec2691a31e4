//! The one request function every `/api` call goes through.
//!
//! It adds the anti-forgery header (`X-CSRF: 1`), sends same-origin credentials (the HttpOnly
//! session cookie), never uses the HTTP cache, maps the answer to `Result<T, ApiError>`, and on
//! a 401 from *any* call tells the handler registered with [`on_unauthenticated`] (the
//! `AuthProvider` registers one that moves the auth state machine to anonymous).

use std::cell::{Cell, RefCell};

use gloo_net::http::{Method, RequestBuilder};
use serde::{de::DeserializeOwned, Serialize};
use shared::{
    routes, LogoutResponse, Message, MySession, NewMessage, RevokeResult, SessionInfo,
    SessionStatus, User, Uuid, CSRF_HEADER, CSRF_HEADER_VALUE,
};
use web_sys::{RequestCache, RequestCredentials};
use yew::Callback;

use super::error::ApiError;
use crate::auth::urls::logout_path;

thread_local! {
    static ON_UNAUTHENTICATED: RefCell<Option<(u64, Callback<()>)>> = const { RefCell::new(None) };
    static NEXT_HANDLER_ID: Cell<u64> = const { Cell::new(0) };
}

/// Keeps a handler registered with [`on_unauthenticated`]; dropping it unregisters the handler.
#[must_use = "the handler is unregistered as soon as this is dropped"]
#[derive(Debug)]
pub struct UnauthenticatedHandler {
    id: u64,
}

impl Drop for UnauthenticatedHandler {
    fn drop(&mut self) {
        ON_UNAUTHENTICATED.with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.as_ref().is_some_and(|(id, _)| *id == self.id) {
                *slot = None;
            }
        });
    }
}

/// Registers the one handler told about every 401 (a later registration replaces it).
pub fn on_unauthenticated(handler: Callback<()>) -> UnauthenticatedHandler {
    let id = NEXT_HANDLER_ID.with(|next| {
        let id = next.get();
        next.set(id + 1);
        id
    });
    ON_UNAUTHENTICATED.with(|slot| *slot.borrow_mut() = Some((id, handler)));
    UnauthenticatedHandler { id }
}

fn notify_unauthenticated() {
    // Clone out of the slot first: the handler may re-enter (dispatch → render → request).
    let handler = ON_UNAUTHENTICATED.with(|slot| slot.borrow().as_ref().map(|(_, cb)| cb.clone()));
    if let Some(handler) = handler {
        handler.emit(());
    }
}

/// Sends `method path` (with `body` as JSON, if any) to the backend and decodes a JSON `T`.
///
/// Every `/api` call of the SPA goes through here.
pub async fn request<B, T>(method: Method, path: &str, body: Option<&B>) -> Result<T, ApiError>
where
    B: Serialize + ?Sized,
    T: DeserializeOwned,
{
    let result = send(method, path, body).await;
    if let Err(ApiError::Unauthenticated) = result {
        notify_unauthenticated();
    }
    result
}

async fn send<B, T>(method: Method, path: &str, body: Option<&B>) -> Result<T, ApiError>
where
    B: Serialize + ?Sized,
    T: DeserializeOwned,
{
    debug_assert!(
        path.starts_with("/api/"),
        "only same-origin /api calls: {path}"
    );
    let builder = RequestBuilder::new(path)
        .method(method)
        .header(CSRF_HEADER, CSRF_HEADER_VALUE)
        .header("Accept", "application/json")
        .credentials(RequestCredentials::SameOrigin)
        .cache(RequestCache::NoStore);
    let request = match body {
        Some(body) => builder.json(body),
        None => builder.build(),
    }
    .map_err(|e| ApiError::Network(format!("could not build the request: {e}")))?;

    let response = request
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    decode(status, &text)
}

/// Turns a status and body into the typed outcome. An empty success body (`204`) reads as
/// JSON `null`, so `()` (and `Option<_>`) decode from it.
fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        let body = if body.trim().is_empty() { "null" } else { body };
        serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()))
    } else {
        Err(ApiError::from_status(status, body))
    }
}

/// `GET /api/auth/me`: who is signed in.
pub async fn fetch_me() -> Result<User, ApiError> {
    request::<(), User>(Method::GET, routes::ME, None).await
}

/// `POST /api/auth/logout?returnTo=...`: ends the session; answers where the browser goes next
/// (after the provider, back to `return_to` with `?signed_out=1`).
pub async fn logout(return_to: &str) -> Result<LogoutResponse, ApiError> {
    request::<(), LogoutResponse>(Method::POST, &logout_path(return_to), None).await
}

/// `GET /api/auth/session`: the session's deadlines (extends nothing).
pub async fn session_status() -> Result<SessionStatus, ApiError> {
    request::<(), SessionStatus>(Method::GET, routes::SESSION, None).await
}

/// `POST /api/auth/session/extend`: slides the idle deadline ("Stay signed in").
pub async fn extend_session() -> Result<SessionStatus, ApiError> {
    request::<(), SessionStatus>(Method::POST, routes::SESSION_EXTEND, None).await
}

/// `GET /api/auth/sessions`: the caller's live sessions.
pub async fn my_sessions() -> Result<Vec<MySession>, ApiError> {
    request::<(), Vec<MySession>>(Method::GET, routes::SESSIONS, None).await
}

/// `DELETE /api/auth/sessions/{id}`: ends one of the caller's sessions.
pub async fn end_my_session(id: Uuid) -> Result<RevokeResult, ApiError> {
    request::<(), RevokeResult>(Method::DELETE, &routes::session(id), None).await
}

/// `DELETE /api/auth/sessions?others=true`: ends every session of the caller but this one.
pub async fn end_my_other_sessions() -> Result<RevokeResult, ApiError> {
    request::<(), RevokeResult>(Method::DELETE, &routes::other_sessions(), None).await
}

/// `GET /api/admin/sessions` (role `admin`): every live session.
pub async fn list_sessions() -> Result<Vec<SessionInfo>, ApiError> {
    request::<(), Vec<SessionInfo>>(Method::GET, routes::ADMIN_SESSIONS, None).await
}

/// `POST /api/admin/users/{user_id}/revoke-sessions` (role `admin`): ends every session of the
/// user (the admin's own too, when it is their user: the next call is then a 401).
pub async fn revoke_user_sessions(user_id: Uuid) -> Result<RevokeResult, ApiError> {
    request::<(), RevokeResult>(Method::POST, &routes::admin_revoke_sessions(user_id), None).await
}

/// `GET /api/messages` (permission `read:messages`): newest first.
pub async fn messages() -> Result<Vec<Message>, ApiError> {
    request::<(), Vec<Message>>(Method::GET, routes::MESSAGES, None).await
}

/// `POST /api/messages` (permission `write:messages`): the created message.
pub async fn post_message(body: &str) -> Result<Message, ApiError> {
    let new = NewMessage {
        body: body.to_string(),
    };
    request::<NewMessage, Message>(Method::POST, routes::MESSAGES, Some(&new)).await
}

/// `DELETE /api/messages/{id}` (one's own, permission `write:messages`): `204`.
pub async fn delete_message(id: Uuid) -> Result<(), ApiError> {
    request::<(), ()>(Method::DELETE, &routes::message(id), None).await
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    #[test]
    fn success_bodies_decode_into_shared_types() {
        let user: User = decode(200, r#"{"sub":"s","issuer":"i","name":"Ada"}"#).unwrap();
        assert_eq!(user.display_name(), "Ada");
        let out: LogoutResponse = decode(200, r#"{"redirect_to":"https://idp/logout"}"#).unwrap();
        assert_eq!(out.redirect_to, "https://idp/logout");
    }

    #[test]
    fn admin_bodies_decode_into_shared_types() {
        let sessions: Vec<SessionInfo> = decode(
            200,
            r#"[{"id":"0b6e8f0e-2f1c-4d8e-9b7a-1c2d3e4f5a6b",
                "user_id":"7c1e0000-0000-4000-8000-000000000001","sub":"s","issuer":"i",
                "created_at":"2026-11-27T04:12:09Z","last_seen_at":"2026-11-27T05:00:00+01:00",
                "current":true}]"#,
        )
        .unwrap();
        assert_eq!(sessions.len(), 1);
        assert!(sessions[0].current && sessions[0].user_agent.is_none());
        assert_eq!(
            sessions[0].last_seen_at.unix_timestamp() - sessions[0].created_at.unix_timestamp(),
            -12 * 60 - 9,
            "05:00+01:00 is 04:00Z"
        );
        let result: RevokeResult = decode(200, r#"{"revoked":3}"#).unwrap();
        assert_eq!(result.revoked, 3);
    }

    #[test]
    fn a_malformed_instant_or_id_is_a_decode_error_not_a_panic() {
        let err = decode::<Vec<MySession>>(
            200,
            r#"[{"id":"nope","created_at":"yesterday","last_seen_at":"x","device":"d","current":true}]"#,
        )
        .unwrap_err();
        assert!(matches!(err, ApiError::Decode(_)), "{err:?}");
    }

    #[test]
    fn the_new_contract_decodes() {
        let status: SessionStatus = decode(
            200,
            r#"{"id":"0b6e8f0e-2f1c-4d8e-9b7a-1c2d3e4f5a6b","idle_expires_at":"2026-11-27T04:32:09Z",
                "absolute_expires_at":"2026-12-04T04:12:09Z","now":"2026-11-27T04:12:09Z"}"#,
        )
        .unwrap();
        assert_eq!(status.access_token_expires_at, None);
        let mine: Vec<MySession> = decode(
            200,
            r#"[{"id":"0b6e8f0e-2f1c-4d8e-9b7a-1c2d3e4f5a6b","created_at":"2026-11-27T04:12:09Z",
                "last_seen_at":"2026-11-27T04:12:09Z","device":"Chrome on Linux","current":true}]"#,
        )
        .unwrap();
        assert_eq!(mine[0].network, None);
        let message: Message = decode(
            201,
            r#"{"id":"0b6e8f0e-2f1c-4d8e-9b7a-1c2d3e4f5a6b","author":"Alice","body":"<b>hi</b>",
                "created_at":"2026-11-27T04:12:09Z","mine":true}"#,
        )
        .unwrap();
        assert_eq!(message.body, "<b>hi</b>", "text, rendered as text");
    }

    #[test]
    fn an_empty_success_body_is_unit() {
        decode::<()>(204, "").unwrap();
        assert!(matches!(decode::<User>(204, ""), Err(ApiError::Decode(_))));
    }

    #[test]
    fn an_unexpected_success_body_is_a_decode_error() {
        let err = decode::<User>(200, "<!doctype html>").unwrap_err();
        assert!(matches!(err, ApiError::Decode(_)), "{err:?}");
    }

    #[test]
    fn error_statuses_use_the_error_body() {
        let err = decode::<User>(
            401,
            r#"{"error":{"code":"unauthenticated","message":"no session"}}"#,
        )
        .unwrap_err();
        assert_eq!(err, ApiError::Unauthenticated);
        let err = decode::<User>(
            503,
            r#"{"error":{"code":"store_unavailable","message":"x"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), Some(shared::ErrorCode::StoreUnavailable));
    }

    #[test]
    fn the_registered_handler_hears_401s_until_it_is_dropped() {
        let heard = Rc::new(Cell::new(0));
        let registration = {
            let heard = heard.clone();
            on_unauthenticated(Callback::from(move |()| heard.set(heard.get() + 1)))
        };
        notify_unauthenticated();
        assert_eq!(heard.get(), 1);
        drop(registration);
        notify_unauthenticated();
        assert_eq!(heard.get(), 1);
    }

    #[test]
    fn dropping_a_replaced_registration_keeps_the_newer_handler() {
        let heard = Rc::new(Cell::new(0));
        let old = on_unauthenticated(Callback::from(|()| {}));
        let new = {
            let heard = heard.clone();
            on_unauthenticated(Callback::from(move |()| heard.set(heard.get() + 1)))
        };
        drop(old);
        notify_unauthenticated();
        assert_eq!(heard.get(), 1);
        drop(new);
    }
}

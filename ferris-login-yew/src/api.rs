//! The request function every API call goes through, bound to the `AuthProvider` above.
//!
//! It adds the anti-forgery header (`X-CSRF: 1`), sends same-origin credentials (the HttpOnly
//! session cookie), never uses the HTTP cache, maps the answer to `Result<T, ApiError>`, and
//! on a 401 from *any* call tells the auth state of its provider (which becomes anonymous:
//! `<RequireAuth>` does the rest).

use gloo_net::http::{Method, RequestBuilder};
use serde::{de::DeserializeOwned, Serialize};
use shared::{CSRF_HEADER, CSRF_HEADER_VALUE};
use web_sys::{RequestCache, RequestCredentials};
use yew::prelude::*;

use crate::error::ApiError;
use crate::provider::use_auth;

/// Sends JSON requests to the backend for the surrounding `AuthProvider` (see [`use_api`]).
///
/// Paths are same-origin absolute paths (`/api/messages`). Bodies and answers are JSON; an
/// empty success body (`204`) reads as JSON `null`, so `()` and `Option<_>` decode from it.
#[derive(Clone)]
pub struct ApiClient {
    on_unauthenticated: Callback<()>,
}

impl PartialEq for ApiClient {
    fn eq(&self, other: &Self) -> bool {
        self.on_unauthenticated == other.on_unauthenticated
    }
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiClient")
    }
}

impl ApiClient {
    /// A client that tells `on_unauthenticated` about every 401.
    pub(crate) fn new(on_unauthenticated: Callback<()>) -> Self {
        Self { on_unauthenticated }
    }

    /// `GET path`, decoding a JSON `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.request::<(), T>(Method::GET, path, None).await
    }

    /// `POST path` without a body, decoding a JSON `T`.
    pub async fn post<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.request::<(), T>(Method::POST, path, None).await
    }

    /// `POST path` with `body` as JSON, decoding a JSON `T`.
    pub async fn post_json<B, T>(&self, path: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.request::<B, T>(Method::POST, path, Some(body)).await
    }

    /// `DELETE path`, decoding a JSON `T` (`()` for a `204`).
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.request::<(), T>(Method::DELETE, path, None).await
    }

    async fn request<B, T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ApiError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.report(send(method, path, body).await)
    }

    /// Tells the auth state about a 401, and passes the answer on.
    pub(crate) fn report<T>(&self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        if let Err(ApiError::Unauthenticated) = result {
            self.on_unauthenticated.emit(());
        }
        result
    }
}

async fn send<B, T>(method: Method, path: &str, body: Option<&B>) -> Result<T, ApiError>
where
    B: Serialize + ?Sized,
    T: DeserializeOwned,
{
    debug_assert!(
        path.starts_with('/') && !path.starts_with("//"),
        "only same-origin calls: {path}"
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

/// The API client of the surrounding `AuthProvider`: a 401 from any call signs the app out.
///
/// ```
/// use ferris_login_yew::use_api;
/// use serde::Deserialize;
/// use yew::prelude::*;
///
/// #[derive(Deserialize)]
/// struct Report {
///     title: String,
/// }
///
/// #[component]
/// fn Reports() -> Html {
///     let api = use_api();
///     let title = use_state(String::new);
///     {
///         let title = title.clone();
///         use_effect_with((), move |_| {
///             wasm_bindgen_futures::spawn_local(async move {
///                 if let Ok(report) = api.get::<Report>("/api/reports/latest").await {
///                     title.set(report.title);
///                 }
///             });
///         });
///     }
///     html! { <h2>{ (*title).clone() }</h2> }
/// }
/// ```
#[hook]
pub fn use_api() -> ApiClient {
    use_auth().api()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use shared::{
        LogoutResponse, Message, MySession, RevokeResult, SessionInfo, SessionStatus, User,
    };

    use super::*;

    fn counting_client() -> (ApiClient, Rc<Cell<u32>>) {
        let heard = Rc::new(Cell::new(0));
        let client = {
            let heard = heard.clone();
            ApiClient::new(Callback::from(move |()| heard.set(heard.get() + 1)))
        };
        (client, heard)
    }

    #[test]
    fn a_401_is_reported_to_the_auth_state_once_per_call() {
        let (client, heard) = counting_client();
        let answer: Result<User, _> = client.report(decode(401, ""));
        assert_eq!(answer, Err(ApiError::Unauthenticated));
        assert_eq!(heard.get(), 1);
        let _: Result<User, _> = client.report(decode(403, ""));
        let _: Result<User, _> = client.report(decode(200, r#"{"sub":"s","issuer":"i"}"#));
        let _: Result<User, _> = client.report(Err(ApiError::Network("x".into())));
        assert_eq!(heard.get(), 1, "only 401s");
        let _: Result<(), _> = client.report(decode(401, ""));
        assert_eq!(heard.get(), 2);
    }

    #[test]
    fn clients_of_the_same_provider_are_equal() {
        let (client, _) = counting_client();
        assert!(client == client.clone());
        let (other, _) = counting_client();
        assert!(client != other);
    }

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
}

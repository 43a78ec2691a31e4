//! One error type for the HTTP API, mapped to a status and a JSON body in one place.
//!
//! Bodies are `shared::ErrorBody`. 5xx bodies are opaque; the log carries the cause chain.

use actix_web::{
    body::{BoxBody, EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, StatusCode},
    middleware::Next,
    HttpResponse, ResponseError,
};
use shared::{ErrorBody, ErrorCode};

/// What went wrong, as the API answers it: each variant has one status and one
/// [`ErrorCode`], and the body is always `{"error": {"code", "message"}}` with a fixed, public
/// message (never the cause, which is logged). Return it from your handlers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No live session (401).
    #[error("not signed in")]
    Unauthenticated,
    /// Signed in, but lacking the named role or permission.
    #[error("forbidden: requires {0}")]
    Forbidden(&'static str),
    /// The anti-forgery check failed (403).
    #[error("anti-forgery check failed: {0}")]
    CsrfRejected(&'static str),
    /// The login transaction is missing, used or altered (400).
    #[error("login transaction rejected: {0}")]
    LoginTransaction(&'static str),
    /// The login took too long between the app and the provider (400).
    #[error("the login took too long")]
    LoginExpired,
    /// The person cancelled or refused the sign-in at the provider (400).
    #[error("the person cancelled or refused the sign-in: {0}")]
    AccessDenied(String),
    /// The provider answered the authorization request with another error (400).
    #[error("the provider refused the login: {0}")]
    LoginDenied(String),
    /// The app's after-callback hook refused the login (403 `login_refused`).
    #[error("the app refused the login: {}", .0.raw())]
    LoginRefused(crate::hooks::Refusal),
    /// The callback query is malformed (400).
    #[error("malformed callback: {0}")]
    BadCallback(&'static str),
    /// The provider's tokens failed verification (400).
    #[error("ID token rejected: {0}")]
    InvalidIdToken(String),
    /// A back-channel logout token failed validation (400).
    #[error("logout token rejected: {0}")]
    InvalidLogoutToken(String),
    /// The provider could not be reached or misbehaved (502).
    #[error("identity provider unavailable: {0}")]
    ProviderUnavailable(Cause),
    /// The provider's discovery document or keys are unacceptable (503).
    #[error("identity provider misconfigured: {0}")]
    ProviderMisconfigured(String),
    /// The provider refused the pushed authorization request (502 `par_refused`); the text
    /// names its OAuth error (logged, not sent).
    #[error("{0}")]
    ParRefused(String),
    /// The provider did not answer in time (504).
    #[error("identity provider timed out")]
    ProviderTimeout,
    /// The session store could not say whether the caller is signed in.
    #[error("session store unavailable")]
    StoreUnavailable,
    /// A query failed (503 `store_unavailable`); `?` on sqlx results gives this.
    #[error("database: {0}")]
    Database(Cause),
    /// The request is malformed (400); the text is logged, not sent.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// Method not allowed on this route (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Too many requests from this address (429).
    #[error("too many requests from this address")]
    RateLimited,
    /// The app's session data would pass its cap (413 `payload_too_large`).
    #[error("the app's session data would pass its cap")]
    SessionDataTooLarge,
    /// No such route or resource (404).
    #[error("not found")]
    NotFound,
    /// Anything else (500, opaque to the client; the log has the cause). Make one with
    /// [`ApiError::internal`].
    #[error("{0}")]
    Internal(Cause),
}

/// The cause behind an [`ApiError`], for the log only: never sent to the client.
pub struct Cause(anyhow::Error);

impl Cause {
    /// Any error as a cause.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Cause(anyhow::Error::from_boxed(error.into()))
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for Cause {}

impl From<anyhow::Error> for Cause {
    fn from(error: anyhow::Error) -> Self {
        Cause(error)
    }
}

impl ApiError {
    /// A 500 `internal` for the app's own failures: the client sees a fixed message, the log
    /// the cause.
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(Cause::new(error))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Database(Cause::new(error))
    }
}

impl From<crate::session::store::StoreError> for ApiError {
    fn from(error: crate::session::store::StoreError) -> Self {
        ApiError::Database(Cause::new(error))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        ApiError::Internal(Cause(error))
    }
}

impl ApiError {
    /// The stable code the SPA switches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Unauthenticated => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::CsrfRejected(_) => ErrorCode::CsrfRejected,
            ApiError::LoginTransaction(_) => ErrorCode::LoginTransactionInvalid,
            ApiError::LoginExpired => ErrorCode::LoginExpired,
            ApiError::AccessDenied(_) => ErrorCode::AccessDenied,
            ApiError::LoginDenied(_) => ErrorCode::LoginDenied,
            ApiError::LoginRefused(_) => ErrorCode::LoginRefused,
            ApiError::BadCallback(_) => ErrorCode::BadCallback,
            ApiError::InvalidIdToken(_) => ErrorCode::InvalidIdToken,
            ApiError::InvalidLogoutToken(_) => ErrorCode::InvalidLogoutToken,
            ApiError::ProviderUnavailable(_) | ApiError::ProviderTimeout => {
                ErrorCode::ProviderUnavailable
            }
            ApiError::ProviderMisconfigured(_) => ErrorCode::ProviderMisconfigured,
            ApiError::ParRefused(_) => ErrorCode::ParRefused,
            ApiError::StoreUnavailable | ApiError::Database(_) => ErrorCode::StoreUnavailable,
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::RateLimited => ErrorCode::RateLimited,
            ApiError::SessionDataTooLarge => ErrorCode::PayloadTooLarge,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What the user may read. Never a cause from inside the server.
    pub fn public_message(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "You are not signed in.",
            ApiError::Forbidden(_) => "You do not have access to this.",
            ApiError::CsrfRejected(_) => "The request was refused by the anti-forgery check.",
            ApiError::LoginTransaction(_) => {
                "The login could not be completed (it expired, was already used or was started in another browser). Please try again."
            }
            ApiError::LoginExpired => "The login took too long. Please start it again.",
            ApiError::AccessDenied(_) => "The sign-in was cancelled or not allowed.",
            ApiError::LoginDenied(_) => "The identity provider did not complete the login.",
            ApiError::LoginRefused(_) => "This app did not accept the sign-in.",
            ApiError::BadCallback(_) => "The login response was malformed.",
            ApiError::InvalidIdToken(_) => "The identity provider's answer failed verification.",
            ApiError::InvalidLogoutToken(_) => "The logout token is invalid.",
            ApiError::ProviderUnavailable(_) => {
                "The identity provider is unavailable. Please try again shortly."
            }
            ApiError::ProviderTimeout => "The identity provider did not answer in time.",
            ApiError::ParRefused(_) => {
                "The identity provider refused to start the login. Please contact the operator."
            }
            ApiError::ProviderMisconfigured(_) => {
                "The identity provider's configuration is not acceptable. Please contact the operator."
            }
            ApiError::StoreUnavailable | ApiError::Database(_) => {
                "The session store is unavailable. Please try again shortly."
            }
            ApiError::BadRequest(_) => "The request is malformed.",
            ApiError::MethodNotAllowed => "This method is not allowed here.",
            ApiError::RateLimited => "Too many attempts from your network. Please wait a moment.",
            ApiError::SessionDataTooLarge => "There is too much to keep in this session.",
            ApiError::NotFound => "Not found.",
            ApiError::Internal(_) => "Something went wrong on our side.",
        }
    }

    /// The JSON body: the code and the public message.
    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.public_message())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::CsrfRejected(_) => StatusCode::FORBIDDEN,
            ApiError::LoginRefused(_) => StatusCode::FORBIDDEN,
            ApiError::LoginTransaction(_)
            | ApiError::LoginExpired
            | ApiError::AccessDenied(_)
            | ApiError::LoginDenied(_)
            | ApiError::BadCallback(_)
            | ApiError::InvalidIdToken(_)
            | ApiError::InvalidLogoutToken(_)
            | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::ProviderUnavailable(_) | ApiError::ParRefused(_) => StatusCode::BAD_GATEWAY,
            ApiError::ProviderTimeout => StatusCode::GATEWAY_TIMEOUT,
            ApiError::ProviderMisconfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::StoreUnavailable | ApiError::Database(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ApiError::SessionDataTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error.code = self.code().as_str(), error.cause = ?error_chain(self), "request failed");
        } else {
            tracing::info!(error.code = self.code().as_str(), error.detail = %self, "request refused");
        }
        json_error(status, self.body())
    }
}

/// An error and its sources, `: `-separated (for logs).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

pub fn json_error(status: StatusCode, body: ErrorBody) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Wraps the API scope (`Auth::api`), so every request it sees is an API request: none gets an
/// HTML or empty error page. Error responses without a JSON body (from actix-web's extractors,
/// actix-session, ...) become `ErrorBody` JSON.
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(err) => {
            // An error that escaped the services (from actix-session): rendered here as JSON.
            // The outer middleware adds its headers to it through [`with_error_response`].
            let status = err.as_response_error().status_code();
            tracing::error!(error = %err, status = status.as_u16(), "request failed in middleware");
            return Err(actix_web::error::InternalError::from_response(
                err,
                replacement_response(status),
            )
            .into());
        }
    };
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let (req, _old) = res.into_parts();
        let replacement = replacement_response(status);
        return Ok(ServiceResponse::new(req, replacement).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

/// An error on its way out of a middleware, with its response changed by `edit` (headers
/// every response carries, including those of errors raised in middleware).
pub fn with_error_response(
    err: actix_web::Error,
    edit: impl FnOnce(&mut HttpResponse),
) -> actix_web::Error {
    let mut response = err.error_response();
    edit(&mut response);
    actix_web::error::InternalError::from_response(err, response).into()
}

fn replacement_response(status: StatusCode) -> HttpResponse {
    let code = match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        s if s.is_client_error() => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    };
    let message = if status.is_server_error() {
        "Something went wrong on our side."
    } else {
        status.canonical_reason().unwrap_or("Request refused")
    };
    json_error(status, ErrorBody::new(code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_have_opaque_bodies() {
        let err = ApiError::Internal(anyhow::anyhow!("password=hunter2 in a connection string").into());
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&err.body()).unwrap();
        assert!(!body.contains("hunter2"));
        assert!(body.contains("\"code\":\"internal\""));
    }

    #[test]
    fn each_error_maps_to_its_status_and_code() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (ApiError::Unauthenticated, 401, "unauthenticated"),
            (ApiError::CsrfRejected("x"), 403, "csrf_rejected"),
            (
                ApiError::LoginTransaction("x"),
                400,
                "login_transaction_invalid",
            ),
            (ApiError::LoginDenied("x".into()), 400, "login_denied"),
            (ApiError::BadCallback("x"), 400, "bad_callback"),
            (
                ApiError::InvalidIdToken("x".into()),
                400,
                "invalid_id_token",
            ),
            (
                ApiError::ProviderUnavailable(anyhow::anyhow!("x").into()),
                502,
                "provider_unavailable",
            ),
            (ApiError::ProviderTimeout, 504, "provider_unavailable"),
            (ApiError::ParRefused("invalid_client".into()), 502, "par_refused"),
            (ApiError::StoreUnavailable, 503, "store_unavailable"),
            (
                ApiError::from(sqlx::Error::PoolTimedOut),
                503,
                "store_unavailable",
            ),
            (ApiError::MethodNotAllowed, 405, "method_not_allowed"),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status_code().as_u16(), status, "{err}");
            assert_eq!(err.code().as_str(), code);
        }
    }
}

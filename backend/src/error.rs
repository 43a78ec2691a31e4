//! One error type for the HTTP API, mapped to a status and a JSON body in one place.
//!
//! Bodies are `shared::ErrorBody`. 5xx bodies are opaque; the log carries the cause chain.

use std::cell::Cell;

use actix_web::{
    body::{BoxBody, EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, StatusCode},
    middleware::Next,
    HttpResponse, ResponseError,
};
use shared::{error_code, ErrorBody};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not signed in")]
    Unauthenticated,
    /// Signed in, but lacking the named role or permission.
    #[error("forbidden: requires {0}")]
    Forbidden(&'static str),
    #[error("anti-forgery check failed: {0}")]
    CsrfRejected(&'static str),
    #[error("login transaction rejected: {0}")]
    LoginTransaction(&'static str),
    #[error("the provider refused the login: {0}")]
    LoginDenied(String),
    #[error("malformed callback: {0}")]
    BadCallback(&'static str),
    #[error("ID token rejected: {0}")]
    InvalidIdToken(String),
    #[error("logout token rejected: {0}")]
    InvalidLogoutToken(String),
    #[error("identity provider unavailable: {0:#}")]
    ProviderUnavailable(anyhow::Error),
    #[error("identity provider misconfigured: {0}")]
    ProviderMisconfigured(String),
    #[error("identity provider timed out")]
    ProviderTimeout,
    #[error("session store unavailable: {0}")]
    StoreUnavailable(#[source] sqlx::Error),
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        mark_store_failure();
        ApiError::StoreUnavailable(err)
    }
}

impl ApiError {
    /// The stable code the SPA switches on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => error_code::UNAUTHENTICATED,
            ApiError::Forbidden(_) => error_code::FORBIDDEN,
            ApiError::CsrfRejected(_) => error_code::CSRF_REJECTED,
            ApiError::LoginTransaction(_) => error_code::LOGIN_TRANSACTION_INVALID,
            ApiError::LoginDenied(_) => error_code::LOGIN_DENIED,
            ApiError::BadCallback(_) => error_code::BAD_CALLBACK,
            ApiError::InvalidIdToken(_) => error_code::INVALID_ID_TOKEN,
            ApiError::InvalidLogoutToken(_) => error_code::INVALID_LOGOUT_TOKEN,
            ApiError::ProviderUnavailable(_) | ApiError::ProviderTimeout => {
                error_code::PROVIDER_UNAVAILABLE
            }
            ApiError::ProviderMisconfigured(_) => error_code::PROVIDER_MISCONFIGURED,
            ApiError::StoreUnavailable(_) => error_code::STORE_UNAVAILABLE,
            ApiError::BadRequest(_) => error_code::BAD_REQUEST,
            ApiError::MethodNotAllowed => error_code::METHOD_NOT_ALLOWED,
            ApiError::NotFound => error_code::NOT_FOUND,
            ApiError::Internal(_) => error_code::INTERNAL,
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
            ApiError::LoginDenied(_) => "The identity provider did not complete the login.",
            ApiError::BadCallback(_) => "The login response was malformed.",
            ApiError::InvalidIdToken(_) => "The identity provider's answer failed verification.",
            ApiError::InvalidLogoutToken(_) => "The logout token is invalid.",
            ApiError::ProviderUnavailable(_) => {
                "The identity provider is unavailable. Please try again shortly."
            }
            ApiError::ProviderTimeout => "The identity provider did not answer in time.",
            ApiError::ProviderMisconfigured(_) => {
                "The identity provider's configuration is not acceptable. Please contact the operator."
            }
            ApiError::StoreUnavailable(_) => {
                "The session store is unavailable. Please try again shortly."
            }
            ApiError::BadRequest(_) => "The request is malformed.",
            ApiError::MethodNotAllowed => "This method is not allowed here.",
            ApiError::NotFound => "Not found.",
            ApiError::Internal(_) => "Something went wrong on our side.",
        }
    }

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
            ApiError::LoginTransaction(_)
            | ApiError::LoginDenied(_)
            | ApiError::BadCallback(_)
            | ApiError::InvalidIdToken(_)
            | ApiError::InvalidLogoutToken(_)
            | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::ProviderUnavailable(_) => StatusCode::BAD_GATEWAY,
            ApiError::ProviderTimeout => StatusCode::GATEWAY_TIMEOUT,
            ApiError::ProviderMisconfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error.code = self.code(), error.cause = ?error_chain(self), "request failed");
        } else {
            tracing::info!(error.code = self.code(), error.detail = %self, "request refused");
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

tokio::task_local! {
    static STORE_FAILED: Cell<bool>;
}

/// Records, for the request being served, that the session store failed. actix-session turns a
/// store failure into an opaque 500 before our handlers run; [`json_errors`] reads this mark to
/// answer 503 `store_unavailable` instead.
pub fn mark_store_failure() {
    let _ = STORE_FAILED.try_with(|failed| failed.set(true));
}

/// Outermost middleware: a request under `/api` never gets an HTML or empty error page. Error
/// responses without a JSON body (from actix-web's extractors, actix-session, ...) become
/// `ErrorBody` JSON; a session-store failure becomes 503.
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let is_api = req.path().starts_with("/api/") || req.path() == "/api";
    let (result, store_failed) = STORE_FAILED
        .scope(Cell::new(false), async move {
            let result = next.call(req).await;
            (result, STORE_FAILED.with(Cell::get))
        })
        .await;
    let res = match result {
        Ok(res) => res,
        Err(err) => {
            // An error that escaped the services (e.g. from actix-session): render it here.
            let status = err.as_response_error().status_code();
            return Err(actix_web::error::InternalError::from_response(
                err,
                replacement_response(status, store_failed),
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
    if (status.is_client_error() || status.is_server_error())
        && (is_api || store_failed)
        && !is_json
    {
        let (req, _old) = res.into_parts();
        let replacement = replacement_response(status, store_failed);
        return Ok(ServiceResponse::new(req, replacement).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

fn replacement_response(status: StatusCode, store_failed: bool) -> HttpResponse {
    if store_failed && status.is_server_error() {
        let err = ApiError::StoreUnavailable(sqlx::Error::PoolTimedOut);
        return json_error(err.status_code(), err.body());
    }
    let code = match status {
        StatusCode::UNAUTHORIZED => error_code::UNAUTHENTICATED,
        StatusCode::FORBIDDEN => error_code::FORBIDDEN,
        StatusCode::NOT_FOUND => error_code::NOT_FOUND,
        StatusCode::METHOD_NOT_ALLOWED => error_code::METHOD_NOT_ALLOWED,
        StatusCode::PAYLOAD_TOO_LARGE => error_code::PAYLOAD_TOO_LARGE,
        s if s.is_client_error() => error_code::BAD_REQUEST,
        _ => error_code::INTERNAL,
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
        let err = ApiError::Internal(anyhow::anyhow!("password=hunter2 in a connection string"));
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
                ApiError::ProviderUnavailable(anyhow::anyhow!("x")),
                502,
                "provider_unavailable",
            ),
            (ApiError::ProviderTimeout, 504, "provider_unavailable"),
            (
                ApiError::StoreUnavailable(sqlx::Error::PoolTimedOut),
                503,
                "store_unavailable",
            ),
            (ApiError::MethodNotAllowed, 405, "method_not_allowed"),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status_code().as_u16(), status, "{err}");
            assert_eq!(err.code(), code);
        }
    }
}

//! Logging: `tracing` with `RUST_LOG`, one root span per request carrying a request id (also
//! returned as `x-request-id`). The root span records the path only, never the query string:
//! callback queries carry authorization codes.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    HttpMessage,
};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber (once; later calls are ignored, as in tests).
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json");
    // Colours only for a person at a terminal: escape codes cost time on every request's span
    // and clutter files and log collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(std::io::stdout);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The root span of each request for `tracing_actix_web::TracingLogger`: method, path (never
/// the query), request id, status, and the session's public id once an extractor knows it.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            request_id = %request_id,
            // The session's public id, once `CurrentSession` or `OptionalSession` knows it.
            session_id = tracing::field::Empty,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(res) => res.status(),
            Err(err) => err.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
        if status.is_server_error() {
            tracing::warn!(parent: &span, status = status.as_u16(), "request finished");
        } else {
            tracing::debug!(parent: &span, status = status.as_u16(), "request finished");
        }
    }
}

/// Adds `x-request-id` to every response (inside `TracingLogger`, which assigns the id).
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| HeaderValue::from_str(&id.to_string()).ok());
    let name = HeaderName::from_static("x-request-id");
    match next.call(req).await {
        Ok(mut res) => {
            if let Some(value) = id {
                res.headers_mut().insert(name, value);
            }
            Ok(res)
        }
        Err(err) => Err(crate::error::with_error_response(err, |res| {
            if let Some(value) = id {
                res.headers_mut().insert(name, value);
            }
        })),
    }
}

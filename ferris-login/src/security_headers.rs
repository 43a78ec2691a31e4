//! Security headers on every response; `no-store` on everything under `/api`.

use crate::error::with_error_response;
use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
};

/// The header values, computed once at start-up.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: bool,
    api_prefix: String,
}

impl SecurityHeaders {
    /// `script_hashes` allow the SPA's inline loader; `issuer_origin` serves avatars in
    /// development (profile pictures may come from any https host).
    /// `api_prefix`: where the API is mounted (its responses are `no-store`).
    pub fn new(
        script_hashes: &[String],
        issuer_origin: Option<&str>,
        https: bool,
        api_prefix: &str,
    ) -> Self {
        let mut script_src = vec!["'self'", "'wasm-unsafe-eval'"];
        script_src.extend(script_hashes.iter().map(String::as_str));
        let mut img_src = vec!["'self'", "data:", "https:"];
        if let Some(origin) = issuer_origin.filter(|o| o.starts_with("http://")) {
            img_src.push(origin);
        }
        let csp = format!(
            "default-src 'self'; script-src {}; style-src 'self'; img-src {}; \
             connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
            script_src.join(" "),
            img_src.join(" ")
        );
        Self {
            csp: HeaderValue::from_str(&csp).expect("CSP is ASCII"),
            hsts: https,
            api_prefix: api_prefix.to_owned(),
        }
    }

    fn apply(&self, api: bool, headers: &mut header::HeaderMap) {
        let set = |headers: &mut header::HeaderMap, name: HeaderName, value: HeaderValue| {
            headers.insert(name, value);
        };
        set(headers, header::CONTENT_SECURITY_POLICY, self.csp.clone());
        set(
            headers,
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        set(
            headers,
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        );
        set(
            headers,
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        set(
            headers,
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        set(
            headers,
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        );
        if self.hsts {
            set(
                headers,
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=63072000"),
            );
        }
        if api {
            set(
                headers,
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            );
            set(
                headers,
                header::PRAGMA,
                HeaderValue::from_static("no-cache"),
            );
        }
    }
}


pub async fn add_security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let headers = req
        .app_data::<actix_web::web::Data<SecurityHeaders>>()
        .cloned();
    let api = headers
        .as_ref()
        .is_some_and(|h| crate::config::is_under(req.path(), &h.api_prefix));
    match next.call(req).await {
        Ok(mut res) => {
            if let Some(h) = headers {
                h.apply(api, res.headers_mut());
            }
            Ok(res)
        }
        Err(err) => Err(with_error_response(err, |res| {
            if let Some(h) = headers {
                h.apply(api, res.headers_mut());
            }
        })),
    }
}

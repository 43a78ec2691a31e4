//! Server-rendered pages behind the login (`withPageAuthRequired`, Django's `login_required`):
//! [`Auth::pages`](crate::Auth::pages) carries the session to the app's own page routes, and
//! [`LoginRequired`] sends a signed-out browser to the login, which brings it back.
//!
//! Pages differ from the API in two ways:
//! - A browser navigates to them, so they need no `X-CSRF` header. Safe methods (`GET`,
//!   `HEAD`, `OPTIONS`) pass; any other method (a form's `POST`) must come from our own origin
//!   (`Sec-Fetch-Site: same-origin`, or an `Origin` naming us): 403 otherwise.
//! - A signed-out visitor is redirected to `/api/auth/login?returnTo=<this page>` instead of
//!   getting a 401; the login validates `returnTo` as it always does (same origin, no API
//!   paths).
//! - The session cookie is `SameSite=Strict`: a navigation that arrives from another site (the
//!   provider's redirect after login, a link in an email) does not carry it. Such a request
//!   gets a tiny page that reloads the same address from our own origin, which carries the
//!   cookie; only if that one has no session either does the browser go to the login. Without
//!   this hop, the first page after every login would loop back to the provider.
//!
//! What the pages answer is personal: every response is `Cache-Control: no-store`.

use std::ops::Deref;

use actix_web::{
    body::{BoxBody, EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderValue},
        Method, StatusCode,
    },
    middleware::Next,
    web, FromRequest, HttpRequest, HttpResponse, ResponseError,
};
use futures_util::future::LocalBoxFuture;

use crate::{auth::navigation, error::ApiError, session::CurrentSession, state::AppState};

/// The signed-in session, for a page: like [`CurrentSession`] (which it derefs to), but a
/// browser with no session is sent to the login and comes back to this page afterwards.
///
/// ```no_run
/// use actix_web::{web, HttpResponse};
/// use ferris_login::LoginRequired;
///
/// async fn account(session: LoginRequired) -> HttpResponse {
///     HttpResponse::Ok()
///         .content_type("text/html; charset=utf-8")
///         .body(format!("<h1>Hello</h1><p>{} roles</p>", session.roles().len()))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct LoginRequired(CurrentSession);

impl LoginRequired {
    /// The session.
    pub fn into_inner(self) -> CurrentSession {
        self.0
    }
}

impl Deref for LoginRequired {
    type Target = CurrentSession;

    fn deref(&self) -> &CurrentSession {
        &self.0
    }
}

/// Why [`LoginRequired`] did not let a request through.
#[derive(Debug)]
pub enum PageRefusal {
    /// A navigation from another site, which cannot carry the `SameSite=Strict` cookie: load
    /// the same page again from our origin.
    Reload,
    /// Signed out: to the login, and back to `return_to` after.
    Login {
        /// The login's address, with `returnTo`.
        location: String,
        /// `303` after a form's `POST`, else `302`.
        see_other: bool,
    },
    /// Anything else (the store down, say): the API's JSON error.
    Api(ApiError),
}

impl std::fmt::Display for PageRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageRefusal::Reload => f.write_str("cross-site navigation: reloaded from our origin"),
            PageRefusal::Login { .. } => f.write_str("not signed in: redirected to the login"),
            PageRefusal::Api(err) => err.fmt(f),
        }
    }
}

impl ResponseError for PageRefusal {
    fn status_code(&self) -> StatusCode {
        match self {
            PageRefusal::Login {
                see_other: true, ..
            } => StatusCode::SEE_OTHER,
            PageRefusal::Login { .. } => StatusCode::FOUND,
            PageRefusal::Reload => StatusCode::OK,
            PageRefusal::Api(err) => err.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            PageRefusal::Login { location, .. } => HttpResponse::build(self.status_code())
                .insert_header((header::LOCATION, location.as_str()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            PageRefusal::Reload => navigation::reload_from_our_origin(),
            PageRefusal::Api(err) => err.error_response(),
        }
    }
}

/// The login's address for a browser on `req`'s page, coming back to it.
fn login_location(req: &HttpRequest, state: &AppState) -> String {
    let page = match req.uri().path_and_query() {
        Some(pq) if req.method() == Method::GET || req.method() == Method::HEAD => pq.as_str(),
        // After a form's POST, back to the page itself (its GET).
        _ => req.path(),
    };
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("returnTo", page)
        .finish();
    state
        .config
        .base_url
        .join_path(&format!("{}/auth/login?{query}", state.config.api_prefix))
}

impl FromRequest for LoginRequired {
    type Error = PageRefusal;
    type Future = LocalBoxFuture<'static, Result<Self, PageRefusal>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = CurrentSession::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            match session.await {
                Ok(session) => Ok(LoginRequired(session)),
                Err(ApiError::Unauthenticated)
                    if (req.method() == Method::GET || req.method() == Method::HEAD)
                        && navigation::is_from_another_site(&req) =>
                {
                    Err(PageRefusal::Reload)
                }
                Err(ApiError::Unauthenticated) => {
                    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| {
                        PageRefusal::Api(ApiError::Internal(
                            anyhow::anyhow!(
                                "AppState not registered: mount the page under Auth::pages"
                            )
                            .into(),
                        ))
                    })?;
                    Err(PageRefusal::Login {
                        location: login_location(&req, state),
                        see_other: req.method() != Method::GET && req.method() != Method::HEAD,
                    })
                }
                Err(err) => Err(PageRefusal::Api(err)),
            }
        })
    }
}

/// Why a page request is refused as cross-site, if it is: a method that changes something
/// must come from our own origin.
pub(crate) fn cross_site(req: &ServiceRequest, our_origin: &str) -> Option<&'static str> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    match (header("sec-fetch-site"), header("origin")) {
        (Some("same-origin"), None) => None,
        (Some("same-origin"), Some(origin)) | (None, Some(origin)) if origin == our_origin => None,
        (Some(_), _) => Some("cross-site request"),
        (None, Some(_)) => Some("foreign Origin"),
        (None, None) => Some("neither Sec-Fetch-Site nor Origin says where this came from"),
    }
}

/// Refuses cross-site changes to pages (403 JSON), and marks every page response
/// `no-store`.
pub(crate) async fn guard_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let origin = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.base_url.origin_str().to_owned())
        .unwrap_or_default();
    if let Some(reason) = cross_site(&req, &origin) {
        let response = ApiError::CsrfRejected(reason).error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    const ORIGIN: &str = "https://app.example.com";

    fn verdict(req: TestRequest) -> Option<&'static str> {
        cross_site(&req.to_srv_request(), ORIGIN)
    }

    #[test]
    fn a_navigation_needs_no_anti_forgery_header() {
        assert_eq!(verdict(TestRequest::get().uri("/account")), None);
        assert_eq!(
            verdict(
                TestRequest::get()
                    .uri("/account")
                    .insert_header(("Sec-Fetch-Site", "cross-site"))
            ),
            None
        );
    }

    #[test]
    fn a_form_post_must_come_from_our_origin() {
        let post = || TestRequest::post().uri("/account/settings");
        assert_eq!(
            verdict(post().insert_header(("Sec-Fetch-Site", "same-origin"))),
            None
        );
        assert_eq!(verdict(post().insert_header(("Origin", ORIGIN))), None);
        assert!(verdict(post().insert_header(("Sec-Fetch-Site", "cross-site"))).is_some());
        assert!(verdict(post().insert_header(("Origin", "https://evil.example"))).is_some());
        assert!(verdict(
            post()
                .insert_header(("Sec-Fetch-Site", "same-origin"))
                .insert_header(("Origin", "https://evil.example"))
        )
        .is_some());
        assert!(verdict(post()).is_some());
    }
}

//! Coming back to the page a person logged out from, after the provider's logout page, with
//! one post-logout URL registered at the provider (`{AUTH0_BASE_URL}/`) for every page.
//!
//! Logout puts the same-origin path in a short-lived, sealed cookie (this module's, and only
//! this module's: `bff_logout_return`, `__Host-` over https, HttpOnly, `SameSite=Lax` so it
//! comes along on the provider's redirect back). The provider sends the browser to `/`; the
//! middleware here sees the cookie, clears it and redirects to the path. The path was
//! validated as a `ReturnTo` when it was written and is sealed, so nothing else can put one
//! there.

use actix_web::{
    body::{EitherBody, MessageBody},
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::Next,
    web, HttpResponse,
};
use serde::{Deserialize, Serialize};

use super::return_to::ReturnTo;
use crate::{crypto::Keyring, state::AppState};

/// How long the provider's logout may take.
const TTL_SECONDS: i64 = 600;
const NAME: &str = "bff_logout_return";

#[derive(Serialize, Deserialize)]
struct Saved {
    path: ReturnTo,
    /// Unix seconds.
    expires_at: i64,
}

fn name(https: bool) -> String {
    if https {
        format!("__Host-{NAME}")
    } else {
        NAME.to_owned()
    }
}

fn attributes(cookie: &mut Cookie<'static>, https: bool) {
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_secure(https);
    cookie.set_same_site(SameSite::Lax);
}

/// The cookie that brings the browser back to `path` after the provider's logout.
pub fn remember(keys: &Keyring, https: bool, path: &ReturnTo, now: i64) -> Cookie<'static> {
    let name = name(https);
    let saved = Saved {
        path: path.clone(),
        expires_at: now + TTL_SECONDS,
    };
    let json = serde_json::to_vec(&saved).expect("a return path always serialises");
    let mut cookie = Cookie::new(name.clone(), keys.seal(name.as_bytes(), &json));
    attributes(&mut cookie, https);
    cookie.set_max_age(CookieDuration::seconds(TTL_SECONDS));
    cookie
}

fn removal(https: bool) -> Cookie<'static> {
    let mut cookie = Cookie::new(name(https), "");
    attributes(&mut cookie, https);
    cookie.make_removal();
    cookie
}

/// The remembered path, if the request carries a valid, unexpired one.
fn recall(req: &ServiceRequest, keys: &Keyring, https: bool, now: i64) -> Option<ReturnTo> {
    let name = name(https);
    let cookie = req.cookie(&name)?;
    let json = keys.open(name.as_bytes(), cookie.value())?;
    let saved: Saved = serde_json::from_slice(&json).ok()?;
    (saved.expires_at > now).then_some(saved.path)
}

/// On `GET /` with the cookie: clear it and go to the remembered path.
pub async fn resume_after_provider_logout(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.method() != Method::GET || req.path() != "/" {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let https = state.config.base_url.is_https();
    let now = state.clock.now().unix_timestamp();
    let has_cookie = req.cookie(&name(https)).is_some();
    if !has_cookie {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let target = recall(&req, &state.keys, https, now);
    let mut response = match &target {
        Some(path) if path.as_str() != "/" => HttpResponse::Found()
            .insert_header((
                header::LOCATION,
                state.config.base_url.join_path(path.as_str()),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        // Expired, forged or `/`: just clear it and show the page.
        _ => {
            let mut res = next.call(req).await?;
            let _ = res.response_mut().add_cookie(&removal(https));
            return Ok(res.map_into_left_body());
        }
    };
    let _ = response.add_cookie(&removal(https));
    let (req, _) = req.into_parts();
    Ok(ServiceResponse::new(req, response).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use actix_web::{test as actix_test, App};

    use super::*;
    use crate::config::BaseUrl;

    #[test]
    fn a_remembered_path_is_sealed_and_expires() {
        let keys = Keyring::from_secrets(["a-test-secret-that-is-long-enough-123"]);
        let path = ReturnTo::parse_or_root(
            Some("/messages?x=1"),
            &BaseUrl::parse("https://app.example.com").unwrap(),
        );
        let cookie = remember(&keys, true, &path, 1_000);
        assert_eq!(cookie.name(), "__Host-bff_logout_return");
        assert!(!cookie.value().contains("messages"), "sealed");
        let req = actix_test::TestRequest::default()
            .cookie(cookie.clone())
            .to_srv_request();
        assert_eq!(recall(&req, &keys, true, 1_001), Some(path));
        assert_eq!(recall(&req, &keys, true, 1_000 + TTL_SECONDS), None);
        let other = Keyring::from_secrets(["another-secret-that-is-long-enough-456"]);
        assert_eq!(recall(&req, &other, true, 1_001), None);
    }

    #[actix_web::test]
    async fn other_requests_pass_untouched() {
        let app = actix_test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(resume_after_provider_logout))
                .route("/", web::get().to(|| async { "index" })),
        )
        .await;
        let res =
            actix_test::call_service(&app, actix_test::TestRequest::get().uri("/").to_request())
                .await;
        assert_eq!(res.status(), 200);
    }
}

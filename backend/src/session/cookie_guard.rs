//! The session cookie, before actix-session reads it.
//!
//! - Duplicates: a request carrying the session cookie name twice (a sibling subdomain can
//!   plant `Domain=.example.com; Path=/api` cookies, which browsers send first) is treated as
//!   anonymous: both are dropped, so the attacker's session is never used.
//! - `AUTH0_SECRET` rotation: actix-session verifies with one key; a cookie signed by a
//!   previous key of the ring is re-signed with the current key before actix-session reads
//!   it, and the browser gets the re-signed cookie, so sessions survive a rotation
//!   (`new,old`) and move to the new key as they are used.

use actix_web::{
    body::MessageBody,
    cookie::{Cookie, CookieJar, Key},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    web,
};

/// The session cookie's name and the keys derived from each `AUTH0_SECRET` entry.
#[derive(Clone)]
pub struct SessionCookieKeys {
    pub name: &'static str,
    pub current: Key,
    pub previous: Vec<Key>,
    /// `Max-Age` of a re-issued cookie (the absolute session timeout).
    pub max_age: actix_web::cookie::time::Duration,
}

impl SessionCookieKeys {
    /// The signed value re-signed with the current key, when it verifies only with a previous
    /// key; `None` when it already verifies with the current key, or with none.
    pub fn resign(&self, signed_value: &str) -> Option<String> {
        let original = Cookie::new(self.name, signed_value.to_owned());
        if verify(&self.current, &original).is_some() {
            return None;
        }
        let value = self
            .previous
            .iter()
            .find_map(|key| verify(key, &original))?;
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.current)
            .add(Cookie::new(self.name, value));
        jar.get(self.name).map(|c| c.value().to_owned())
    }
}

impl SessionCookieKeys {
    /// The session key of this request's (verified) session cookie, if any.
    pub fn session_key(&self, req: &actix_web::HttpRequest) -> Option<String> {
        let cookie = req.cookie(self.name)?;
        verify(&self.current, &cookie.into_owned())
    }
}

fn verify(key: &Key, cookie: &Cookie<'static>) -> Option<String> {
    let mut jar = CookieJar::new();
    jar.add_original(cookie.clone());
    jar.signed(key)
        .get(cookie.name())
        .map(|c| c.value().to_owned())
}

pub async fn guard_session_cookie(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(keys) = req.app_data::<web::Data<SessionCookieKeys>>().cloned() else {
        return next.call(req).await;
    };
    let mut resigned = None;
    // Parse the header ourselves: `req.cookies()` would cache the unrewritten cookies.
    let header_value = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(raw) = header_value {
        let is_session =
            |pair: &str| Cookie::parse_encoded(pair).is_ok_and(|c| c.name() == keys.name);
        let pairs_in = || raw.split(';').map(str::trim).filter(|p| !p.is_empty());
        if pairs_in().filter(|p| is_session(p)).count() > 1 {
            tracing::warn!("two session cookies in one request: treated as anonymous");
            let kept: Vec<&str> = pairs_in().filter(|p| !is_session(p)).collect();
            match HeaderValue::from_str(&kept.join("; ")) {
                Ok(value) if !kept.is_empty() => {
                    req.headers_mut().insert(header::COOKIE, value);
                }
                _ => {
                    req.headers_mut().remove(header::COOKIE);
                }
            }
            return next.call(req).await;
        }
        if keys.previous.is_empty() {
            return next.call(req).await;
        }
        let mut pairs: Vec<String> = Vec::new();
        for pair in pairs_in() {
            // Values are percent-encoded (actix-web writes them so).
            let ours = Cookie::parse_encoded(pair)
                .ok()
                .filter(|c| c.name() == keys.name && resigned.is_none());
            match ours.and_then(|c| keys.resign(c.value())) {
                Some(new_value) => {
                    let cookie = Cookie::new(keys.name, new_value.clone());
                    pairs.push(cookie.encoded().to_string());
                    resigned = Some(new_value);
                }
                None => pairs.push(pair.to_owned()),
            }
        }
        if resigned.is_some() {
            if let Ok(value) = HeaderValue::from_str(&pairs.join("; ")) {
                req.headers_mut().insert(header::COOKIE, value);
            }
        }
    }
    let mut res = next.call(req).await?;
    if let Some(value) = resigned {
        // Unless actix-session already set or cleared the cookie, hand out the re-signed one.
        let already = res.headers().get_all(header::SET_COOKIE).any(|c| {
            c.to_str()
                .is_ok_and(|c| c.starts_with(&format!("{}=", keys.name)))
        });
        if !already {
            let cookie = crate::startup::session_cookie_template(keys.name, value, keys.max_age);
            if let Ok(v) = HeaderValue::from_str(&cookie.encoded().to_string()) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keyring;

    const NEW: &str = "a-new-secret-that-is-long-enough-1111";
    const OLD: &str = "an-old-secret-that-is-long-enough-000";

    fn signed(key: &Key, value: &str) -> String {
        let mut jar = CookieJar::new();
        jar.signed_mut(key).add(Cookie::new("s", value.to_owned()));
        jar.get("s").unwrap().value().to_owned()
    }

    fn keys() -> SessionCookieKeys {
        let ring = Keyring::from_secrets([NEW, OLD]);
        let old = Keyring::from_secrets([OLD]).session_cookie_key();
        SessionCookieKeys {
            name: "s",
            current: ring.session_cookie_key(),
            previous: vec![old],
            max_age: actix_web::cookie::time::Duration::hours(1),
        }
    }

    #[test]
    fn a_cookie_signed_by_a_previous_key_is_re_signed_with_the_current_one() {
        let keys = keys();
        let old_signed = signed(&keys.previous[0], "session-key");
        let resigned = keys.resign(&old_signed).unwrap();
        assert_eq!(resigned, signed(&keys.current, "session-key"));
    }

    #[test]
    fn current_and_unknown_signatures_are_left_alone() {
        let keys = keys();
        assert_eq!(keys.resign(&signed(&keys.current, "v")), None);
        let stranger = Keyring::from_secrets(["a-stranger-secret-long-enough-99999"]);
        assert_eq!(
            keys.resign(&signed(&stranger.session_cookie_key(), "v")),
            None
        );
        assert_eq!(keys.resign("garbage"), None);
    }
}

//! The session cookie, defined in one place: its name and attributes, the actix-session
//! middleware configured to match, and a guard that runs before actix-session reads it.
//!
//! - `bff_session` (over https `__Host-bff_session`, with `Secure`): `HttpOnly`,
//!   `SameSite=Strict`, `Path=/`, host-only, `Max-Age` of the absolute timeout. Its value is the
//!   session's random id, signed (HMAC) with a key derived from `AUTH0_SECRET`.
//! - Duplicates: a request carrying the session cookie name twice (a sibling subdomain can
//!   plant `Domain=.example.com; Path=/api` cookies, which browsers send first) is treated as
//!   anonymous: both are dropped, so the attacker's session is never used.
//! - `AUTH0_SECRET` rotation: actix-session verifies with one key; a cookie signed by a
//!   previous key of the ring is re-signed with the current key before actix-session reads
//!   it, and the browser gets the re-signed cookie, so sessions survive a rotation
//!   (`new,old`) and move to the new key as they are used.

use std::time::Duration;

use actix_session::{
    config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy},
    SessionMiddleware,
};
use actix_web::{
    body::MessageBody,
    cookie::{time::Duration as CookieDuration, Cookie, CookieJar, Key, SameSite},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    web,
};

use super::actix_store::ActixSessionStore;
use crate::crypto::Keyring;

/// The session cookie: name, attributes and the keys that sign it.
#[derive(Clone)]
pub struct SessionCookieConfig {
    pub name: &'static str,
    secure: bool,
    max_age: CookieDuration,
    current: Key,
    previous: Vec<Key>,
}

impl SessionCookieConfig {
    /// `https`: the app's public origin is https (`__Host-` prefix and `Secure`). `lifetime`:
    /// the absolute session timeout (the cookie's `Max-Age`).
    pub fn new(keys: &Keyring, https: bool, lifetime: Duration) -> Self {
        Self {
            name: if https {
                "__Host-bff_session"
            } else {
                "bff_session"
            },
            secure: https,
            max_age: CookieDuration::seconds(lifetime.as_secs().min(i64::MAX as u64) as i64),
            current: keys.session_cookie_key(),
            previous: keys.previous_session_cookie_keys(),
        }
    }

    /// actix-session's middleware, writing exactly this cookie.
    pub fn middleware(&self, store: ActixSessionStore) -> SessionMiddleware<ActixSessionStore> {
        SessionMiddleware::builder(store, self.current.clone())
            .cookie_name(self.name.to_owned())
            .cookie_secure(self.secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Strict)
            .cookie_path("/".to_owned())
            .cookie_domain(None)
            .cookie_content_security(CookieContentSecurity::Signed)
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(self.max_age)
                    .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
            )
            .build()
    }

    /// A session id signed with the current key, as actix-session writes it into the cookie.
    pub(crate) fn sign(&self, session_id: String) -> String {
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.current)
            .add(Cookie::new(self.name, session_id));
        jar.get(self.name)
            .map(|c| c.value().to_owned())
            .expect("the jar holds the cookie it was just given")
    }

    /// The cookie with this (already signed) value and every attribute.
    pub fn cookie(&self, signed_value: String) -> Cookie<'static> {
        Cookie::build(self.name, signed_value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Strict)
            .max_age(self.max_age)
            .finish()
    }

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
        Some(self.sign(value))
    }
}

fn verify(key: &Key, cookie: &Cookie<'static>) -> Option<String> {
    let mut jar = CookieJar::new();
    jar.add_original(cookie.clone());
    jar.signed(key)
        .get(cookie.name())
        .map(|c| c.value().to_owned())
}

/// Each `name=value` pair of a `Cookie` header.
fn pairs(header: &str) -> impl Iterator<Item = &str> {
    header.split(';').map(str::trim).filter(|p| !p.is_empty())
}

fn is_named(pair: &str, name: &str) -> bool {
    pair.split_once('=').is_some_and(|(n, _)| n.trim() == name)
}

/// What the guard does to a request's `Cookie` header.
enum Rewrite {
    /// Nothing: at most one session cookie, signed with the current key (or not ours at all).
    None,
    /// Two or more session cookies: drop them all (the header without them, if anything is
    /// left).
    DropDuplicates(Option<HeaderValue>),
    /// One session cookie signed with a previous key: the header with it re-signed, and the
    /// re-signed value for the browser.
    Resign(HeaderValue, String),
}

fn rewrite(header: &str, keys: &SessionCookieConfig) -> Rewrite {
    let ours = pairs(header).filter(|p| is_named(p, keys.name)).count();
    if ours > 1 {
        let kept: Vec<&str> = pairs(header).filter(|p| !is_named(p, keys.name)).collect();
        let value = (!kept.is_empty())
            .then(|| HeaderValue::from_str(&kept.join("; ")).ok())
            .flatten();
        return Rewrite::DropDuplicates(value);
    }
    if ours == 0 || keys.previous.is_empty() {
        return Rewrite::None;
    }
    let Some(resigned) = pairs(header)
        .find(|p| is_named(p, keys.name))
        .and_then(|p| Cookie::parse_encoded(p).ok())
        .and_then(|c| keys.resign(c.value()))
    else {
        return Rewrite::None;
    };
    let new_pair = Cookie::new(keys.name, resigned.clone())
        .encoded()
        .to_string();
    let rewritten: Vec<String> = pairs(header)
        .map(|p| {
            if is_named(p, keys.name) {
                new_pair.clone()
            } else {
                p.to_owned()
            }
        })
        .collect();
    match HeaderValue::from_str(&rewritten.join("; ")) {
        Ok(value) => Rewrite::Resign(value, resigned),
        Err(_) => Rewrite::None,
    }
}

pub async fn guard_session_cookie(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(keys) = req.app_data::<web::Data<SessionCookieConfig>>().cloned() else {
        return next.call(req).await;
    };
    // Read the header ourselves: `req.cookies()` would cache the unrewritten cookies.
    let plan = match req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
    {
        Some(raw) => rewrite(raw, &keys),
        None => Rewrite::None,
    };
    let resigned = match plan {
        Rewrite::None => None,
        Rewrite::DropDuplicates(kept) => {
            tracing::warn!("two session cookies in one request: treated as anonymous");
            match kept {
                Some(value) => {
                    req.headers_mut().insert(header::COOKIE, value);
                }
                None => {
                    req.headers_mut().remove(header::COOKIE);
                }
            }
            None
        }
        Rewrite::Resign(value, resigned) => {
            req.headers_mut().insert(header::COOKIE, value);
            Some(resigned)
        }
    };
    let mut res = next.call(req).await?;
    if let Some(value) = resigned {
        // Unless actix-session already set or cleared the cookie, hand out the re-signed one.
        let prefix = format!("{}=", keys.name);
        let already = res
            .headers()
            .get_all(header::SET_COOKIE)
            .any(|c| c.to_str().is_ok_and(|c| c.starts_with(&prefix)));
        if !already {
            if let Ok(v) = HeaderValue::from_str(&keys.cookie(value).encoded().to_string()) {
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

    fn keys() -> SessionCookieConfig {
        let ring = Keyring::from_secrets([NEW, OLD]);
        let mut cookie =
            SessionCookieConfig::new(&ring, false, std::time::Duration::from_secs(3600));
        cookie.name = "s";
        cookie
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

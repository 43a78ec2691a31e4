//! The login transaction: what `/login` must remember for `/callback` (state, nonce, PKCE
//! verifier, return path), kept in the browser that started the login as a sealed cookie.
//!
//! - Nothing is written to the database for a visitor who has not authenticated.
//! - One cookie per login, named after its `state`, so two tabs logging in at once both work.
//! - Bound to the browser (HttpOnly cookie), sealed with AES-GCM (tamper-proof, unreadable),
//!   expiring ([`TRANSACTION_TTL`], checked against the injected clock, not only `Max-Age`),
//!   single use (the callback clears the cookie and records the state as consumed).
//! - At most [`MAX_PENDING`] pending logins per browser: older ones are dropped.

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    HttpRequest,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::return_to::ReturnTo;
use crate::{crypto::Keyring, session::SessionId};

/// How long a login may take from `/login` to `/callback`.
pub const TRANSACTION_TTL: std::time::Duration = std::time::Duration::from_secs(600);
/// Pending logins kept per browser.
pub const MAX_PENDING: usize = 5;
const NAME_STEM: &str = "bff_txn_";
/// A cookie value larger than this is not ours. Every transaction we write fits (the longest
/// return path included), well under browsers' 4 KB per cookie.
const MAX_COOKIE_VALUE: usize = 2048;
/// `state` values we issue are 43 characters of base64url; accept nothing odd.
const MAX_STATE_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginTransaction {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: ReturnTo,
    /// Unix seconds.
    pub created_at: i64,
    /// The browser's session when the login started. The callback ends it: the session cookie
    /// is `SameSite=Strict`, so it does not come along on the provider's redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_session: Option<SessionId>,
    /// `max_age` asked of the provider (seconds): the ID token's `auth_time` is checked
    /// against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// The `organization` asked of the provider: the ID token must name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

/// Names, writes and reads transaction cookies.
#[derive(Debug, Clone)]
pub struct TransactionCookies {
    prefix: &'static str,
    secure: bool,
}

impl TransactionCookies {
    /// Cookies get the `__Host-` prefix and `Secure` when the app is served over https.
    pub fn new(https: bool) -> Self {
        Self {
            prefix: if https { "__Host-" } else { "" },
            secure: https,
        }
    }

    fn name_for(&self, state: &str) -> String {
        format!("{}{NAME_STEM}{state}", self.prefix)
    }

    fn is_ours(&self, name: &str) -> bool {
        name.strip_prefix(self.prefix)
            .is_some_and(|rest| rest.starts_with(NAME_STEM))
    }

    /// The cookie that carries `txn`, sealed with the current key and bound to its name.
    pub fn write(&self, keys: &Keyring, txn: &LoginTransaction) -> Cookie<'static> {
        let name = self.name_for(&txn.state);
        let json = serde_json::to_vec(txn).expect("a transaction always serialises");
        let value = keys.seal(name.as_bytes(), &json);
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(CookieDuration::seconds(TRANSACTION_TTL.as_secs() as i64))
            .finish()
    }

    /// A cookie that deletes the transaction cookie called `name`.
    pub fn removal(&self, name: &str) -> Cookie<'static> {
        let mut cookie = Cookie::build(name.to_owned(), "")
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .finish();
        cookie.make_removal();
        cookie
    }

    /// Reads the transaction for `state` from the request. `Err` says why it is unusable.
    pub fn read(
        &self,
        req: &HttpRequest,
        keys: &Keyring,
        state: &str,
        now: OffsetDateTime,
    ) -> Result<LoginTransaction, TransactionError> {
        if state.is_empty()
            || state.len() > MAX_STATE_LEN
            || !state
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(TransactionError::Missing);
        }
        let name = self.name_for(state);
        let cookies = req.cookies().map_err(|_| TransactionError::Missing)?;
        let mut matching = cookies.iter().filter(|c| c.name() == name);
        let cookie = matching.next().ok_or(TransactionError::Missing)?;
        if matching.next().is_some() {
            // Two cookies of one name: one was planted (e.g. for a parent domain). Trust neither.
            return Err(TransactionError::Tampered);
        }
        if cookie.value().len() > MAX_COOKIE_VALUE {
            return Err(TransactionError::Tampered);
        }
        let plain = keys
            .open(name.as_bytes(), cookie.value())
            .ok_or(TransactionError::Tampered)?;
        let txn: LoginTransaction =
            serde_json::from_slice(&plain).map_err(|_| TransactionError::Tampered)?;
        if !constant_time_eq(txn.state.as_bytes(), state.as_bytes()) {
            return Err(TransactionError::Tampered);
        }
        let age = now.unix_timestamp() - txn.created_at;
        if !(0..=TRANSACTION_TTL.as_secs() as i64).contains(&age) {
            return Err(TransactionError::Expired);
        }
        Ok(txn)
    }

    /// Removal cookies for the pending logins beyond the newest `MAX_PENDING - 1`, so that
    /// adding one more keeps a browser at `MAX_PENDING`. Unreadable ones go first.
    pub fn evictions(&self, req: &HttpRequest, keys: &Keyring) -> Vec<Cookie<'static>> {
        let Ok(cookies) = req.cookies() else {
            return Vec::new();
        };
        let mut pending: Vec<(i64, String)> = cookies
            .iter()
            .filter(|c| self.is_ours(c.name()))
            .map(|c| {
                let created = keys
                    .open(c.name().as_bytes(), c.value())
                    .and_then(|plain| serde_json::from_slice::<LoginTransaction>(&plain).ok())
                    .map_or(i64::MIN, |t| t.created_at);
                (created, c.name().to_owned())
            })
            .collect();
        if pending.len() < MAX_PENDING {
            return Vec::new();
        }
        pending.sort();
        let excess = pending.len() + 1 - MAX_PENDING;
        pending
            .into_iter()
            .take(excess)
            .map(|(_, name)| self.removal(&name))
            .collect()
    }

    /// The name of the cookie for `state`, for the callback to clear it.
    pub fn cookie_name(&self, state: &str) -> Option<String> {
        (!state.is_empty()
            && state.len() <= MAX_STATE_LEN
            && state
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| self.name_for(state))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error("no login transaction for this state in this browser")]
    Missing,
    #[error("the login transaction cookie was altered or is not ours")]
    Tampered,
    #[error("the login transaction expired")]
    Expired,
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn keys() -> Keyring {
        Keyring::from_secrets(["a-test-secret-that-is-long-enough-123"])
    }

    fn txn(state: &str, created_at: i64) -> LoginTransaction {
        LoginTransaction {
            state: state.to_owned(),
            nonce: "nonce".into(),
            pkce_verifier: "verifier".into(),
            return_to: ReturnTo::root(),
            created_at,
            previous_session: None,
            max_age: None,
            organization: None,
        }
    }

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    #[test]
    fn the_longest_return_path_fits_the_cookie() {
        let keys = keys();
        let cookies = TransactionCookies::new(true);
        let base = crate::config::BaseUrl::parse("https://app.example.com").unwrap();
        let longest = format!(
            "/{}",
            "%25".repeat((super::super::return_to::MAX_LEN - 1) / 3)
        );
        let mut txn = txn(&"s".repeat(43), 1_000);
        txn.return_to = ReturnTo::parse_or_root(Some(&longest), &base);
        assert_eq!(
            txn.return_to.as_str(),
            longest,
            "accepted as the longest path"
        );
        txn.nonce = "n".repeat(43);
        txn.pkce_verifier = "v".repeat(43);
        txn.previous_session = Some(crate::session::SessionId::from(uuid::Uuid::new_v4()));
        txn.max_age = Some(u64::MAX);
        txn.organization = Some("o".repeat(128));
        let cookie = cookies.write(&keys, &txn);
        assert!(
            cookie.value().len() <= MAX_COOKIE_VALUE,
            "{}",
            cookie.value().len()
        );
        let req = actix_web::test::TestRequest::default()
            .cookie(cookie)
            .to_http_request();
        assert_eq!(
            cookies.read(&req, &keys, &txn.state, at(1_001)).unwrap(),
            txn
        );
    }

    #[test]
    fn a_written_transaction_reads_back_in_the_same_browser() {
        let cookies = TransactionCookies::new(true);
        let cookie = cookies.write(&keys(), &txn("abc", 1000));
        assert!(cookie.name().starts_with("__Host-bff_txn_"));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.domain(), None);
        let req = TestRequest::default().cookie(cookie).to_http_request();
        assert_eq!(
            cookies.read(&req, &keys(), "abc", at(1100)).unwrap(),
            txn("abc", 1000)
        );
    }

    #[test]
    fn another_state_finds_nothing() {
        let cookies = TransactionCookies::new(false);
        let req = TestRequest::default()
            .cookie(cookies.write(&keys(), &txn("abc", 1000)))
            .to_http_request();
        assert_eq!(
            cookies.read(&req, &keys(), "abd", at(1000)).unwrap_err(),
            TransactionError::Missing
        );
        assert_eq!(
            cookies.read(&req, &keys(), "", at(1000)).unwrap_err(),
            TransactionError::Missing
        );
    }

    #[test]
    fn a_transaction_expires_after_ten_minutes() {
        let cookies = TransactionCookies::new(false);
        let req = TestRequest::default()
            .cookie(cookies.write(&keys(), &txn("abc", 1000)))
            .to_http_request();
        assert!(cookies.read(&req, &keys(), "abc", at(1600)).is_ok());
        assert_eq!(
            cookies.read(&req, &keys(), "abc", at(1601)).unwrap_err(),
            TransactionError::Expired
        );
        // From the future: refused too.
        assert_eq!(
            cookies.read(&req, &keys(), "abc", at(999)).unwrap_err(),
            TransactionError::Expired
        );
    }

    #[test]
    fn a_cookie_moved_to_another_state_is_refused() {
        let cookies = TransactionCookies::new(false);
        let original = cookies.write(&keys(), &txn("abc", 1000));
        let moved = Cookie::new("bff_txn_xyz", original.value().to_owned());
        let req = TestRequest::default().cookie(moved).to_http_request();
        assert_eq!(
            cookies.read(&req, &keys(), "xyz", at(1000)).unwrap_err(),
            TransactionError::Tampered
        );
    }

    #[test]
    fn a_forged_cookie_is_refused() {
        let cookies = TransactionCookies::new(false);
        let forged = Cookie::new("bff_txn_abc", "eyJzdGF0ZSI6ImFiYyJ9");
        let req = TestRequest::default().cookie(forged).to_http_request();
        assert_eq!(
            cookies.read(&req, &keys(), "abc", at(1000)).unwrap_err(),
            TransactionError::Tampered
        );
    }

    #[test]
    fn pending_logins_are_capped_oldest_first() {
        let cookies = TransactionCookies::new(false);
        let mut req = TestRequest::default();
        for i in 0..MAX_PENDING as i64 {
            req = req.cookie(cookies.write(&keys(), &txn(&format!("s{i}"), 1000 + i)));
        }
        let evicted = cookies.evictions(&req.to_http_request(), &keys());
        let names: Vec<&str> = evicted.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["bff_txn_s0"]);
        assert_eq!(evicted[0].max_age(), Some(CookieDuration::ZERO));
    }

    #[test]
    fn few_pending_logins_are_left_alone() {
        let cookies = TransactionCookies::new(false);
        let req = TestRequest::default()
            .cookie(cookies.write(&keys(), &txn("s1", 1)))
            .to_http_request();
        assert!(cookies.evictions(&req, &keys()).is_empty());
    }
}

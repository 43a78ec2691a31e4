//! The session's types: its public id, what a live session knows, what a login creates, and
//! the tokens kept for it.

use std::{fmt, str::FromStr, time::Duration};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Use slides the idle deadline at most this often (or a quarter of the idle timeout, if that
/// is shorter), so a busy session costs no write per request.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// How often use slides the idle deadline with `idle` as the idle timeout: a quarter of it, at
/// most [`TOUCH_INTERVAL`]. A session then expires between `idle - interval` and `idle` after
/// its last request; with the default one-day timeout a session in continuous use costs one
/// write every 15 minutes (about 1,100 writes a second per million active sessions).
pub fn touch_interval_for(idle: Duration) -> Duration {
    TOUCH_INTERVAL.min(idle / 4)
}

/// Instants as integer microseconds since the epoch: PostgreSQL's precision, and cheap to
/// read back (the session envelope is read on every request when the cache is off).
mod unix_micros {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64((t.unix_timestamp_nanos() / 1_000) as i64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let micros = i64::deserialize(d)?;
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            t: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            Option::<i64>::deserialize(d)?
                .map(|micros| {
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
                        .map_err(serde::de::Error::custom)
                })
                .transpose()
        }
    }
}

/// A session's public id: random, never derived from the cookie. APIs, logs and admin pages
/// name a session by it; knowing it grants nothing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct SessionId(Uuid);

impl SessionId {
    pub(crate) fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// The id as a UUID (as APIs, logs and admin pages show it).
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl From<Uuid> for SessionId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for SessionId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// What a live session knows: everything `/me` and the guards need, and its deadlines. This
/// is what the cache holds and what handlers get (through `CurrentSession`); tokens are not
/// in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SessionView {
    #[sqlx(rename = "public_id")]
    /// The public id.
    pub id: SessionId,
    /// The user's row (`users.id`).
    pub user_id: Uuid,
    #[sqlx(rename = "claims", json)]
    /// The claims `/me` shows.
    pub user: shared::User,
    #[serde(with = "unix_micros")]
    /// When the login created it.
    pub created_at: OffsetDateTime,
    #[serde(with = "unix_micros")]
    /// When use last slid its idle deadline.
    pub last_seen_at: OffsetDateTime,
    #[serde(with = "unix_micros")]
    /// It ends if unused until then.
    pub idle_expires_at: OffsetDateTime,
    #[serde(with = "unix_micros")]
    /// It ends then, used or not.
    pub absolute_expires_at: OffsetDateTime,
    /// When the access token expires, if the session keeps one and the provider said.
    #[serde(with = "unix_micros::option")]
    pub access_expires_at: Option<OffsetDateTime>,
    /// The session keeps a refresh token.
    pub can_refresh: bool,
    /// After a failed refresh: no new attempt before this instant.
    #[serde(with = "unix_micros::option")]
    pub refresh_retry_at: Option<OffsetDateTime>,
    /// When the current access token was obtained (with `access_expires_at`, its lifetime).
    #[serde(with = "unix_micros::option", default)]
    pub access_issued_at: Option<OffsetDateTime>,
    /// The app's own data (actix-session's `Session::insert`), stored with the row.
    #[sqlx(json)]
    #[serde(default, skip_serializing_if = "AppData::is_empty")]
    pub app_data: AppData,
}

/// The app's own session data: its keys and their JSON values, at most
/// [`MAX_APP_DATA_BYTES`] as JSON. The app reads and writes it through actix-session's
/// `Session` (`insert`, `get`, `remove`); it is stored with the session row and goes with it.
pub type AppData = serde_json::Map<String, serde_json::Value>;

/// The most the app's session data may weigh, as JSON: it travels with every session read.
pub const MAX_APP_DATA_BYTES: usize = 4 * 1024;

impl SessionView {
    /// Idle and absolute deadlines both still ahead.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        now < self.idle_expires_at && now < self.absolute_expires_at
    }

    /// The idle deadline should slide now (last slid `interval` ago or more), unless it already
    /// sits on the absolute deadline.
    pub fn touch_due(&self, now: OffsetDateTime, interval: Duration) -> bool {
        now - self.last_seen_at >= interval && self.idle_expires_at < self.absolute_expires_at
    }

    /// The access token expires within `buffer` (or within half its lifetime, if that is
    /// shorter: a token living 60 s or less is not refreshed on every request), the session can
    /// refresh it, and no back-off is in force.
    pub fn refresh_due(&self, now: OffsetDateTime, buffer: Duration) -> bool {
        let margin = |expires_at: OffsetDateTime| {
            let buffer = time::Duration::try_from(buffer).unwrap_or(time::Duration::MAX);
            match self.access_issued_at {
                Some(issued_at) => buffer.min((expires_at - issued_at) / 2),
                None => buffer,
            }
        };
        self.can_refresh
            && self
                .access_expires_at
                .is_some_and(|at| at - margin(at) <= now)
            && self.refresh_retry_at.is_none_or(|at| at <= now)
    }
}

/// What a login creates: every column written explicitly (see `Sessions::create`).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: Uuid,
    pub user: shared::User,
    /// The provider's session id (`sid` claim), for back-channel logout.
    pub provider_sid: Option<String>,
    pub user_agent: Option<String>,
    /// The client's network, coarse (`client::network_of`).
    pub client_network: Option<String>,
    /// The raw ID token, kept (sealed) for `id_token_hint` at logout.
    pub id_token: Option<String>,
    /// The access and refresh tokens, kept (sealed) for calling APIs.
    pub tokens: Option<StoredTokens>,
    pub authenticated_at: OffsetDateTime,
}

/// The tokens for calling APIs on the user's behalf. Stored only sealed; never logged (no
/// `Debug` of values).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Unix seconds, when the provider said.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl StoredTokens {
    /// The sealing context of stored tokens (`Keyring::seal`).
    pub const SEAL_CONTEXT: &'static [u8] = b"tokens";

    pub(crate) fn access_expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_at
            .and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok())
    }
}

impl fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredTokens")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A session's kept tokens, opened, with the version a refresh compares and swaps.
#[derive(Debug, Clone)]
pub struct SessionTokens {
    pub id_token: Option<String>,
    pub tokens: Option<StoredTokens>,
    pub version: i64,
}

/// A live session as a list shows it (admin, "my sessions").
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionListing {
    #[sqlx(rename = "public_id")]
    /// The public id.
    pub id: SessionId,
    /// The user's row (`users.id`).
    pub user_id: Uuid,
    #[sqlx(rename = "claims", json)]
    /// The claims.
    pub user: shared::User,
    /// When the login created it.
    pub created_at: OffsetDateTime,
    /// When use last slid its idle deadline.
    pub last_seen_at: OffsetDateTime,
    /// The browser's `User-Agent` at login.
    pub user_agent: Option<String>,
    /// The client's network at login, coarse.
    pub client_network: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(now: OffsetDateTime) -> SessionView {
        SessionView {
            id: SessionId::new_random(),
            user_id: Uuid::new_v4(),
            user: serde_json::from_str(r#"{"sub":"s","issuer":"i"}"#).unwrap(),
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now + time::Duration::hours(1),
            absolute_expires_at: now + time::Duration::hours(8),
            access_expires_at: Some(now + time::Duration::minutes(10)),
            can_refresh: true,
            refresh_retry_at: None,
            access_issued_at: Some(now),
            app_data: AppData::new(),
        }
    }

    #[test]
    fn a_session_is_live_strictly_before_both_deadlines() {
        let now = OffsetDateTime::now_utc();
        let v = view(now);
        assert!(v.is_live(now));
        assert!(!v.is_live(v.idle_expires_at));
        let mut v2 = v.clone();
        v2.absolute_expires_at = now;
        assert!(!v2.is_live(now));
    }

    #[test]
    fn the_idle_deadline_slides_at_most_once_per_interval() {
        let now = OffsetDateTime::now_utc();
        let v = view(now);
        assert!(!v.touch_due(now + time::Duration::seconds(899), TOUCH_INTERVAL));
        assert!(v.touch_due(now + time::Duration::seconds(900), TOUCH_INTERVAL));
        let mut pinned = v.clone();
        pinned.idle_expires_at = pinned.absolute_expires_at;
        assert!(!pinned.touch_due(now + time::Duration::hours(2), TOUCH_INTERVAL));
    }

    #[test]
    fn a_short_lived_token_is_refreshed_halfway_through_its_life_not_on_every_request() {
        let now = OffsetDateTime::now_utc();
        let buffer = Duration::from_secs(60);
        for lifetime in [30, 60] {
            let mut v = view(now);
            v.access_expires_at = Some(now + time::Duration::seconds(lifetime));
            assert!(!v.refresh_due(now, buffer), "{lifetime} s: fresh");
            assert!(
                !v.refresh_due(now + time::Duration::seconds(lifetime / 2 - 1), buffer),
                "{lifetime} s: not yet half-way"
            );
            assert!(v.refresh_due(now + time::Duration::seconds(lifetime / 2), buffer));
        }
        // Tokens stored before their start was: the buffer alone, as before.
        let mut unknown = view(now);
        unknown.access_issued_at = None;
        unknown.access_expires_at = Some(now + time::Duration::seconds(30));
        assert!(unknown.refresh_due(now, buffer));
    }

    #[test]
    fn refresh_is_due_inside_the_buffer_unless_backing_off() {
        let now = OffsetDateTime::now_utc();
        let v = view(now);
        let buffer = Duration::from_secs(60);
        assert!(!v.refresh_due(now, buffer));
        assert!(v.refresh_due(now + time::Duration::minutes(9), buffer));
        let mut backing_off = v.clone();
        backing_off.refresh_retry_at = Some(now + time::Duration::minutes(20));
        assert!(!backing_off.refresh_due(now + time::Duration::minutes(15), buffer));
        assert!(backing_off.refresh_due(now + time::Duration::minutes(20), buffer));
        let mut no_refresh_token = v;
        no_refresh_token.can_refresh = false;
        assert!(!no_refresh_token.refresh_due(now + time::Duration::hours(1), buffer));
    }

    #[test]
    fn the_envelope_keeps_microseconds_and_round_trips() {
        let now = OffsetDateTime::from_unix_timestamp_nanos(1_800_000_000_123_456_000).unwrap();
        let v = view(now);
        let json = serde_json::to_string(&v).unwrap();
        assert!(json.contains("1800000000123456"), "{json}");
        assert_eq!(serde_json::from_str::<SessionView>(&json).unwrap(), v);
    }

    #[test]
    fn token_values_never_show_in_debug_output() {
        let tokens = StoredTokens {
            access_token: "at-secret".into(),
            refresh_token: Some("rt-secret".into()),
            expires_at: Some(1),
        };
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn the_idle_deadline_slides_every_quarter_of_the_idle_timeout_at_most_every_15_minutes() {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(touch_interval_for(minutes(24 * 60)), minutes(15));
        assert_eq!(touch_interval_for(minutes(60)), minutes(15));
        assert_eq!(touch_interval_for(minutes(20)), minutes(5));
        assert_eq!(touch_interval_for(Duration::from_secs(20)), Duration::from_secs(5));
    }
}

//! `PgSessionStore`: actix-session's [`SessionStore`] on PostgreSQL through sqlx.
//!
//! - The cookie carries a random 64-character key (~380 bits, actix-session's generator on the
//!   OS-seeded CSPRNG); the table keeps only its SHA-256.
//! - Idle and absolute expiry are in the `WHERE` of every read, against the injected clock.
//!   A read slides the idle deadline (at most once per [`TOUCH_INTERVAL`], never past the
//!   absolute one).
//! - `update` of a row that is gone (logged out, revoked, expired) never re-creates it: the
//!   request carries on anonymous.
//! - Columns indexed for lookups by user, by (issuer, subject) and by (issuer, provider sid).

use std::{collections::HashMap, time::Duration};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use rand::distributions::{Alphanumeric, DistString};
use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{clock::SharedClock, crypto::sha256, error::mark_store_failure};

/// A state larger than this (serialised) is refused rather than stored.
pub const MAX_STATE_BYTES: usize = 64 * 1024;
/// Reads slide the idle deadline at most this often (a read is then a pure read).
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

type SessionState = HashMap<String, String>;

/// The session-state key whose JSON value the store indexes (see [`IndexedFields`]).
pub const AUTH_KEY: &str = "auth";

/// The fields of the `auth` entry that get their own (indexed) columns.
#[derive(Debug, Default, Deserialize)]
struct IndexedFields {
    user_id: Option<Uuid>,
    #[serde(default)]
    user: Option<IndexedUser>,
    sid: Option<String>,
    user_agent: Option<String>,
    tokens_sealed: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct IndexedUser {
    sub: String,
    issuer: String,
}

/// Moves the sealed tokens out of the `auth` entry: they live in their own column (see
/// `crate::tokens`), so state updates never carry a stale copy of them.
fn without_tokens(mut state: SessionState) -> SessionState {
    if let Some(raw) = state.get_mut(AUTH_KEY) {
        if let Ok(serde_json::Value::Object(mut auth)) = serde_json::from_str(raw) {
            if auth.remove("tokens_sealed").is_some() {
                *raw = serde_json::Value::Object(auth).to_string();
            }
        }
    }
    state
}

impl IndexedFields {
    fn from_state(state: &SessionState) -> Self {
        state
            .get(AUTH_KEY)
            .and_then(|raw| serde_json::from_str(raw).ok())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

#[derive(Clone)]
pub struct PgSessionStore {
    pool: PgPool,
    clock: SharedClock,
    timeouts: Timeouts,
}

impl PgSessionStore {
    pub fn new(pool: PgPool, clock: SharedClock, timeouts: Timeouts) -> Self {
        Self {
            pool,
            clock,
            timeouts,
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Deletes every session of a user (revocation). Returns how many ended.
    pub async fn delete_for_user(&self, user_id: Uuid) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes expired sessions and consumed login states. Returns how many rows went.
    pub async fn sweep_expired(&self) -> Result<u64, sqlx::Error> {
        let now = self.now();
        let sessions = sqlx::query(
            "DELETE FROM sessions WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        let states = sqlx::query("DELETE FROM consumed_login_states WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let jtis = sqlx::query("DELETE FROM backchannel_logout_jtis WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(sessions.rows_affected() + states.rows_affected() + jtis.rows_affected())
    }

    fn serialise(state: &SessionState) -> anyhow::Result<serde_json::Value> {
        let value = serde_json::to_value(state)?;
        let size = value.to_string().len();
        if size > MAX_STATE_BYTES {
            anyhow::bail!("session state of {size} bytes exceeds {MAX_STATE_BYTES}");
        }
        Ok(value)
    }
}

fn hash(key: &SessionKey) -> Vec<u8> {
    sha256(key.as_ref().as_bytes()).to_vec()
}

fn store_error(err: sqlx::Error) -> anyhow::Error {
    mark_store_failure();
    anyhow::Error::new(err).context("session store query failed")
}

fn to_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

impl SessionStore for PgSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let now = self.now();
        let idle_deadline = now + to_time(self.timeouts.idle);
        let touch_before = now - to_time(TOUCH_INTERVAL);
        // One round trip: read the live row, and slide its idle deadline if it was last seen
        // more than TOUCH_INTERVAL ago.
        let row: Option<(serde_json::Value,)> = sqlx::query_as(
            "WITH live AS ( \
                 SELECT id_hash, state, last_seen_at FROM sessions \
                 WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2 \
             ), touched AS ( \
                 UPDATE sessions s \
                 SET last_seen_at = $2, idle_expires_at = LEAST($3, s.absolute_expires_at) \
                 FROM live WHERE s.id_hash = live.id_hash AND live.last_seen_at <= $4 \
                 RETURNING s.id_hash \
             ) \
             SELECT state FROM live",
        )
        .bind(hash(session_key))
        .bind(now)
        .bind(idle_deadline)
        .bind(touch_before)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| LoadError::Other(store_error(e)))?;
        match row {
            None => Ok(None),
            Some((state,)) => serde_json::from_value(state)
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into())),
        }
    }

    async fn save(
        &self,
        session_state: SessionState,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let fields = IndexedFields::from_state(&session_state);
        let session_state = without_tokens(session_state);
        let value = Self::serialise(&session_state).map_err(SaveError::Serialization)?;
        let now = self.now();
        let absolute = now + to_time(self.timeouts.absolute);
        let idle = (now + to_time(self.timeouts.idle)).min(absolute);
        let key: SessionKey = Alphanumeric
            .sample_string(&mut rand::rngs::OsRng, 64)
            .try_into()
            .map_err(|e| SaveError::Other(anyhow::Error::new(e)))?;
        let (subject, issuer) = fields
            .user
            .map(|u| (Some(u.sub), Some(u.issuer)))
            .unwrap_or_default();
        sqlx::query(
            "INSERT INTO sessions (id_hash, state, user_id, issuer, subject, provider_sid, \
                 user_agent, created_at, last_seen_at, idle_expires_at, absolute_expires_at, \
                 tokens_sealed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)",
        )
        .bind(hash(&key))
        .bind(value)
        .bind(fields.user_id)
        .bind(issuer)
        .bind(subject)
        .bind(fields.sid)
        .bind(fields.user_agent)
        .bind(now)
        .bind(idle)
        .bind(absolute)
        .bind(fields.tokens_sealed)
        .execute(&self.pool)
        .await
        .map_err(|e| SaveError::Other(store_error(e)))?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let session_state = without_tokens(session_state);
        let value = Self::serialise(&session_state).map_err(UpdateError::Serialization)?;
        let now = self.now();
        let done = sqlx::query(
            "UPDATE sessions SET state = $2, last_seen_at = $3 \
             WHERE id_hash = $1 AND idle_expires_at > $3 AND absolute_expires_at > $3",
        )
        .bind(hash(&session_key))
        .bind(value)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| UpdateError::Other(store_error(e)))?;
        if done.rows_affected() == 0 {
            // Ended while this request ran (logout, revocation, expiry). Re-creating it would
            // undo the logout; the cookie keeps pointing at nothing and the browser is
            // anonymous from its next request on.
            tracing::info!("session ended during the request; its update was dropped");
        }
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        _ttl: &CookieDuration,
    ) -> anyhow::Result<()> {
        let now = self.now();
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $2, \
                 idle_expires_at = LEAST($3, absolute_expires_at) \
             WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2",
        )
        .bind(hash(session_key))
        .bind(now)
        .bind(now + to_time(self.timeouts.idle))
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(hash(session_key))
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

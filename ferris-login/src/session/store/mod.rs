//! The session store seam: where sessions live, behind one typed trait, [`Store`].
//!
//! [`Sessions`](super::Sessions) is the library's one way to sessions: it mints cookie ids,
//! seals tokens, computes deadlines and reads the clock. A [`Store`] only keeps records and
//! answers for them, atomically per call:
//!
//! | store | for |
//! |---|---|
//! | [`PostgresStore`] (the default) | the `sessions` table; every change notifies the other replicas (`NOTIFY`) in the statement that makes it |
//! | [`CachedStore`] | a layer over any store with a change feed: an in-process cache, revoked on every replica by the store's feed (PostgreSQL `LISTEN`, Redis pub/sub) |
//! | [`MemoryStore`] | tests and single-process apps: nothing is shared or kept across restarts |
//! | [`RedisStore`] (feature `redis`) | teams who keep sessions in Redis or Valkey; changes are published for the other replicas |
//!
//! One contract test suite (`ferris-login/tests/store_contract.rs`) runs against each of them.
//!
//! What every store guarantees:
//! - a record is found by its cookie's hash or its public id only while both its deadlines
//!   are ahead of the `now` the caller passes;
//! - every change returns the cookie hashes it touched ([`Changed`]), so a cache in this
//!   process can drop them at once, and is told to the other processes through the store's
//!   [`change feed`](Store::change_feed) if it has one;
//! - the refresh lease is claimed by one caller at a time, and refreshed tokens are stored
//!   only if the record's tokens are still at the version the caller started from (compare
//!   and swap).

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    cache::{KeyHash, SessionCache},
    model::{AppData, SessionId, SessionListing, SessionView},
};

mod cached;
mod memory;
mod postgres;
#[cfg(feature = "redis")]
mod redis;
mod record;

pub use cached::CachedStore;
pub use memory::MemoryStore;
pub use postgres::PostgresStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

/// The cookie hashes of the sessions a change touched (changed or ended).
pub type Changed = Vec<KeyHash>;

/// A store call failed: the store could not answer (its server is down, a timeout, a record
/// it cannot read). Handlers answer 503 `store_unavailable`.
#[derive(Debug, thiserror::Error)]
#[error("the session store failed: {0}")]
pub struct StoreError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps the store's own error.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(error.into())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::new(error)
    }
}

/// A store call's result.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything a new session record holds. Tokens arrive sealed: no store ever sees them in
/// clear.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// SHA-256 of the cookie's id (the cookie itself is never stored).
    pub hash: KeyHash,
    /// The public id.
    pub id: SessionId,
    /// The user's row (`users.id`).
    pub user_id: Uuid,
    /// The claims; `user.issuer` and `user.sub` name the provider's subject.
    pub user: shared::User,
    /// The provider's session id (`sid`), for back-channel logout.
    pub provider_sid: Option<String>,
    /// The browser's `User-Agent` at login.
    pub user_agent: Option<String>,
    /// The client's network at login, coarse.
    pub client_network: Option<String>,
    /// The ID token, sealed.
    pub id_token_sealed: Option<String>,
    /// The access and refresh tokens, sealed.
    pub tokens_sealed: Option<String>,
    /// When the access token expires.
    pub access_expires_at: Option<OffsetDateTime>,
    /// When the access token was obtained.
    pub access_issued_at: Option<OffsetDateTime>,
    /// A refresh token is kept.
    pub can_refresh: bool,
    /// When the user authenticated at the provider.
    pub authenticated_at: OffsetDateTime,
    /// Creation, and the first "last seen".
    pub now: OffsetDateTime,
    /// It ends if unused until then.
    pub idle_expires_at: OffsetDateTime,
    /// It ends then, used or not.
    pub absolute_expires_at: OffsetDateTime,
}

/// A session's sealed secrets and the version of its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The ID token, sealed.
    pub id_token: Option<String>,
    /// The access and refresh tokens, sealed.
    pub tokens: Option<String>,
    /// The tokens' version (each refresh adds one).
    pub version: i64,
}

/// Which sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// The one whose cookie hashes to this (actix-session's `purge`).
    ByHash(&'a KeyHash),
    /// One by its public id.
    ById(SessionId),
    /// One by its public id, if its tokens are still at this version (a refresh the provider
    /// refused ends the session only if no other refresh rotated its tokens meanwhile).
    AtVersion(SessionId, i64),
    /// One of this user's (nothing if it is someone else's).
    Own {
        /// The user.
        user_id: Uuid,
        /// The session.
        id: SessionId,
    },
    /// Every session of a user, but `keep`.
    AllOfUser {
        /// The user.
        user_id: Uuid,
        /// The session not to end.
        keep: Option<SessionId>,
    },
    /// The sessions of one provider session (`sid`), of that subject if given.
    ProviderSession {
        /// The provider (`iss`).
        issuer: &'a str,
        /// The provider's session id.
        sid: &'a str,
        /// Only this subject's, if given.
        subject: Option<&'a str>,
    },
    /// Every session of (issuer, subject) created at or before `created_before`.
    Subject {
        /// The provider (`iss`).
        issuer: &'a str,
        /// The subject (`sub`).
        subject: &'a str,
        /// Only sessions created at or before this.
        created_before: OffsetDateTime,
    },
}

/// Why a refresh lease was not claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoLease {
    /// The session is gone.
    Ended,
    /// Another request (here or on another replica) is refreshing it until then.
    Leased(OffsetDateTime),
    /// A failed refresh backs off until then.
    BackingOff(OffsetDateTime),
    /// Its access token is not due (someone refreshed it meanwhile).
    NotDue,
}

/// When a refresh is due and how long its lease lasts.
#[derive(Debug, Clone, Copy)]
pub struct LeaseTerms {
    /// The caller's clock.
    pub now: OffsetDateTime,
    /// Due when the access token expires within this (or within half its life, if shorter).
    pub buffer: Duration,
    /// How long the claim keeps others out (longer than a provider call may take).
    pub lease: Duration,
}

/// What a successful refresh writes.
#[derive(Debug, Clone)]
pub struct RefreshedRecord {
    /// The new tokens, sealed.
    pub tokens_sealed: String,
    /// When the new access token expires.
    pub access_expires_at: Option<OffsetDateTime>,
    /// When it was obtained.
    pub access_issued_at: Option<OffsetDateTime>,
    /// A refresh token is (still) kept.
    pub can_refresh: bool,
    /// The claims from the refreshed tokens.
    pub user: shared::User,
    /// A new ID token, if the refresh brought one (else the old one stays).
    pub id_token_sealed: Option<String>,
}

/// The back-off after a failed refresh: `base` after the first failure, doubling with each
/// failure in a row, at most `cap`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The caller's clock.
    pub now: OffsetDateTime,
    /// The wait after the first failure.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Backoff {
    /// The wait after `failures` failures in a row (counting this one).
    pub fn wait_after(&self, failures: u32) -> Duration {
        let doubled = self
            .base
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(20)));
        doubled.min(self.cap)
    }
}

/// Tells a cache in this process what other processes changed: runs until aborted, calling
/// [`SessionCache::resume`] while it hears every change, [`SessionCache::suspend`] when it
/// may have missed one, and [`SessionCache::invalidate`] for each change.
pub type ChangeFeed = BoxFuture<'static, ()>;

/// Where sessions live. See [`crate::store`] for what every implementation guarantees.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a new session, ending `replacing` (the browser's previous sessions) in the same
    /// step where the store can.
    async fn create(
        &self,
        record: NewRecord,
        replacing: &[SessionId],
    ) -> StoreResult<(SessionView, Changed)>;

    /// The live session whose cookie hashes to `hash`.
    async fn live_by_hash(
        &self,
        hash: &KeyHash,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Arc<SessionView>>>;

    /// A live session by its public id, as stored now.
    async fn live_by_id(&self, id: SessionId, now: OffsetDateTime)
        -> StoreResult<Option<SessionView>>;

    /// Slides the idle deadline of a live session to `idle_deadline` (never back, never past
    /// the absolute deadline) and records `now` as last seen. Returns its cookie hash and the
    /// session as it now is; `None` if it is gone.
    async fn touch(
        &self,
        id: SessionId,
        now: OffsetDateTime,
        idle_deadline: OffsetDateTime,
    ) -> StoreResult<Option<(KeyHash, SessionView)>>;

    /// Replaces the app's data of the live session whose cookie hashes to `hash`. Empty if
    /// it was not live (nothing stored).
    async fn set_app_data(
        &self,
        hash: &KeyHash,
        data: &AppData,
        now: OffsetDateTime,
    ) -> StoreResult<Changed>;

    /// Ends sessions (deadlines are not checked: an expired session may be ended too).
    async fn end(&self, which: Ending<'_>) -> StoreResult<Changed>;

    /// A live session's sealed secrets.
    async fn sealed(&self, id: SessionId, now: OffsetDateTime) -> StoreResult<Option<Sealed>>;

    /// Claims the refresh lease of a live session whose access token is due, unless another
    /// caller holds the lease or a back-off is in force.
    async fn claim_refresh(
        &self,
        id: SessionId,
        terms: LeaseTerms,
    ) -> StoreResult<Result<Sealed, NoLease>>;

    /// Stores refreshed tokens and claims if the tokens are still at `version`, releasing
    /// the lease and clearing any back-off. Empty if the swap lost.
    async fn store_refreshed(
        &self,
        id: SessionId,
        version: i64,
        record: &RefreshedRecord,
    ) -> StoreResult<Changed>;

    /// Records a failed refresh (tokens still at `version`): releases the lease and backs off.
    async fn record_refresh_failure(
        &self,
        id: SessionId,
        version: i64,
        backoff: Backoff,
    ) -> StoreResult<Changed>;

    /// A user's live sessions, most recently used first.
    async fn list_for_user(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionListing>>;

    /// Every live session, at most `limit`, by user name then newest login first.
    async fn list_live(&self, now: OffsetDateTime, limit: usize)
        -> StoreResult<Vec<SessionListing>>;

    /// How many sessions are live (a gauge).
    async fn count_live(&self, now: OffsetDateTime) -> StoreResult<u64>;

    /// Deletes expired sessions; returns how many (a store that expires records by itself
    /// may return 0).
    async fn sweep_expired(&self, now: OffsetDateTime) -> StoreResult<u64>;

    /// Whether the store answers (readiness).
    async fn ping(&self) -> StoreResult<()>;

    /// The changes other processes make, for a [`CachedStore`] over this store; `None` if
    /// the store cannot tell them (then it cannot be cached safely across replicas).
    fn change_feed(&self, cache: Arc<SessionCache>) -> Option<ChangeFeed> {
        let _ = cache;
        None
    }

    /// The cache in front of the store, if this is a [`CachedStore`] (readiness, metrics).
    fn cache(&self) -> Option<&Arc<SessionCache>> {
        None
    }

    /// What the store is, for logs and `/readyz` (`"postgres"`, `"memory"`, `"redis"`).
    fn kind(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_its_base_up_to_its_cap() {
        let backoff = Backoff {
            now: OffsetDateTime::UNIX_EPOCH,
            base: Duration::from_secs(5),
            cap: Duration::from_secs(300),
        };
        let waits: Vec<u64> = (1..=9).map(|n| backoff.wait_after(n).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(backoff.wait_after(u32::MAX).as_secs(), 300);
    }
}

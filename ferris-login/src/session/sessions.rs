//! [`Sessions`]: the typed API to the session table, in front of its cache. Handlers never see
//! a cookie or its hash: they name sessions by [`SessionId`].

use std::{sync::Arc, time::Duration};

use rand::distributions::{Alphanumeric, DistString};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    cache::{CachedSession, KeyHash, SessionCache},
    model::{
        touch_interval_for, AppData, NewSession, SessionId, SessionListing, SessionTokens,
        SessionView, StoredTokens,
    },
    repository::{self, Changed, InsertRow, RefreshedRow},
};
use crate::{clock::SharedClock, crypto::Keyring};

/// Length of a session id in the cookie: 64 alphanumerics, about 380 bits.
pub const KEY_LEN: usize = 64;
const ID_TOKEN_CONTEXT: &[u8] = b"id_token";

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

/// A session a login just created: its cookie value (secret) and its view.
pub struct CreatedSession {
    pub(super) key: String,
    pub view: SessionView,
}

impl CreatedSession {
    /// The session's id as the browser's cookie carries it (before signing). A secret: never
    /// log it.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl std::fmt::Debug for CreatedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedSession")
            .field("key", &"[redacted]")
            .field("view", &self.view)
            .finish()
    }
}

/// Sessions ended inside a caller's transaction: hand them to [`Sessions::forget`] once it
/// commits (the other replicas hear of them from the commit itself).
#[must_use = "pass to Sessions::forget after the transaction commits"]
#[derive(Debug)]
pub struct Ended(Changed);

impl Ended {
    pub fn count(&self) -> u64 {
        self.0.len() as u64
    }
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

/// What a successful refresh stores.
pub struct Refreshed<'a> {
    pub tokens: &'a StoredTokens,
    pub user: &'a shared::User,
    pub id_token: Option<&'a str>,
}

/// A live session found by its cookie: its hash (to find it again) and its view.
pub(super) struct Loaded {
    pub hash: KeyHash,
    pub view: CachedSession,
    /// It is in the cache (a second look finds it without the database).
    pub cached: bool,
}

#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    clock: SharedClock,
    keys: Arc<Keyring>,
    timeouts: Timeouts,
    cache: Arc<SessionCache>,
}

impl Sessions {
    pub fn new(
        pool: PgPool,
        clock: SharedClock,
        keys: Arc<Keyring>,
        timeouts: Timeouts,
        cache: Arc<SessionCache>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                clock,
                keys,
                timeouts,
                cache,
            }),
        }
    }

    pub fn cache(&self) -> &Arc<SessionCache> {
        &self.inner.cache
    }

    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    /// How often use may slide the idle deadline: a quarter of the idle timeout, at most 15
    /// minutes ([`touch_interval_for`]).
    pub fn touch_interval(&self) -> Duration {
        touch_interval_for(self.inner.timeouts.idle)
    }

    fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    fn forget_changed(&self, changed: &Changed) {
        for hash in changed {
            if let Ok(hash) = KeyHash::try_from(hash.as_slice()) {
                self.inner.cache.invalidate(&hash);
            }
        }
    }

    /// The live session of a cookie's id: from the cache, else from the database (and then
    /// cached). Expiry is checked on every hit.
    pub(super) async fn load(&self, key: &str) -> sqlx::Result<Option<Loaded>> {
        let hash = hash_key(key);
        Ok(self
            .by_hash(&hash)
            .await?
            .map(|(view, cached)| Loaded { hash, view, cached }))
    }

    /// The live session a cookie's id names (what `CurrentSession` sees).
    pub async fn find_by_cookie(&self, key: &str) -> sqlx::Result<Option<CachedSession>> {
        Ok(self.load(key).await?.map(|loaded| loaded.view))
    }

    /// The live session whose cookie hashes to `hash`, and whether it is cached now.
    pub(super) async fn by_hash(
        &self,
        hash: &KeyHash,
    ) -> sqlx::Result<Option<(CachedSession, bool)>> {
        let now = self.now();
        let cache = &self.inner.cache;
        if let Some(entry) = cache.get(hash) {
            if entry.is_live(now) {
                return Ok(Some((entry, true)));
            }
            // Expired by our copy of the deadlines; another replica may have slid them.
            cache.invalidate(hash);
        }
        let seen = cache.generation();
        let Some(view) = repository::live_by_hash(&self.inner.pool, hash, now).await? else {
            return Ok(None);
        };
        let entry = Arc::new(view);
        cache.insert(*hash, entry.clone(), seen);
        Ok(Some((entry, cache.contains(hash))))
    }

    /// Creates a signed-in session with a brand-new id, ending `replacing` (the browser's
    /// previous session) in the same transaction. Tokens are sealed before they are stored.
    pub async fn create(
        &self,
        new: NewSession,
        replacing: &[SessionId],
    ) -> sqlx::Result<CreatedSession> {
        let key = Alphanumeric.sample_string(&mut rand::rngs::OsRng, KEY_LEN);
        let hash = hash_key(&key);
        let now = self.now();
        let absolute = now + to_time(self.inner.timeouts.absolute);
        let idle = (now + to_time(self.inner.timeouts.idle)).min(absolute);
        let keys = &self.inner.keys;
        let tokens_sealed = new.tokens.as_ref().map(|tokens| seal_tokens(keys, tokens));
        let id_token_sealed = new
            .id_token
            .as_deref()
            .map(|t| keys.seal(ID_TOKEN_CONTEXT, t.as_bytes()));
        let row = InsertRow {
            id_hash: &hash,
            id: SessionId::new_random(),
            user_id: new.user_id,
            issuer: &new.user.issuer,
            subject: &new.user.sub,
            provider_sid: new.provider_sid.as_deref(),
            user_agent: new.user_agent.as_deref(),
            client_network: new.client_network.as_deref(),
            claims: &new.user,
            id_token_sealed: id_token_sealed.as_deref(),
            tokens_sealed: tokens_sealed.as_deref(),
            access_expires_at: new
                .tokens
                .as_ref()
                .and_then(StoredTokens::access_expires_at),
            access_issued_at: new.tokens.as_ref().map(|_| now),
            can_refresh: new
                .tokens
                .as_ref()
                .is_some_and(|t| t.refresh_token.is_some()),
            authenticated_at: new.authenticated_at,
            now,
            idle_expires_at: idle,
            absolute_expires_at: absolute,
        };
        let mut tx = self.inner.pool.begin().await?;
        let mut replaced = Vec::new();
        for old in replacing {
            replaced.extend(repository::delete_by_id(&mut *tx, *old).await?);
        }
        let view = repository::insert(&mut *tx, &row).await?;
        tx.commit().await?;
        self.forget_changed(&replaced);
        Ok(CreatedSession { key, view })
    }

    /// Slides the idle deadline if it is due (at most once per [`touch_interval`](Self::touch_interval), never past the
    /// absolute deadline). Returns the session as it now is; `None` if it is gone.
    pub async fn touch_if_due(&self, view: CachedSession) -> sqlx::Result<Option<CachedSession>> {
        if !view.touch_due(self.now(), self.touch_interval()) {
            return Ok(Some(view));
        }
        Ok(self.extend(view.id).await?.map(Arc::new))
    }

    /// Slides the idle deadline now (never past the absolute deadline). Returns the session as
    /// it now is; `None` if it is gone.
    pub async fn extend(&self, id: SessionId) -> sqlx::Result<Option<SessionView>> {
        let now = self.now();
        let idle_deadline = now + to_time(self.inner.timeouts.idle);
        let cache = &self.inner.cache;
        let seen = cache.generation();
        let Some((hash, touched)) =
            repository::touch(&self.inner.pool, id, now, idle_deadline).await?
        else {
            return Ok(None);
        };
        if let Ok(hash) = KeyHash::try_from(hash.as_slice()) {
            if cache.contains(&hash) {
                cache.insert(hash, Arc::new(touched.clone()), seen);
            }
        }
        Ok(Some(touched))
    }

    /// Replaces the app's data of the session a cookie's id names. `Ok(false)` if the session
    /// is no longer live (nothing stored).
    pub(super) async fn set_app_data(&self, key: &str, data: &AppData) -> sqlx::Result<bool> {
        let changed =
            repository::set_app_data(&self.inner.pool, &hash_key(key), data, self.now()).await?;
        self.forget_changed(&changed);
        Ok(!changed.is_empty())
    }

    /// Ends one session. Returns whether it was live.
    pub async fn end(&self, id: SessionId) -> sqlx::Result<bool> {
        let ended = repository::delete_by_id(&self.inner.pool, id).await?;
        self.forget_changed(&ended);
        Ok(!ended.is_empty())
    }

    /// Ends one session if its tokens are still at `version` (a terminal refresh failure:
    /// not if another refresh rotated them meanwhile). Returns whether it ended.
    pub async fn end_at_version(&self, id: SessionId, version: i64) -> sqlx::Result<bool> {
        let ended = repository::delete_at_version(&self.inner.pool, id, version).await?;
        self.forget_changed(&ended);
        Ok(!ended.is_empty())
    }

    /// Ends the session a cookie's id names (actix-session's `purge`/`renew`).
    pub(super) async fn end_by_key(&self, key: &str) -> sqlx::Result<()> {
        let ended = repository::delete_by_hash(&self.inner.pool, &hash_key(key)).await?;
        self.forget_changed(&ended);
        Ok(())
    }

    /// Ends one of a user's sessions; `false` if the user has no such session.
    pub async fn end_own(&self, user_id: Uuid, id: SessionId) -> sqlx::Result<bool> {
        let ended = repository::delete_own(&self.inner.pool, user_id, id).await?;
        self.forget_changed(&ended);
        Ok(!ended.is_empty())
    }

    /// Ends every session of a user, but `keep` if given. Returns how many ended.
    pub async fn end_all_for_user(
        &self,
        user_id: Uuid,
        keep: Option<SessionId>,
    ) -> sqlx::Result<u64> {
        let ended = repository::delete_for_user(&self.inner.pool, user_id, keep).await?;
        self.forget_changed(&ended);
        Ok(ended.len() as u64)
    }

    /// Ends, inside the caller's transaction, the sessions of one provider session (`sid`)
    /// (of that subject, if given).
    pub async fn end_provider_session(
        &self,
        tx: &mut PgConnection,
        issuer: &str,
        sid: &str,
        subject: Option<&str>,
    ) -> sqlx::Result<Ended> {
        repository::delete_for_provider_session(tx, issuer, sid, subject)
            .await
            .map(Ended)
    }

    /// Ends, inside the caller's transaction, every session of (issuer, subject) created at or
    /// before `created_before`.
    pub async fn end_subject_sessions(
        &self,
        tx: &mut PgConnection,
        issuer: &str,
        subject: &str,
        created_before: OffsetDateTime,
    ) -> sqlx::Result<Ended> {
        repository::delete_for_subject(tx, issuer, subject, created_before)
            .await
            .map(Ended)
    }

    /// Drops from this replica's cache what a committed transaction ended.
    pub fn forget(&self, ended: Ended) {
        self.forget_changed(&ended.0);
    }

    /// The session's kept tokens, opened. `None` if the session is gone.
    pub async fn tokens(&self, id: SessionId) -> sqlx::Result<Option<SessionTokens>> {
        let row = repository::secrets(&self.inner.pool, id, self.now()).await?;
        Ok(row.map(|row| self.open(row)))
    }

    fn open(&self, row: repository::SecretsRow) -> SessionTokens {
        let keys = &self.inner.keys;
        SessionTokens {
            id_token: row
                .id_token_sealed
                .and_then(|s| keys.open(ID_TOKEN_CONTEXT, &s))
                .and_then(|raw| String::from_utf8(raw).ok()),
            tokens: row
                .tokens_sealed
                .and_then(|s| keys.open(StoredTokens::SEAL_CONTEXT, &s))
                .and_then(|json| serde_json::from_slice(&json).ok()),
            version: row.token_version,
        }
    }

    /// Claims the refresh of a session whose access token expires within `buffer`, for
    /// `lease` (longer than the provider call may take) by the database's clock. No
    /// transaction stays open.
    pub async fn claim_refresh(
        &self,
        id: SessionId,
        buffer: Duration,
        lease: Duration,
    ) -> sqlx::Result<Result<SessionTokens, NoLease>> {
        let now = self.now();
        let pool = &self.inner.pool;
        let claimed = repository::claim_refresh(pool, id, now, buffer, lease).await?;
        if let Some(row) = claimed {
            return Ok(Ok(self.open(row)));
        }
        let why = match repository::refresh_state(pool, id, now).await? {
            None => NoLease::Ended,
            Some(row) => match (row.refresh_lease_until, row.refresh_retry_at) {
                // Running, by the database's clock.
                (Some(until), _) => NoLease::Leased(until),
                (_, Some(at)) if at > now => NoLease::BackingOff(at),
                _ => NoLease::NotDue,
            },
        };
        Ok(Err(why))
    }

    /// Stores a refresh's tokens and claims if the tokens are still at `version`. Returns
    /// whether they were stored (else someone else's refresh won).
    pub async fn store_refreshed(
        &self,
        id: SessionId,
        version: i64,
        refreshed: Refreshed<'_>,
    ) -> sqlx::Result<bool> {
        let keys = &self.inner.keys;
        let id_token_sealed = refreshed
            .id_token
            .map(|t| keys.seal(ID_TOKEN_CONTEXT, t.as_bytes()));
        let row = RefreshedRow {
            tokens_sealed: &seal_tokens(keys, refreshed.tokens),
            access_expires_at: refreshed.tokens.access_expires_at(),
            access_issued_at: Some(self.now()),
            can_refresh: refreshed.tokens.refresh_token.is_some(),
            claims: refreshed.user,
            id_token_sealed: id_token_sealed.as_deref(),
        };
        let changed = repository::store_refreshed(&self.inner.pool, id, version, &row).await?;
        self.forget_changed(&changed);
        Ok(!changed.is_empty())
    }

    /// Records a failed refresh: the lease goes, and the next attempt waits (exponential
    /// back-off from `base` up to `cap`).
    pub async fn record_refresh_failure(
        &self,
        id: SessionId,
        version: i64,
        base: Duration,
        cap: Duration,
    ) -> sqlx::Result<()> {
        let changed = repository::record_refresh_failure(
            &self.inner.pool,
            id,
            version,
            self.now(),
            base,
            cap,
        )
        .await?;
        self.forget_changed(&changed);
        Ok(())
    }

    /// A live session as the database has it now (deadlines another replica slid included).
    pub async fn live(&self, id: SessionId) -> sqlx::Result<Option<SessionView>> {
        repository::live_by_id(&self.inner.pool, id, self.now()).await
    }

    /// A user's live sessions, most recently used first.
    pub async fn list_for_user(&self, user_id: Uuid) -> sqlx::Result<Vec<SessionListing>> {
        repository::list_for_user(&self.inner.pool, user_id, self.now()).await
    }

    /// Every live session (at most `limit`).
    pub async fn list_live(&self, limit: i64) -> sqlx::Result<Vec<SessionListing>> {
        repository::list_live(&self.inner.pool, self.now(), limit).await
    }

    /// Deletes expired sessions. Returns how many went.
    pub async fn sweep_expired(&self) -> sqlx::Result<u64> {
        repository::delete_expired(&self.inner.pool, self.now()).await
    }
}

fn hash_key(key: &str) -> KeyHash {
    crate::crypto::sha256(key.as_bytes())
}

fn seal_tokens(keys: &Keyring, tokens: &StoredTokens) -> String {
    let json = serde_json::to_vec(tokens).expect("tokens always serialise");
    keys.seal(StoredTokens::SEAL_CONTEXT, &json)
}

fn to_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

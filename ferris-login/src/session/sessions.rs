//! [`Sessions`]: the typed API to sessions, over a [`Store`]. It mints cookie ids, seals
//! tokens, computes deadlines and reads the clock; the store keeps the records. Handlers never
//! see a cookie or its hash: they name sessions by [`SessionId`].

use std::{sync::Arc, time::Duration};

use rand::distributions::{Alphanumeric, DistString};
use time::OffsetDateTime;
use uuid::Uuid;

pub use super::store::NoLease;
use super::{
    cache::{CachedSession, KeyHash, SessionCache},
    model::{
        touch_interval_for, AppData, NewSession, SessionId, SessionListing, SessionTokens,
        SessionView, StoredTokens,
    },
    store::{Backoff, Ending, LeaseTerms, NewRecord, RefreshedRecord, Sealed, Store, StoreResult},
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
    store: Arc<dyn Store>,
    clock: SharedClock,
    keys: Arc<Keyring>,
    timeouts: Timeouts,
}

impl Sessions {
    pub fn new(
        store: Arc<dyn Store>,
        clock: SharedClock,
        keys: Arc<Keyring>,
        timeouts: Timeouts,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                keys,
                timeouts,
            }),
        }
    }

    /// The store the sessions live in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The cache in front of the store, if there is one.
    pub fn cache(&self) -> Option<&Arc<SessionCache>> {
        self.inner.store.cache()
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

    fn store_ref(&self) -> &dyn Store {
        &*self.inner.store
    }

    /// The live session of a cookie's id: from the cache, else from the store (and then
    /// cached). Expiry is checked on every hit.
    pub(super) async fn load(&self, key: &str) -> StoreResult<Option<Loaded>> {
        let hash = hash_key(key);
        Ok(self.by_hash(&hash).await?.map(|view| Loaded {
            hash,
            cached: self.cache().is_some_and(|cache| cache.contains(&hash)),
            view,
        }))
    }

    /// The live session a cookie's id names (what `CurrentSession` sees).
    pub async fn find_by_cookie(&self, key: &str) -> StoreResult<Option<CachedSession>> {
        Ok(self.load(key).await?.map(|loaded| loaded.view))
    }

    /// The live session whose cookie hashes to `hash`.
    pub(super) async fn by_hash(&self, hash: &KeyHash) -> StoreResult<Option<CachedSession>> {
        self.store_ref().live_by_hash(hash, self.now()).await
    }

    /// Creates a signed-in session with a brand-new id, ending `replacing` (the browser's
    /// previous session) in the same step. Tokens are sealed before they are stored.
    pub async fn create(
        &self,
        new: NewSession,
        replacing: &[SessionId],
    ) -> StoreResult<CreatedSession> {
        let key = Alphanumeric.sample_string(&mut rand::rngs::OsRng, KEY_LEN);
        let now = self.now();
        let absolute = now + to_time(self.inner.timeouts.absolute);
        let idle = (now + to_time(self.inner.timeouts.idle)).min(absolute);
        let keys = &self.inner.keys;
        let record = NewRecord {
            hash: hash_key(&key),
            id: SessionId::new_random(),
            user_id: new.user_id,
            tokens_sealed: new.tokens.as_ref().map(|tokens| seal_tokens(keys, tokens)),
            id_token_sealed: new
                .id_token
                .as_deref()
                .map(|t| keys.seal(ID_TOKEN_CONTEXT, t.as_bytes())),
            access_expires_at: new
                .tokens
                .as_ref()
                .and_then(StoredTokens::access_expires_at),
            access_issued_at: new.tokens.as_ref().map(|_| now),
            can_refresh: new
                .tokens
                .as_ref()
                .is_some_and(|t| t.refresh_token.is_some()),
            user: new.user,
            provider_sid: new.provider_sid,
            user_agent: new.user_agent,
            client_network: new.client_network,
            authenticated_at: new.authenticated_at,
            now,
            idle_expires_at: idle,
            absolute_expires_at: absolute,
        };
        let (view, _replaced) = self.store_ref().create(record, replacing).await?;
        Ok(CreatedSession { key, view })
    }

    /// Slides the idle deadline if it is due (at most once per
    /// [`touch_interval`](Self::touch_interval), never past the absolute deadline). Returns
    /// the session as it now is; `None` if it is gone.
    pub async fn touch_if_due(&self, view: CachedSession) -> StoreResult<Option<CachedSession>> {
        if !view.touch_due(self.now(), self.touch_interval()) {
            return Ok(Some(view));
        }
        Ok(self.extend(view.id).await?.map(Arc::new))
    }

    /// Slides the idle deadline now (never past the absolute deadline). Returns the session as
    /// it now is; `None` if it is gone.
    pub async fn extend(&self, id: SessionId) -> StoreResult<Option<SessionView>> {
        let now = self.now();
        let idle_deadline = now + to_time(self.inner.timeouts.idle);
        Ok(self
            .store_ref()
            .touch(id, now, idle_deadline)
            .await?
            .map(|(_, view)| view))
    }

    /// Replaces the app's data of the session a cookie's id names. `Ok(false)` if the session
    /// is no longer live (nothing stored).
    pub(super) async fn set_app_data(&self, key: &str, data: &AppData) -> StoreResult<bool> {
        let changed = self
            .store_ref()
            .set_app_data(&hash_key(key), data, self.now())
            .await?;
        Ok(!changed.is_empty())
    }

    /// Ends sessions; how many ended.
    async fn end_where(&self, which: Ending<'_>) -> StoreResult<u64> {
        Ok(self.store_ref().end(which).await?.len() as u64)
    }

    /// Ends one session. Returns whether it was live.
    pub async fn end(&self, id: SessionId) -> StoreResult<bool> {
        Ok(self.end_where(Ending::ById(id)).await? > 0)
    }

    /// Ends one session if its tokens are still at `version` (a terminal refresh failure:
    /// not if another refresh rotated them meanwhile). Returns whether it ended.
    pub async fn end_at_version(&self, id: SessionId, version: i64) -> StoreResult<bool> {
        Ok(self.end_where(Ending::AtVersion(id, version)).await? > 0)
    }

    /// Ends the session a cookie's id names (actix-session's `purge`/`renew`).
    pub(super) async fn end_by_key(&self, key: &str) -> StoreResult<()> {
        self.end_where(Ending::ByHash(&hash_key(key))).await?;
        Ok(())
    }

    /// Ends one of a user's sessions; `false` if the user has no such session.
    pub async fn end_own(&self, user_id: Uuid, id: SessionId) -> StoreResult<bool> {
        Ok(self.end_where(Ending::Own { user_id, id }).await? > 0)
    }

    /// Ends every session of a user, but `keep` if given. Returns how many ended.
    pub async fn end_all_for_user(
        &self,
        user_id: Uuid,
        keep: Option<SessionId>,
    ) -> StoreResult<u64> {
        self.end_where(Ending::AllOfUser { user_id, keep }).await
    }

    /// Ends the sessions of one provider session (`sid`) (of that subject, if given).
    pub async fn end_provider_session(
        &self,
        issuer: &str,
        sid: &str,
        subject: Option<&str>,
    ) -> StoreResult<u64> {
        self.end_where(Ending::ProviderSession {
            issuer,
            sid,
            subject,
        })
        .await
    }

    /// Ends every session of (issuer, subject) created at or before `created_before`.
    pub async fn end_subject_sessions(
        &self,
        issuer: &str,
        subject: &str,
        created_before: OffsetDateTime,
    ) -> StoreResult<u64> {
        self.end_where(Ending::Subject {
            issuer,
            subject,
            created_before,
        })
        .await
    }

    /// The session's kept tokens, opened. `None` if the session is gone.
    pub async fn tokens(&self, id: SessionId) -> StoreResult<Option<SessionTokens>> {
        let sealed = self.store_ref().sealed(id, self.now()).await?;
        Ok(sealed.map(|sealed| self.open(sealed)))
    }

    fn open(&self, sealed: Sealed) -> SessionTokens {
        let keys = &self.inner.keys;
        SessionTokens {
            id_token: sealed
                .id_token
                .and_then(|s| keys.open(ID_TOKEN_CONTEXT, &s))
                .and_then(|raw| String::from_utf8(raw).ok()),
            tokens: sealed
                .tokens
                .and_then(|s| keys.open(StoredTokens::SEAL_CONTEXT, &s))
                .and_then(|json| serde_json::from_slice(&json).ok()),
            version: sealed.version,
        }
    }

    /// Claims the refresh of a session whose access token expires within `buffer`, for
    /// `lease` (longer than the provider call may take), timed by the store's clock where it
    /// has one. No transaction stays open.
    pub async fn claim_refresh(
        &self,
        id: SessionId,
        buffer: Duration,
        lease: Duration,
    ) -> StoreResult<Result<SessionTokens, NoLease>> {
        let terms = LeaseTerms {
            now: self.now(),
            buffer,
            lease,
        };
        Ok(self
            .store_ref()
            .claim_refresh(id, terms)
            .await?
            .map(|sealed| self.open(sealed)))
    }

    /// Stores a refresh's tokens and claims if the tokens are still at `version`. Returns
    /// whether they were stored (else someone else's refresh won).
    pub async fn store_refreshed(
        &self,
        id: SessionId,
        version: i64,
        refreshed: Refreshed<'_>,
    ) -> StoreResult<bool> {
        let keys = &self.inner.keys;
        let record = RefreshedRecord {
            tokens_sealed: seal_tokens(keys, refreshed.tokens),
            access_expires_at: refreshed.tokens.access_expires_at(),
            access_issued_at: Some(self.now()),
            can_refresh: refreshed.tokens.refresh_token.is_some(),
            user: refreshed.user.clone(),
            id_token_sealed: refreshed
                .id_token
                .map(|t| keys.seal(ID_TOKEN_CONTEXT, t.as_bytes())),
        };
        let changed = self
            .store_ref()
            .store_refreshed(id, version, &record)
            .await?;
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
    ) -> StoreResult<()> {
        let backoff = Backoff {
            now: self.now(),
            base,
            cap,
        };
        self.store_ref()
            .record_refresh_failure(id, version, backoff)
            .await?;
        Ok(())
    }

    /// A live session as the store has it now (deadlines another replica slid included).
    pub async fn live(&self, id: SessionId) -> StoreResult<Option<SessionView>> {
        self.store_ref().live_by_id(id, self.now()).await
    }

    /// A user's live sessions, most recently used first.
    pub async fn list_for_user(&self, user_id: Uuid) -> StoreResult<Vec<SessionListing>> {
        self.store_ref().list_for_user(user_id, self.now()).await
    }

    /// Every live session (at most `limit`).
    pub async fn list_live(&self, limit: usize) -> StoreResult<Vec<SessionListing>> {
        self.store_ref().list_live(self.now(), limit).await
    }

    /// How many sessions are live.
    pub async fn count_live(&self) -> StoreResult<u64> {
        self.store_ref().count_live(self.now()).await
    }

    /// Deletes expired sessions. Returns how many went.
    pub async fn sweep_expired(&self) -> StoreResult<u64> {
        self.store_ref().sweep_expired(self.now()).await
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

//! [`CachedStore`]: an in-process [`SessionCache`] layered over any [`Store`] whose changes
//! this process can hear ([`Store::change_feed`]): PostgreSQL's `LISTEN`, Redis pub/sub.
//!
//! - A read by cookie hash is served from the cache while the entry's deadlines are ahead
//!   (an entry that looks expired is read again: another replica may have slid it).
//! - Every change made through this layer drops the entries it touched at once; changes made
//!   by other processes arrive through the feed, which the app's start-up spawns.
//! - Until the feed listens, and whenever it may have missed a change, the cache is flushed
//!   and bypassed (see [`SessionCache`]).

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    Backoff, ChangeFeed, Changed, Ending, LeaseTerms, NewRecord, NoLease, RefreshedRecord, Sealed,
    Store, StoreResult,
};
use crate::session::{
    cache::{CacheSettings, KeyHash, SessionCache},
    model::{AppData, SessionId, SessionListing, SessionView},
};

/// A cache over `S`.
pub struct CachedStore<S> {
    inner: S,
    cache: Arc<SessionCache>,
}

impl<S: Store> CachedStore<S> {
    /// A cache within `settings` over `inner`. It serves nothing until `inner`'s change feed
    /// listens (spawned by `Auth::start`, or by the caller through [`Store::change_feed`]).
    pub fn new(inner: S, settings: CacheSettings) -> Self {
        Self {
            inner,
            cache: Arc::new(SessionCache::new(settings)),
        }
    }

    /// The store under the cache.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn forget(&self, changed: Changed) -> Changed {
        for hash in &changed {
            self.cache.invalidate(hash);
        }
        changed
    }
}

#[async_trait]
impl<S: Store> Store for CachedStore<S> {
    async fn create(
        &self,
        record: NewRecord,
        replacing: &[SessionId],
    ) -> StoreResult<(SessionView, Changed)> {
        let (view, replaced) = self.inner.create(record, replacing).await?;
        Ok((view, self.forget(replaced)))
    }

    async fn live_by_hash(
        &self,
        hash: &KeyHash,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Arc<SessionView>>> {
        let cache = &self.cache;
        if let Some(entry) = cache.get(hash) {
            if entry.is_live(now) {
                return Ok(Some(entry));
            }
            // Expired by our copy of the deadlines; another replica may have slid them.
            cache.invalidate(hash);
        }
        let seen = cache.generation();
        let found = self.inner.live_by_hash(hash, now).await?;
        if let Some(view) = &found {
            cache.insert(*hash, view.clone(), seen);
        }
        Ok(found)
    }

    async fn live_by_id(
        &self,
        id: SessionId,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionView>> {
        self.inner.live_by_id(id, now).await
    }

    async fn touch(
        &self,
        id: SessionId,
        now: OffsetDateTime,
        idle_deadline: OffsetDateTime,
    ) -> StoreResult<Option<(KeyHash, SessionView)>> {
        let seen = self.cache.generation();
        let touched = self.inner.touch(id, now, idle_deadline).await?;
        if let Some((hash, view)) = &touched {
            // A later deadline is never wrong to cache; nobody else is told (a cached deadline
            // earlier than the stored one is read again when it looks expired).
            if self.cache.contains(hash) {
                self.cache.insert(*hash, Arc::new(view.clone()), seen);
            }
        }
        Ok(touched)
    }

    async fn set_app_data(
        &self,
        hash: &KeyHash,
        data: &AppData,
        now: OffsetDateTime,
    ) -> StoreResult<Changed> {
        let changed = self.inner.set_app_data(hash, data, now).await?;
        Ok(self.forget(changed))
    }

    async fn end(&self, which: Ending<'_>) -> StoreResult<Changed> {
        let changed = self.inner.end(which).await?;
        Ok(self.forget(changed))
    }

    async fn sealed(&self, id: SessionId, now: OffsetDateTime) -> StoreResult<Option<Sealed>> {
        self.inner.sealed(id, now).await
    }

    async fn claim_refresh(
        &self,
        id: SessionId,
        terms: LeaseTerms,
    ) -> StoreResult<Result<Sealed, NoLease>> {
        self.inner.claim_refresh(id, terms).await
    }

    async fn store_refreshed(
        &self,
        id: SessionId,
        version: i64,
        record: &RefreshedRecord,
    ) -> StoreResult<Changed> {
        let changed = self.inner.store_refreshed(id, version, record).await?;
        Ok(self.forget(changed))
    }

    async fn record_refresh_failure(
        &self,
        id: SessionId,
        version: i64,
        backoff: Backoff,
    ) -> StoreResult<Changed> {
        let changed = self.inner.record_refresh_failure(id, version, backoff).await?;
        Ok(self.forget(changed))
    }

    async fn list_for_user(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionListing>> {
        self.inner.list_for_user(user_id, now).await
    }

    async fn list_live(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<SessionListing>> {
        self.inner.list_live(now, limit).await
    }

    async fn count_live(&self, now: OffsetDateTime) -> StoreResult<u64> {
        self.inner.count_live(now).await
    }

    async fn sweep_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        // Expired entries are refused by their deadlines wherever they are cached.
        self.inner.sweep_expired(now).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }

    fn change_feed(&self, cache: Arc<SessionCache>) -> Option<ChangeFeed> {
        self.inner.change_feed(cache)
    }

    fn cache(&self) -> Option<&Arc<SessionCache>> {
        Some(&self.cache)
    }

    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
}

//! [`MemoryStore`]: sessions in this process's memory, for tests and single-process apps.
//! Nothing is shared with another process or kept across a restart, so it has no change feed:
//! run one replica with it, or none of this is true.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    record::{order_for_admin, order_for_user, Record},
    Backoff, Changed, Ending, LeaseTerms, NewRecord, NoLease, RefreshedRecord, Sealed, Store,
    StoreResult,
};
use crate::session::{
    cache::KeyHash,
    model::{AppData, SessionId, SessionListing, SessionView},
};

/// Sessions in memory, by cookie hash, with an index by public id.
#[derive(Clone, Default)]
pub struct MemoryStore {
    records: Arc<Mutex<Records>>,
}

#[derive(Default)]
struct Records {
    by_hash: HashMap<KeyHash, Record>,
    hash_of: HashMap<SessionId, KeyHash>,
}

impl Records {
    fn by_id(&mut self, id: SessionId) -> Option<&mut Record> {
        let hash = self.hash_of.get(&id)?;
        self.by_hash.get_mut(hash)
    }

    fn live_by_id(&mut self, id: SessionId, now: OffsetDateTime) -> Option<&mut Record> {
        self.by_id(id).filter(|record| record.is_live(now))
    }

    fn remove_where(&mut self, keep: impl Fn(&Record) -> bool) -> Changed {
        let mut gone = Vec::new();
        self.by_hash.retain(|hash, record| {
            let stays = keep(record);
            if !stays {
                gone.push((*hash, record.id()));
            }
            stays
        });
        for (_, id) in &gone {
            self.hash_of.remove(id);
        }
        gone.into_iter().map(|(hash, _)| hash).collect()
    }
}

/// The record's hash if a change to it happened.
fn changed_if(happened: bool, record: &Record) -> Changed {
    if happened {
        vec![record.hash]
    } else {
        Vec::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("sessions", &self.lock().by_hash.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // A panic while holding the lock leaves whole records (every change is one
        // assignment), so the data is still good.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn create(
        &self,
        record: NewRecord,
        replacing: &[SessionId],
    ) -> StoreResult<(SessionView, Changed)> {
        let record = Record::new(record);
        let view = record.view.clone();
        let mut records = self.lock();
        let replaced = records.remove_where(|r| !replacing.contains(&r.id()));
        records.hash_of.insert(record.id(), record.hash);
        records.by_hash.insert(record.hash, record);
        Ok((view, replaced))
    }

    async fn live_by_hash(
        &self,
        hash: &KeyHash,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Arc<SessionView>>> {
        Ok(self
            .lock()
            .by_hash
            .get(hash)
            .filter(|record| record.is_live(now))
            .map(|record| Arc::new(record.view.clone())))
    }

    async fn live_by_id(
        &self,
        id: SessionId,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionView>> {
        Ok(self.lock().live_by_id(id, now).map(|r| r.view.clone()))
    }

    async fn touch(
        &self,
        id: SessionId,
        now: OffsetDateTime,
        idle_deadline: OffsetDateTime,
    ) -> StoreResult<Option<(KeyHash, SessionView)>> {
        Ok(self.lock().live_by_id(id, now).map(|record| {
            record.touch(now, idle_deadline);
            (record.hash, record.view.clone())
        }))
    }

    async fn set_app_data(
        &self,
        hash: &KeyHash,
        data: &AppData,
        now: OffsetDateTime,
    ) -> StoreResult<Changed> {
        let mut records = self.lock();
        Ok(match records.by_hash.get_mut(hash) {
            Some(record) if record.is_live(now) => {
                record.view.app_data = data.clone();
                vec![*hash]
            }
            _ => Vec::new(),
        })
    }

    async fn end(&self, which: Ending<'_>) -> StoreResult<Changed> {
        Ok(self.lock().remove_where(|record| !record.is_named_by(&which)))
    }

    async fn sealed(&self, id: SessionId, now: OffsetDateTime) -> StoreResult<Option<Sealed>> {
        Ok(self.lock().live_by_id(id, now).map(|r| r.sealed()))
    }

    async fn claim_refresh(
        &self,
        id: SessionId,
        terms: LeaseTerms,
    ) -> StoreResult<Result<Sealed, NoLease>> {
        // One process, one clock: the lease is timed by the caller's.
        Ok(match self.lock().by_id(id) {
            Some(record) => record.claim_refresh(&terms, terms.now),
            None => Err(NoLease::Ended),
        })
    }

    async fn store_refreshed(
        &self,
        id: SessionId,
        version: i64,
        refreshed: &RefreshedRecord,
    ) -> StoreResult<Changed> {
        let mut records = self.lock();
        Ok(match records.by_id(id) {
            Some(record) => changed_if(record.store_refreshed(version, refreshed), record),
            None => Vec::new(),
        })
    }

    async fn record_refresh_failure(
        &self,
        id: SessionId,
        version: i64,
        backoff: Backoff,
    ) -> StoreResult<Changed> {
        let mut records = self.lock();
        Ok(match records.by_id(id) {
            Some(record) => changed_if(record.record_refresh_failure(version, &backoff), record),
            None => Vec::new(),
        })
    }

    async fn list_for_user(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionListing>> {
        let records = self.lock();
        let mine = records
            .by_hash
            .values()
            .filter(|r| r.view.user_id == user_id && r.is_live(now))
            .map(Record::listing)
            .collect();
        Ok(order_for_user(mine))
    }

    async fn list_live(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<SessionListing>> {
        let records = self.lock();
        let live = records
            .by_hash
            .values()
            .filter(|r| r.is_live(now))
            .map(Record::listing)
            .collect();
        Ok(order_for_admin(live, limit))
    }

    async fn count_live(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let records = self.lock();
        Ok(records.by_hash.values().filter(|r| r.is_live(now)).count() as u64)
    }

    async fn sweep_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        Ok(self.lock().remove_where(|r| r.is_live(now)).len() as u64)
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

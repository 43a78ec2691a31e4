//! [`PostgresStore`]: sessions in the `sessions` table (every statement in
//! [`repository`](crate::session::repository)), changes told to the other replicas by
//! `NOTIFY` in the statement that makes them, and heard by `LISTEN` ([`invalidation`]).

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{postgres::PgConnectOptions, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    Backoff, ChangeFeed, Changed, Ending, LeaseTerms, NewRecord, NoLease, RefreshedRecord, Sealed,
    Store, StoreResult,
};
use crate::session::{
    cache::{KeyHash, SessionCache},
    invalidation,
    model::{AppData, SessionId, SessionListing, SessionView},
    repository::{self, InsertRow, RefreshedRow, SecretsRow},
};

/// Sessions in PostgreSQL: the default store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The connection `LISTEN` uses (`DATABASE_DIRECT_URL`, else the pool's), if a cache is
    /// layered over this store.
    listen_on: Option<PgConnectOptions>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Sessions in `pool`'s database (the migrations create the table). A cache over this
    /// store hears other replicas' changes on a connection like the pool's.
    pub fn new(pool: PgPool) -> Self {
        let listen_on = Some(pool.connect_options().as_ref().clone());
        Self { pool, listen_on }
    }

    /// Listens for other replicas' changes on `direct` instead (a connection straight to the
    /// primary, not through a transaction-pooling proxy, which would drop `LISTEN`).
    pub fn listening_on(mut self, direct: PgConnectOptions) -> Self {
        self.listen_on = Some(direct);
        self
    }

    /// The pool it uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn hashes(changed: Vec<Vec<u8>>) -> Changed {
    changed
        .into_iter()
        .filter_map(|hash| KeyHash::try_from(hash.as_slice()).ok())
        .collect()
}

fn sealed(row: SecretsRow) -> Sealed {
    Sealed {
        id_token: row.id_token_sealed,
        tokens: row.tokens_sealed,
        version: row.token_version,
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn create(
        &self,
        record: NewRecord,
        replacing: &[SessionId],
    ) -> StoreResult<(SessionView, Changed)> {
        let row = InsertRow {
            id_hash: &record.hash,
            id: record.id,
            user_id: record.user_id,
            issuer: &record.user.issuer,
            subject: &record.user.sub,
            provider_sid: record.provider_sid.as_deref(),
            user_agent: record.user_agent.as_deref(),
            client_network: record.client_network.as_deref(),
            claims: &record.user,
            id_token_sealed: record.id_token_sealed.as_deref(),
            tokens_sealed: record.tokens_sealed.as_deref(),
            access_expires_at: record.access_expires_at,
            access_issued_at: record.access_issued_at,
            can_refresh: record.can_refresh,
            authenticated_at: record.authenticated_at,
            now: record.now,
            idle_expires_at: record.idle_expires_at,
            absolute_expires_at: record.absolute_expires_at,
        };
        let mut tx = self.pool.begin().await?;
        let mut replaced = Vec::new();
        for old in replacing {
            replaced.extend(repository::delete_by_id(&mut *tx, *old).await?);
        }
        let view = repository::insert(&mut *tx, &row).await?;
        tx.commit().await?;
        Ok((view, hashes(replaced)))
    }

    async fn live_by_hash(
        &self,
        hash: &KeyHash,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Arc<SessionView>>> {
        Ok(repository::live_by_hash(&self.pool, hash, now)
            .await?
            .map(Arc::new))
    }

    async fn live_by_id(
        &self,
        id: SessionId,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionView>> {
        Ok(repository::live_by_id(&self.pool, id, now).await?)
    }

    async fn touch(
        &self,
        id: SessionId,
        now: OffsetDateTime,
        idle_deadline: OffsetDateTime,
    ) -> StoreResult<Option<(KeyHash, SessionView)>> {
        Ok(repository::touch(&self.pool, id, now, idle_deadline)
            .await?
            .and_then(|(hash, view)| Some((KeyHash::try_from(hash.as_slice()).ok()?, view))))
    }

    async fn set_app_data(
        &self,
        hash: &KeyHash,
        data: &AppData,
        now: OffsetDateTime,
    ) -> StoreResult<Changed> {
        Ok(hashes(
            repository::set_app_data(&self.pool, hash, data, now).await?,
        ))
    }

    async fn end(&self, which: Ending<'_>) -> StoreResult<Changed> {
        let pool = &self.pool;
        let changed = match which {
            Ending::ByHash(hash) => repository::delete_by_hash(pool, hash).await?,
            Ending::ById(id) => repository::delete_by_id(pool, id).await?,
            Ending::AtVersion(id, version) => {
                repository::delete_at_version(pool, id, version).await?
            }
            Ending::Own { user_id, id } => repository::delete_own(pool, user_id, id).await?,
            Ending::AllOfUser { user_id, keep } => {
                repository::delete_for_user(pool, user_id, keep).await?
            }
            Ending::ProviderSession {
                issuer,
                sid,
                subject,
            } => repository::delete_for_provider_session(pool, issuer, sid, subject).await?,
            Ending::Subject {
                issuer,
                subject,
                created_before,
            } => repository::delete_for_subject(pool, issuer, subject, created_before).await?,
        };
        Ok(hashes(changed))
    }

    async fn sealed(&self, id: SessionId, now: OffsetDateTime) -> StoreResult<Option<Sealed>> {
        Ok(repository::secrets(&self.pool, id, now).await?.map(sealed))
    }

    async fn claim_refresh(
        &self,
        id: SessionId,
        terms: LeaseTerms,
    ) -> StoreResult<Result<Sealed, NoLease>> {
        let pool = &self.pool;
        let now = terms.now;
        if let Some(row) =
            repository::claim_refresh(pool, id, now, terms.buffer, terms.lease).await?
        {
            return Ok(Ok(sealed(row)));
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

    async fn store_refreshed(
        &self,
        id: SessionId,
        version: i64,
        record: &RefreshedRecord,
    ) -> StoreResult<Changed> {
        let row = RefreshedRow {
            tokens_sealed: &record.tokens_sealed,
            access_expires_at: record.access_expires_at,
            access_issued_at: record.access_issued_at,
            can_refresh: record.can_refresh,
            claims: &record.user,
            id_token_sealed: record.id_token_sealed.as_deref(),
        };
        Ok(hashes(
            repository::store_refreshed(&self.pool, id, version, &row).await?,
        ))
    }

    async fn record_refresh_failure(
        &self,
        id: SessionId,
        version: i64,
        backoff: Backoff,
    ) -> StoreResult<Changed> {
        Ok(hashes(
            repository::record_refresh_failure(
                &self.pool,
                id,
                version,
                backoff.now,
                backoff.base,
                backoff.cap,
            )
            .await?,
        ))
    }

    async fn list_for_user(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionListing>> {
        Ok(repository::list_for_user(&self.pool, user_id, now).await?)
    }

    async fn list_live(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<SessionListing>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(repository::list_live(&self.pool, now, limit).await?)
    }

    async fn count_live(&self, now: OffsetDateTime) -> StoreResult<u64> {
        Ok(repository::count_live(&self.pool, now).await?)
    }

    async fn sweep_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        Ok(repository::delete_expired(&self.pool, now).await?)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn change_feed(&self, cache: Arc<SessionCache>) -> Option<ChangeFeed> {
        let options = invalidation::listener_options(self.listen_on.clone()?);
        Some(Box::pin(invalidation::run(options, cache)))
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }
}

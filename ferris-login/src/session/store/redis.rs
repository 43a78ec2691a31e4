//! [`RedisStore`]: sessions in Redis or Valkey (feature `redis`, `SESSION_STORE=redis`).
//!
//! Layout, every key under the configured prefix `P`:
//! - `P s:{hash}`: the whole [`Record`] as JSON, expiring at its idle deadline (`PXAT`);
//! - `P id:{public id}`: the record's hash, expiring with it;
//! - `P u:{user}`, `P sub:{sha256(iss, sub)}`, `P sid:{sha256(iss, sid)}`: sorted sets of
//!   the hashes of a user's, a subject's and a provider session's records, scored by absolute
//!   deadline (members whose record is gone are skipped, and pruned as they expire);
//! - `P all`: every hash, scored by idle deadline (counts and the admin's list);
//! - channel `P changed`: the hash of every record changed or ended, for the other replicas'
//!   caches ([`Store::change_feed`]).
//!
//! Every change to a record is a compare-and-swap: read it, change it here by the same rules
//! as every store ([`Record`]), and write it back with a script that writes only if the
//! record is still what was read (else read again). The refresh lease is timed by the Redis
//! server's clock (`TIME`), the one clock every replica shares.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use futures_util::StreamExt;
use redis::{
    aio::{ConnectionManager, ConnectionManagerConfig},
    AsyncCommands, Client, Script,
};
use time::OffsetDateTime;
use tokio::time::timeout;
use uuid::Uuid;

use super::{
    record::{order_for_admin, order_for_user, Record},
    Backoff, ChangeFeed, Changed, Ending, LeaseTerms, NewRecord, NoLease, RefreshedRecord, Sealed,
    Store, StoreError, StoreResult,
};
use crate::session::{
    cache::{hash_from_hex, hex, KeyHash, SessionCache},
    model::{AppData, SessionId, SessionListing, SessionView},
};

/// How long a command may take before the store counts as unavailable.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the change feed proves its connection still answers, and how long it may take.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(3);
/// A compare-and-swap that keeps losing (the record changes under it) gives up after this
/// many reads.
const CAS_ATTEMPTS: usize = 16;
/// Records read per `MGET`.
const BATCH: usize = 500;

impl From<redis::RedisError> for StoreError {
    fn from(error: redis::RedisError) -> Self {
        StoreError::new(error)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::new(error)
    }
}

/// Writes `ARGV[2]` to `KEYS[1]` (expiring at `ARGV[3]` ms, as does the id key `KEYS[2]`) if
/// `KEYS[1]` still holds `ARGV[1]`; re-scores the hash in `KEYS[3]` (`all`); publishes
/// `ARGV[5]` on `ARGV[4]` if not empty. 1 if written, 0 if the record changed meanwhile.
const SWAP: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'XX', ARGV[3], ARGV[6])
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1
";

/// Deletes `KEYS[1]` (the record) and `KEYS[2]` (its id key) if `KEYS[1]` still holds
/// `ARGV[1]`, takes `ARGV[2]` out of the sets `KEYS[3..]` and publishes it on `ARGV[3]`.
const DELETE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
for i = 3, #KEYS do redis.call('ZREM', KEYS[i], ARGV[2]) end
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1
";

/// Sessions in Redis.
#[derive(Clone)]
pub struct RedisStore {
    client: Client,
    connection: ConnectionManager,
    prefix: Arc<str>,
    swap: Arc<Script>,
    delete: Arc<Script>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// A hash of the parts of an index key that come from the provider (any text).
fn digest(parts: &[&str]) -> String {
    hex(&crate::crypto::sha256(parts.join("\u{0}").as_bytes()))
}

impl RedisStore {
    /// A store at `url` (`redis://host:port/db`, `rediss://` for TLS), its keys under
    /// `prefix`. **No I/O**: it connects on first use, and reconnects by itself.
    pub fn new(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            client,
            connection,
            prefix: prefix.into(),
            swap: Arc::new(Script::new(SWAP)),
            delete: Arc::new(Script::new(DELETE)),
        })
    }

    fn con(&self) -> ConnectionManager {
        self.connection.clone()
    }

    fn key(&self, rest: std::fmt::Arguments<'_>) -> String {
        format!("{}{}", self.prefix, rest)
    }

    fn record_key(&self, hash: &str) -> String {
        self.key(format_args!("s:{hash}"))
    }

    fn id_key(&self, id: SessionId) -> String {
        self.key(format_args!("id:{id}"))
    }

    fn user_key(&self, user_id: Uuid) -> String {
        self.key(format_args!("u:{}", user_id.simple()))
    }

    fn subject_key(&self, issuer: &str, subject: &str) -> String {
        self.key(format_args!("sub:{}", digest(&[issuer, subject])))
    }

    fn provider_session_key(&self, issuer: &str, sid: &str) -> String {
        self.key(format_args!("sid:{}", digest(&[issuer, sid])))
    }

    fn all_key(&self) -> String {
        self.key(format_args!("all"))
    }

    fn channel(&self) -> String {
        self.key(format_args!("changed"))
    }

    /// The sets a record's hash is in.
    fn sets_of(&self, record: &Record) -> Vec<String> {
        let user = &record.view.user;
        let mut sets = vec![
            self.all_key(),
            self.user_key(record.view.user_id),
            self.subject_key(&user.issuer, &user.sub),
        ];
        if let Some(sid) = &record.provider_sid {
            sets.push(self.provider_session_key(&user.issuer, sid));
        }
        sets
    }

    /// The record stored under `hash`, and its JSON as stored (for a compare-and-swap).
    async fn read(&self, hash: &str) -> StoreResult<Option<(Record, String)>> {
        let json: Option<String> = self.con().get(self.record_key(hash)).await?;
        Ok(match json {
            Some(json) => Some((serde_json::from_str(&json)?, json)),
            None => None,
        })
    }

    async fn hash_of(&self, id: SessionId) -> StoreResult<Option<String>> {
        Ok(self.con().get(self.id_key(id)).await?)
    }

    async fn read_by_id(&self, id: SessionId) -> StoreResult<Option<(Record, String)>> {
        match self.hash_of(id).await? {
            Some(hash) => self.read(&hash).await,
            None => Ok(None),
        }
    }

    /// Reads the record of `id`, lets `change` decide and change it (`Some(result)`), and
    /// writes it back if nobody changed it meanwhile (else tries again). `publish`: tell the
    /// other replicas. `None` if there is no such record, or `change` declined.
    async fn update<T>(
        &self,
        id: SessionId,
        publish: bool,
        mut change: impl FnMut(&mut Record) -> Option<T> + Send,
    ) -> StoreResult<Option<(T, Record)>> {
        let Some(hash) = self.hash_of(id).await? else {
            return Ok(None);
        };
        self.update_hash(&hash, publish, &mut change).await
    }

    async fn update_hash<T>(
        &self,
        hash: &str,
        publish: bool,
        change: &mut (impl FnMut(&mut Record) -> Option<T> + Send),
    ) -> StoreResult<Option<(T, Record)>> {
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut record, old)) = self.read(hash).await? else {
                return Ok(None);
            };
            let Some(result) = change(&mut record) else {
                return Ok(None);
            };
            let new = serde_json::to_string(&record)?;
            let written: i64 = self
                .swap
                .key(self.record_key(hash))
                .key(self.id_key(record.id()))
                .key(self.all_key())
                .arg(&old)
                .arg(&new)
                .arg(millis(record.expires_at()))
                .arg(self.channel())
                .arg(if publish { hash } else { "" })
                .arg(hash)
                .invoke_async(&mut self.con())
                .await?;
            if written == 1 {
                return Ok(Some((result, record)));
            }
        }
        Err(StoreError::new(format!(
            "session record {hash:.8}… kept changing: gave up after {CAS_ATTEMPTS} attempts"
        )))
    }

    /// Deletes the record under `hash` if `named` still names it (compare and delete).
    async fn delete_if(&self, hash: &str, which: &Ending<'_>) -> StoreResult<Option<KeyHash>> {
        for _ in 0..CAS_ATTEMPTS {
            let Some((record, old)) = self.read(hash).await? else {
                return Ok(None);
            };
            if !record.is_named_by(which) {
                return Ok(None);
            }
            let mut invocation = self.delete.key(self.record_key(hash));
            invocation.key(self.id_key(record.id()));
            for set in self.sets_of(&record) {
                invocation.key(set);
            }
            let deleted: i64 = invocation
                .arg(&old)
                .arg(hash)
                .arg(self.channel())
                .invoke_async(&mut self.con())
                .await?;
            if deleted == 1 {
                return Ok(Some(record.hash));
            }
        }
        Err(StoreError::new("a session record kept changing while it was ended"))
    }

    /// The hashes in a set, pruning those past their absolute deadline.
    async fn members(&self, set: &str, now: OffsetDateTime) -> StoreResult<Vec<String>> {
        let mut con = self.con();
        let _: i64 = con.zrembyscore(set, "-inf", millis(now)).await?;
        Ok(con.zrange(set, 0, -1).await?)
    }

    /// The live records of these hashes.
    async fn live_records(&self, hashes: &[String], now: OffsetDateTime) -> StoreResult<Vec<Record>> {
        let mut records = Vec::with_capacity(hashes.len());
        for chunk in hashes.chunks(BATCH) {
            let keys: Vec<String> = chunk.iter().map(|h| self.record_key(h)).collect();
            let found: Vec<Option<String>> = redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut self.con())
                .await?;
            for json in found.into_iter().flatten() {
                let record: Record = serde_json::from_str(&json)?;
                if record.is_live(now) {
                    records.push(record);
                }
            }
        }
        Ok(records)
    }

    /// The Redis server's clock.
    async fn server_time(&self) -> StoreResult<OffsetDateTime> {
        let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut self.con()).await?;
        OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(secs) * 1_000_000_000 + i128::from(micros) * 1_000,
        )
        .map_err(StoreError::new)
    }

    /// The hashes an [`Ending`] may name (each is checked against its record before it goes).
    async fn candidates(&self, which: &Ending<'_>, now: OffsetDateTime) -> StoreResult<Vec<String>> {
        Ok(match *which {
            Ending::ByHash(hash) => vec![hex(hash)],
            Ending::ById(id) | Ending::AtVersion(id, _) | Ending::Own { id, .. } => {
                self.hash_of(id).await?.into_iter().collect()
            }
            Ending::AllOfUser { user_id, .. } => self.members(&self.user_key(user_id), now).await?,
            Ending::ProviderSession { issuer, sid, .. } => {
                self.members(&self.provider_session_key(issuer, sid), now)
                    .await?
            }
            Ending::Subject {
                issuer, subject, ..
            } => self.members(&self.subject_key(issuer, subject), now).await?,
        })
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn create(
        &self,
        record: NewRecord,
        replacing: &[SessionId],
    ) -> StoreResult<(SessionView, Changed)> {
        let mut replaced = Vec::new();
        for old in replacing {
            replaced.extend(self.end(Ending::ById(*old)).await?);
        }
        let record = Record::new(record);
        let hash = hex(&record.hash);
        let expires = millis(record.expires_at());
        let absolute = millis(record.view.absolute_expires_at);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(self.record_key(&hash))
            .arg(serde_json::to_string(&record)?)
            .arg("PXAT")
            .arg(expires)
            .ignore()
            .cmd("SET")
            .arg(self.id_key(record.id()))
            .arg(&hash)
            .arg("PXAT")
            .arg(expires)
            .ignore();
        for set in self.sets_of(&record) {
            let score = if set == self.all_key() { expires } else { absolute };
            pipe.zadd(&set, &hash, score).ignore();
            // The set goes when its last member's deadline passes.
            pipe.cmd("PEXPIREAT").arg(&set).arg(absolute).arg("GT").ignore();
            pipe.cmd("PEXPIREAT").arg(&set).arg(absolute).arg("NX").ignore();
        }
        let () = pipe.query_async(&mut self.con()).await?;
        Ok((record.view, replaced))
    }

    async fn live_by_hash(
        &self,
        hash: &KeyHash,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Arc<SessionView>>> {
        Ok(self
            .read(&hex(hash))
            .await?
            .map(|(record, _)| record)
            .filter(|record| record.is_live(now))
            .map(|record| Arc::new(record.view)))
    }

    async fn live_by_id(
        &self,
        id: SessionId,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionView>> {
        Ok(self
            .read_by_id(id)
            .await?
            .map(|(record, _)| record)
            .filter(|record| record.is_live(now))
            .map(|record| record.view))
    }

    async fn touch(
        &self,
        id: SessionId,
        now: OffsetDateTime,
        idle_deadline: OffsetDateTime,
    ) -> StoreResult<Option<(KeyHash, SessionView)>> {
        // A later deadline needs telling nobody: a cached one earlier than the stored one is
        // read again when it looks expired.
        let touched = self
            .update(id, false, |record| {
                record.is_live(now).then(|| record.touch(now, idle_deadline))
            })
            .await?;
        Ok(touched.map(|((), record)| (record.hash, record.view)))
    }

    async fn set_app_data(
        &self,
        hash: &KeyHash,
        data: &AppData,
        now: OffsetDateTime,
    ) -> StoreResult<Changed> {
        let stored = self
            .update_hash(&hex(hash), true, &mut |record: &mut Record| {
                record
                    .is_live(now)
                    .then(|| record.view.app_data = data.clone())
            })
            .await?;
        Ok(stored.map(|(_, record)| record.hash).into_iter().collect())
    }

    async fn end(&self, which: Ending<'_>) -> StoreResult<Changed> {
        let now = OffsetDateTime::now_utc();
        let mut ended = Vec::new();
        for hash in self.candidates(&which, now).await? {
            ended.extend(self.delete_if(&hash, &which).await?);
        }
        Ok(ended)
    }

    async fn sealed(&self, id: SessionId, now: OffsetDateTime) -> StoreResult<Option<Sealed>> {
        Ok(self
            .read_by_id(id)
            .await?
            .map(|(record, _)| record)
            .filter(|record| record.is_live(now))
            .map(|record| record.sealed()))
    }

    async fn claim_refresh(
        &self,
        id: SessionId,
        terms: LeaseTerms,
    ) -> StoreResult<Result<Sealed, NoLease>> {
        let lease_clock = self.server_time().await?;
        let mut refused = NoLease::Ended;
        let claimed = self
            .update(id, false, |record| {
                match record.claim_refresh(&terms, lease_clock) {
                    Ok(sealed) => Some(sealed),
                    Err(why) => {
                        refused = why;
                        None
                    }
                }
            })
            .await?;
        Ok(claimed.map(|(sealed, _)| sealed).ok_or(refused))
    }

    async fn store_refreshed(
        &self,
        id: SessionId,
        version: i64,
        refreshed: &RefreshedRecord,
    ) -> StoreResult<Changed> {
        let stored = self
            .update(id, true, |record| {
                record.store_refreshed(version, refreshed).then_some(())
            })
            .await?;
        Ok(stored.map(|(_, record)| record.hash).into_iter().collect())
    }

    async fn record_refresh_failure(
        &self,
        id: SessionId,
        version: i64,
        backoff: Backoff,
    ) -> StoreResult<Changed> {
        let recorded = self
            .update(id, true, |record| {
                record.record_refresh_failure(version, &backoff).then_some(())
            })
            .await?;
        Ok(recorded.map(|(_, record)| record.hash).into_iter().collect())
    }

    async fn list_for_user(
        &self,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<SessionListing>> {
        let hashes = self.members(&self.user_key(user_id), now).await?;
        let records = self.live_records(&hashes, now).await?;
        Ok(order_for_user(
            records
                .iter()
                .filter(|r| r.view.user_id == user_id)
                .map(Record::listing)
                .collect(),
        ))
    }

    async fn list_live(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> StoreResult<Vec<SessionListing>> {
        let hashes = self.members(&self.all_key(), now).await?;
        let records = self.live_records(&hashes, now).await?;
        Ok(order_for_admin(
            records.iter().map(Record::listing).collect(),
            limit,
        ))
    }

    async fn count_live(&self, now: OffsetDateTime) -> StoreResult<u64> {
        // Scored by idle deadline, kept up to date by every touch.
        Ok(self
            .con()
            .zcount(self.all_key(), format!("({}", millis(now)), "+inf")
            .await?)
    }

    async fn sweep_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        // Records expire by themselves (`PXAT`); this prunes the list of all of them.
        Ok(self
            .con()
            .zrembyscore(self.all_key(), "-inf", millis(now))
            .await?)
    }

    async fn ping(&self) -> StoreResult<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.con()).await?;
        Ok(())
    }

    fn change_feed(&self, cache: Arc<SessionCache>) -> Option<ChangeFeed> {
        Some(Box::pin(listen(self.client.clone(), self.channel(), cache)))
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

/// Subscribes to the change channel and drops each changed session from `cache`; while not
/// subscribed, or when the connection misses a heartbeat, the cache is flushed and bypassed.
async fn listen(client: Client, channel: String, cache: Arc<SessionCache>) {
    let mut retry = Duration::from_millis(100);
    loop {
        match timeout(RESPONSE_TIMEOUT, subscribe(&client, &channel)).await {
            Ok(Ok((mut sink, mut stream))) => {
                cache.resume();
                tracing::info!("session cache on: subscribed to session changes (Redis)");
                retry = Duration::from_millis(100);
                let mut heartbeat = tokio::time::interval(HEARTBEAT_EVERY);
                let why = loop {
                    tokio::select! {
                        message = stream.next() => match message {
                            Some(message) => {
                                let payload: String = message.get_payload().unwrap_or_default();
                                match hash_from_hex(&payload) {
                                    Some(hash) => cache.invalidate(&hash),
                                    None => tracing::warn!("unreadable session change notice"),
                                }
                            }
                            None => break "the subscription ended".to_owned(),
                        },
                        _ = heartbeat.tick() => {
                            match timeout(HEARTBEAT_TIMEOUT, sink.ping::<String>()).await {
                                Ok(Ok(_)) => {}
                                Ok(Err(e)) => break format!("heartbeat failed: {e}"),
                                Err(_) => break "heartbeat timed out".to_owned(),
                            }
                        }
                    }
                };
                cache.suspend();
                tracing::warn!(
                    error = %why,
                    "session change notices lost: cache flushed and bypassed until subscribed again"
                );
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot subscribe to session changes"),
            Err(_) => tracing::warn!("cannot subscribe to session changes: timed out"),
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(Duration::from_secs(5));
    }
}

async fn subscribe(
    client: &Client,
    channel: &str,
) -> redis::RedisResult<(redis::aio::PubSubSink, redis::aio::PubSubStream)> {
    let (mut sink, stream) = client.get_async_pubsub().await?.split();
    sink.subscribe(channel).await?;
    Ok((sink, stream))
}

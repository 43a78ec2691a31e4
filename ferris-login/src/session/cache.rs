//! The in-process session cache: what `/me` and the guards need, keyed by the SHA-256 of the
//! session cookie, so a signed-in request costs no database round trip.
//!
//! - **Bounded** ([`moka`]): by memory (each entry weighs its size) and by entries (each
//!   entry weighs at least `max_bytes / max_entries`).
//! - **Exact expiry**: an entry carries the session's deadlines, checked on every hit by the
//!   caller. A cached idle deadline is never later than the stored one (it only moves
//!   forward), so a hit that looks expired is re-read from the database, never trusted.
//! - **Revocation at once, on every replica**: every change to a session notifies the others
//!   through PostgreSQL (`session::invalidation`), in the transaction that makes it; the
//!   replica that made it evicts its own entry straight away.
//! - **No stale insert**: a miss remembers the [`generation`](SessionCache::generation) before
//!   reading the database and inserts only if no invalidation arrived meanwhile (else the
//!   read might predate a delete whose notification was already handled).
//! - **Bypassed while deaf**: until the replica listens for notifications, and whenever that
//!   connection drops or fails its heartbeat (a silent, half-open connection), the cache is
//!   flushed and every request reads the database.
//! - **A maximum age**: an entry is served for at most
//!   [`max_age`](CacheSettings::max_age) after it was read from the database, whatever
//!   happens to the notifications: the bound on staleness should everything else fail.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use moka::sync::Cache;

use super::model::SessionView;

/// SHA-256 of a session cookie's id.
pub type KeyHash = [u8; 32];

/// The hex of a hash (notification payloads, the store's envelope).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A hash from its hex; `None` for anything else.
pub fn hash_from_hex(text: &str) -> Option<KeyHash> {
    if text.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(hash)
}

/// One cached session, shared with the requests that use it.
pub type CachedSession = Arc<SessionView>;

/// What an entry costs in memory, roughly: its strings plus fixed overhead.
fn weight(view: &SessionView) -> u64 {
    let user = &view.user;
    let strings = user.sub.len()
        + user.issuer.len()
        + user.name.as_ref().map_or(0, String::len)
        + user.email.as_ref().map_or(0, String::len)
        + user.picture.as_ref().map_or(0, String::len)
        + user
            .roles
            .iter()
            .chain(&user.permissions)
            .map(|s| s.len() + 24)
            .sum::<usize>();
    // The app's data is capped small; its JSON length is a fair measure of its heap.
    let app_data = if view.app_data.is_empty() {
        0
    } else {
        serde_json::to_vec(&view.app_data).map_or(0, |json| json.len() * 2)
    };
    (strings + app_data + 512) as u64
}

/// Limits of the cache (`SESSION_CACHE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    /// At most this many entries.
    pub max_entries: u64,
    /// At most about this many bytes.
    pub max_bytes: u64,
    /// An entry not used for this long is dropped (memory only: correctness never depends on
    /// it).
    pub time_to_idle: Duration,
    /// An entry is dropped this long after it was read from the database, used or not: how
    /// long a revocation can go unseen here if notifications were lost undetected.
    pub max_age: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_bytes: 32 * 1024 * 1024,
            time_to_idle: Duration::from_secs(15 * 60),
            max_age: Duration::from_secs(5 * 60),
        }
    }
}

/// Counters for metrics and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub invalidations: u64,
    pub flushes: u64,
}

/// The in-process cache of live sessions (see the module).
pub struct SessionCache {
    entries: Option<Cache<KeyHash, CachedSession>>,
    generation: AtomicU64,
    listening: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
    flushes: AtomicU64,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("enabled", &self.is_enabled())
            .field("listening", &self.is_listening())
            .field("stats", &self.stats())
            .finish()
    }
}

impl SessionCache {
    /// A cache within `settings`. It serves nothing until [`resume`](Self::resume) says the
    /// replica listens for invalidations.
    pub fn new(settings: CacheSettings) -> Self {
        let min_weight = (settings.max_bytes / settings.max_entries.max(1)).max(1);
        let entries = Cache::builder()
            .max_capacity(settings.max_bytes)
            .weigher(move |_key: &KeyHash, entry: &CachedSession| {
                weight(entry).max(min_weight).min(u32::MAX as u64) as u32
            })
            .time_to_idle(settings.time_to_idle)
            .time_to_live(settings.max_age)
            .build();
        Self::with_entries(Some(entries))
    }

    /// No cache (`SESSION_CACHE=off`): every request reads the database.
    pub fn disabled() -> Self {
        Self::with_entries(None)
    }

    fn with_entries(entries: Option<Cache<KeyHash, CachedSession>>) -> Self {
        Self {
            entries,
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
        }
    }

    /// Whether it caches at all.
    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// Whether entries are served (enabled, and the replica listens for invalidations).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    fn active(&self) -> Option<&Cache<KeyHash, CachedSession>> {
        self.entries.as_ref().filter(|_| self.is_listening())
    }

    /// The cached session of a cookie hash (counted as a hit or a miss).
    pub fn get(&self, hash: &KeyHash) -> Option<CachedSession> {
        let entries = self.active()?;
        let found = entries.get(hash);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Whether an entry is cached (not counted as a hit or miss).
    pub fn contains(&self, hash: &KeyHash) -> bool {
        self.active()
            .is_some_and(|entries| entries.contains_key(hash))
    }

    /// Taken before a database read whose result may be inserted.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches `entry` read after `seen` was taken, unless an invalidation arrived since.
    pub fn insert(&self, hash: KeyHash, entry: CachedSession, seen: u64) {
        let Some(entries) = self.active() else {
            return;
        };
        if self.generation() != seen {
            return;
        }
        entries.insert(hash, entry);
        // An invalidation between the check and the insert: take the entry out again (at worst
        // this drops a newer, valid entry, which the next request reads back).
        if self.generation() != seen {
            entries.invalidate(&hash);
        }
    }

    /// Drops one session (it changed or ended, here or on another replica).
    pub fn invalidate(&self, hash: &KeyHash) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.invalidations.fetch_add(1, Ordering::Relaxed);
        if let Some(entries) = &self.entries {
            entries.invalidate(hash);
        }
    }

    /// The replica stopped listening: nothing cached can be trusted, nothing is served or
    /// cached until [`resume`](Self::resume).
    pub fn suspend(&self) {
        self.listening.store(false, Ordering::SeqCst);
        self.flush();
    }

    /// The replica listens (again): start from empty.
    pub fn resume(&self) {
        self.flush();
        self.listening.store(true, Ordering::SeqCst);
    }

    fn flush(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }

    /// How many entries it holds now.
    pub fn entry_count(&self) -> u64 {
        self.entries.as_ref().map_or(0, |e| {
            e.run_pending_tasks();
            e.entry_count()
        })
    }

    /// Its counters so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            flushes: self.flushes.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::model::SessionId;
    use time::OffsetDateTime;

    fn entry(name: &str) -> CachedSession {
        let now = OffsetDateTime::now_utc();
        Arc::new(SessionView {
            id: SessionId::new_random(),
            user_id: uuid::Uuid::new_v4(),
            user: serde_json::from_value(
                serde_json::json!({"sub": "s", "issuer": "i", "name": name}),
            )
            .unwrap(),
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now + time::Duration::hours(1),
            absolute_expires_at: now + time::Duration::hours(2),
            access_expires_at: None,
            can_refresh: false,
            refresh_retry_at: None,
            app_data: Default::default(),
            access_issued_at: None,
        })
    }

    fn listening(settings: CacheSettings) -> SessionCache {
        let cache = SessionCache::new(settings);
        cache.resume();
        cache
    }

    #[test]
    fn nothing_is_served_or_kept_until_the_replica_listens() {
        let cache = SessionCache::new(CacheSettings::default());
        cache.insert([1; 32], entry("a"), cache.generation());
        assert!(cache.get(&[1; 32]).is_none());
        cache.resume();
        cache.insert([1; 32], entry("a"), cache.generation());
        assert!(cache.get(&[1; 32]).is_some());
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_cached() {
        let cache = listening(CacheSettings::default());
        let seen = cache.generation();
        cache.invalidate(&[9; 32]); // any invalidation arrives while the database is read
        cache.insert([1; 32], entry("stale"), seen);
        assert!(cache.get(&[1; 32]).is_none());
    }

    #[test]
    fn invalidation_and_suspension_drop_entries() {
        let cache = listening(CacheSettings::default());
        cache.insert([1; 32], entry("a"), cache.generation());
        cache.insert([2; 32], entry("b"), cache.generation());
        cache.invalidate(&[1; 32]);
        assert!(cache.get(&[1; 32]).is_none());
        assert!(cache.get(&[2; 32]).is_some());
        cache.suspend();
        assert!(cache.get(&[2; 32]).is_none());
        cache.resume();
        assert!(cache.get(&[2; 32]).is_none(), "flushed, not revived");
    }

    #[test]
    fn the_cache_is_bounded_by_entries_and_by_memory() {
        let cache = listening(CacheSettings {
            max_entries: 50,
            max_bytes: 1024 * 1024,
            ..CacheSettings::default()
        });
        for i in 0..500u32 {
            let mut hash = [0; 32];
            hash[..4].copy_from_slice(&i.to_be_bytes());
            cache.insert(hash, entry("someone"), cache.generation());
        }
        assert!(cache.entry_count() <= 50, "{}", cache.entry_count());

        let small = listening(CacheSettings {
            max_entries: 1_000_000,
            max_bytes: 64 * 1024,
            ..CacheSettings::default()
        });
        let big_name = "x".repeat(4000);
        for i in 0..500u32 {
            let mut hash = [0; 32];
            hash[..4].copy_from_slice(&i.to_be_bytes());
            small.insert(hash, entry(&big_name), small.generation());
        }
        // Each entry weighs over 4 KB: at most 16 fit in 64 KB.
        assert!(small.entry_count() <= 16, "{}", small.entry_count());
    }

    #[test]
    fn an_entry_is_not_served_past_its_maximum_age_even_in_use() {
        let cache = listening(CacheSettings {
            max_age: Duration::from_millis(300),
            ..CacheSettings::default()
        });
        cache.insert([1; 32], entry("a"), cache.generation());
        assert!(cache.get(&[1; 32]).is_some());
        // Used all along (time-to-idle never runs out), yet dropped at its maximum age.
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(50));
            let _ = cache.get(&[1; 32]);
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(cache.get(&[1; 32]).is_none());
    }

    #[test]
    fn a_disabled_cache_serves_nothing() {
        let cache = SessionCache::disabled();
        cache.resume();
        cache.insert([1; 32], entry("a"), cache.generation());
        assert!(cache.get(&[1; 32]).is_none());
        assert!(!cache.is_enabled());
    }
}

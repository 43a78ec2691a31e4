//! The session store contract: every test runs against every store this crate ships
//! (PostgreSQL, PostgreSQL under the cache, memory, Redis, Redis under the cache), through the
//! public `Store` trait only. Redis is the one at `TEST_REDIS_URL` (default
//! `redis://127.0.0.1:6379`), each test under a key prefix of its own.

use std::{sync::Arc, time::Duration};

use ferris_login::{
    store::{
        Backoff, CacheSettings, CachedStore, Ending, LeaseTerms, MemoryStore, NewRecord, NoLease,
        PostgresStore, RedisStore, RefreshedRecord, SessionId, Store,
    },
    User,
};
use sqlx::{postgres::PgPoolOptions, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

mod support;
use support::Database;

const IDLE: time::Duration = time::Duration::minutes(10);
const ABSOLUTE: time::Duration = time::Duration::hours(1);

/// The stores under test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Postgres,
    PostgresCached,
    Memory,
    Redis,
    RedisCached,
}

const ALL: [Kind; 5] = [
    Kind::Postgres,
    Kind::PostgresCached,
    Kind::Memory,
    Kind::Redis,
    Kind::RedisCached,
];

/// A store of one kind, on fresh state, and a way to open a second process's view of the
/// same state (another replica).
struct Fixture {
    kind: Kind,
    store: Arc<dyn Store>,
    pool: Option<PgPool>,
    redis_prefix: String,
    db: Option<Database>,
    feeds: Vec<tokio::task::JoinHandle<()>>,
}

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

impl Fixture {
    async fn new(kind: Kind) -> Self {
        let mut fixture = Fixture {
            kind,
            store: Arc::new(MemoryStore::new()),
            pool: None,
            redis_prefix: format!("ferris-test:{}:", Uuid::new_v4().simple()),
            db: None,
            feeds: Vec::new(),
        };
        if matches!(kind, Kind::Postgres | Kind::PostgresCached) {
            let db = Database::create().await;
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .connect(&db.url)
                .await
                .unwrap();
            sqlx::migrate!("../migrations").run(&pool).await.unwrap();
            fixture.pool = Some(pool);
            fixture.db = Some(db);
        }
        fixture.store = fixture.replica().await;
        fixture
    }

    /// A store over the fixture's state, as another process would open it; a cached one
    /// listens before it is returned.
    async fn replica(&mut self) -> Arc<dyn Store> {
        let store: Arc<dyn Store> = match self.kind {
            Kind::Memory => return self.store.clone(),
            Kind::Postgres => Arc::new(PostgresStore::new(self.own_pool().await)),
            Kind::PostgresCached => Arc::new(CachedStore::new(
                PostgresStore::new(self.own_pool().await),
                CacheSettings::default(),
            )),
            Kind::Redis => Arc::new(RedisStore::new(&redis_url(), &self.redis_prefix).unwrap()),
            Kind::RedisCached => Arc::new(CachedStore::new(
                RedisStore::new(&redis_url(), &self.redis_prefix).unwrap(),
                CacheSettings::default(),
            )),
        };
        if let Some(cache) = store.cache() {
            let feed = store.change_feed(cache.clone()).expect("a change feed");
            self.feeds.push(tokio::spawn(feed));
            let listening = wait_until(Duration::from_secs(10), || cache.is_listening()).await;
            assert!(listening, "{:?}: the cache never listened", self.kind);
        }
        store
    }

    async fn own_pool(&self) -> PgPool {
        let url = &self.db.as_ref().unwrap().url;
        PgPoolOptions::new()
            .max_connections(4)
            .connect(url)
            .await
            .unwrap()
    }

    /// A user id the store accepts (PostgreSQL keeps sessions of known users only).
    async fn user(&self, sub: &str) -> Uuid {
        let id = Uuid::new_v4();
        if let Some(pool) = &self.pool {
            sqlx::query(
                "INSERT INTO users (id, issuer, subject, created_at, last_login_at) \
                 VALUES ($1, 'https://idp/', $2, now(), now())",
            )
            .bind(id)
            .bind(sub)
            .execute(pool)
            .await
            .unwrap();
        }
        id
    }

    async fn finish(self) {
        for feed in self.feeds {
            feed.abort();
        }
        if let Some(pool) = self.pool {
            pool.close().await;
        }
        if let Some(db) = self.db {
            db.drop().await;
        }
    }
}

async fn wait_until(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// A test whose body runs once per store kind, on a fresh fixture `f`.
macro_rules! every_store {
    ($name:ident, |$f:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            for kind in ALL {
                #[allow(unused_mut)]
                let mut $f = Fixture::new(kind).await;
                $body
                $f.finish().await;
            }
        }
    };
}

fn user_claims(sub: &str, name: Option<&str>) -> User {
    serde_json::from_value(serde_json::json!({
        "sub": sub, "issuer": "https://idp/", "name": name, "roles": ["reader"],
    }))
    .unwrap()
}

/// A new record: a random cookie hash, deadlines from `now`, an access token due in 10 min.
fn record(user_id: Uuid, sub: &str, sid: Option<&str>, now: OffsetDateTime) -> NewRecord {
    NewRecord {
        hash: rand_hash(),
        id: SessionId::from(Uuid::new_v4()),
        user_id,
        user: user_claims(sub, Some(sub)),
        provider_sid: sid.map(str::to_owned),
        user_agent: Some("test-agent".into()),
        client_network: Some("127.0.0.0/24".into()),
        id_token_sealed: Some("sealed-id-token".into()),
        tokens_sealed: Some("sealed-tokens".into()),
        access_expires_at: Some(now + time::Duration::minutes(10)),
        access_issued_at: Some(now),
        can_refresh: true,
        authenticated_at: now,
        now,
        idle_expires_at: now + IDLE,
        absolute_expires_at: now + ABSOLUTE,
    }
}

fn rand_hash() -> [u8; 32] {
    let mut hash = [0u8; 32];
    hash[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    hash[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    hash
}

/// Now, to the microsecond (what every store keeps).
fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap()
}

every_store!(
    a_session_is_found_by_its_hash_and_id_until_a_deadline_passes,
    |f| {
        let t0 = now();
        let user = f.user("ada").await;
        let new = record(user, "ada", None, t0);
        let (hash, id) = (new.hash, new.id);
        let (view, replaced) = f.store.create(new, &[]).await.unwrap();
        assert!(replaced.is_empty());
        assert_eq!(view.id, id);
        assert_eq!(view.user.name.as_deref(), Some("ada"), "{:?}", f.kind);

        let found = f.store.live_by_hash(&hash, t0).await.unwrap().unwrap();
        assert_eq!(*found, view, "{:?}", f.kind);
        assert_eq!(
            f.store.live_by_id(id, t0).await.unwrap(),
            Some(view.clone())
        );
        assert!(f
            .store
            .live_by_hash(&rand_hash(), t0)
            .await
            .unwrap()
            .is_none());

        let idle_over = t0 + IDLE + time::Duration::seconds(1);
        assert!(
            f.store
                .live_by_hash(&hash, idle_over)
                .await
                .unwrap()
                .is_none(),
            "{:?}",
            f.kind
        );
        assert!(f.store.live_by_id(id, idle_over).await.unwrap().is_none());
        assert!(f.store.sealed(id, idle_over).await.unwrap().is_none());
        let sealed = f.store.sealed(id, t0).await.unwrap().unwrap();
        assert_eq!(sealed.tokens.as_deref(), Some("sealed-tokens"));
        assert_eq!(sealed.version, 0);
    }
);

every_store!(
    use_slides_the_idle_deadline_never_back_and_never_past_the_absolute_one,
    |f| {
        let t0 = now();
        let user = f.user("ada").await;
        let new = record(user, "ada", None, t0);
        let (hash, id) = (new.hash, new.id);
        f.store.create(new, &[]).await.unwrap();

        let t1 = t0 + time::Duration::minutes(5);
        let (touched_hash, view) = f.store.touch(id, t1, t1 + IDLE).await.unwrap().unwrap();
        assert_eq!(touched_hash, hash);
        assert_eq!(view.idle_expires_at, t1 + IDLE, "{:?}", f.kind);
        assert_eq!(view.last_seen_at, t1);
        // Alive past the first idle deadline, from the cache or not.
        let t2 = t0 + IDLE + time::Duration::minutes(1);
        assert!(
            f.store.live_by_hash(&hash, t2).await.unwrap().is_some(),
            "{:?}",
            f.kind
        );

        // Never back.
        let (_, view) = f.store.touch(id, t1, t0 + IDLE).await.unwrap().unwrap();
        assert_eq!(view.idle_expires_at, t1 + IDLE);
        // Never past the absolute deadline.
        let past_absolute = t0 + ABSOLUTE + IDLE;
        let (_, view) = f.store.touch(id, t1, past_absolute).await.unwrap().unwrap();
        assert_eq!(view.idle_expires_at, t0 + ABSOLUTE, "{:?}", f.kind);
        // A gone session is not touched.
        assert!(f
            .store
            .touch(id, t0 + ABSOLUTE, t0 + ABSOLUTE + IDLE)
            .await
            .unwrap()
            .is_none());
    }
);

every_store!(
    the_apps_data_is_kept_with_a_live_session_and_nowhere_else,
    |f| {
        let t0 = now();
        let user = f.user("ada").await;
        let new = record(user, "ada", None, t0);
        let (hash, id) = (new.hash, new.id);
        f.store.create(new, &[]).await.unwrap();
        let mut data = serde_json::Map::new();
        data.insert("cart".into(), serde_json::json!(["book"]));

        // Read first, so a cache holds the old view: the change must not be hidden by it.
        assert!(f
            .store
            .live_by_hash(&hash, t0)
            .await
            .unwrap()
            .unwrap()
            .app_data
            .is_empty());
        assert_eq!(
            f.store.set_app_data(&hash, &data, t0).await.unwrap(),
            vec![hash]
        );
        let found = f.store.live_by_hash(&hash, t0).await.unwrap().unwrap();
        assert_eq!(found.app_data, data, "{:?}", f.kind);

        f.store.end(Ending::ById(id)).await.unwrap();
        assert!(
            f.store
                .set_app_data(&hash, &data, t0)
                .await
                .unwrap()
                .is_empty(),
            "{:?}",
            f.kind
        );
        assert!(f
            .store
            .set_app_data(&rand_hash(), &data, t0)
            .await
            .unwrap()
            .is_empty());
    }
);

every_store!(each_ending_ends_exactly_the_sessions_it_names, |f| {
    let t0 = now();
    let ada = f.user("ada").await;
    let bob = f.user("bob").await;
    let mut made = Vec::new();
    for (user, sub, sid) in [
        (ada, "ada", Some("sid-1")), // 0
        (ada, "ada", Some("sid-1")), // 1
        (ada, "ada", Some("sid-2")), // 2
        (bob, "bob", Some("sid-1")), // 3: same provider session id, another subject
        (bob, "bob", None),          // 4
        (bob, "bob", None),          // 5
        (ada, "ada", None),          // 6
    ] {
        let new = record(user, sub, sid, t0);
        made.push((new.hash, new.id));
        f.store.create(new, &[]).await.unwrap();
    }
    let live = |store: Arc<dyn Store>, i: usize, made: Vec<([u8; 32], SessionId)>| async move {
        store.live_by_hash(&made[i].0, t0).await.unwrap().is_some()
    };
    // Everyone reads first: a cache must not keep what ends.
    for i in 0..made.len() {
        assert!(live(f.store.clone(), i, made.clone()).await);
    }
    let ended = |changed: Vec<[u8; 32]>| -> Vec<usize> {
        let mut which: Vec<usize> = changed
            .iter()
            .map(|h| made.iter().position(|(hash, _)| hash == h).unwrap())
            .collect();
        which.sort();
        which
    };

    let by_sid = Ending::ProviderSession {
        issuer: "https://idp/",
        sid: "sid-1",
        subject: Some("ada"),
    };
    assert_eq!(
        ended(f.store.end(by_sid).await.unwrap()),
        [0, 1],
        "{:?}",
        f.kind
    );
    let other_issuer = Ending::ProviderSession {
        issuer: "https://other/",
        sid: "sid-1",
        subject: None,
    };
    assert!(f.store.end(other_issuer).await.unwrap().is_empty());
    let not_own = Ending::Own {
        user_id: ada,
        id: made[4].1,
    };
    assert!(
        f.store.end(not_own).await.unwrap().is_empty(),
        "{:?}",
        f.kind
    );
    let own = Ending::Own {
        user_id: bob,
        id: made[4].1,
    };
    assert_eq!(ended(f.store.end(own).await.unwrap()), [4]);
    let all_but = Ending::AllOfUser {
        user_id: bob,
        keep: Some(made[5].1),
    };
    assert_eq!(
        ended(f.store.end(all_but).await.unwrap()),
        [3],
        "{:?}",
        f.kind
    );
    let before = Ending::Subject {
        issuer: "https://idp/",
        subject: "ada",
        created_before: t0 - time::Duration::seconds(1),
    };
    assert!(
        f.store.end(before).await.unwrap().is_empty(),
        "created after: kept"
    );
    let subject = Ending::Subject {
        issuer: "https://idp/",
        subject: "ada",
        created_before: t0,
    };
    assert_eq!(
        ended(f.store.end(subject).await.unwrap()),
        [2, 6],
        "{:?}",
        f.kind
    );
    assert_eq!(
        ended(f.store.end(Ending::ByHash(&made[5].0)).await.unwrap()),
        [5]
    );
    assert!(
        f.store
            .end(Ending::ById(made[5].1))
            .await
            .unwrap()
            .is_empty(),
        "ends once"
    );

    for i in 0..made.len() {
        assert!(
            !live(f.store.clone(), i, made.clone()).await,
            "{:?}: {i} still live",
            f.kind
        );
    }
});

every_store!(a_new_session_replaces_the_browsers_previous_one, |f| {
    let t0 = now();
    let user = f.user("ada").await;
    let old = record(user, "ada", None, t0);
    let (old_hash, old_id) = (old.hash, old.id);
    f.store.create(old, &[]).await.unwrap();
    assert!(f.store.live_by_hash(&old_hash, t0).await.unwrap().is_some());
    let new = record(user, "ada", None, t0);
    let new_hash = new.hash;
    let (_, replaced) = f.store.create(new, &[old_id]).await.unwrap();
    assert_eq!(replaced, vec![old_hash], "{:?}", f.kind);
    assert!(f.store.live_by_hash(&old_hash, t0).await.unwrap().is_none());
    assert!(f.store.live_by_hash(&new_hash, t0).await.unwrap().is_some());
});

fn refreshed(name: &str) -> RefreshedRecord {
    RefreshedRecord {
        tokens_sealed: format!("sealed-tokens-{name}"),
        access_expires_at: None,
        access_issued_at: None,
        can_refresh: true,
        user: user_claims("ada", Some(name)),
        id_token_sealed: None,
    }
}

every_store!(
    the_refresh_lease_is_claimed_once_and_the_swap_checks_the_version,
    |f| {
        let t0 = now();
        let user = f.user("ada").await;
        let new = record(user, "ada", None, t0);
        let (hash, id) = (new.hash, new.id);
        f.store.create(new, &[]).await.unwrap();
        let terms = |now, buffer| LeaseTerms {
            now,
            buffer,
            lease: Duration::from_secs(30),
        };

        // Not due: the token lives 10 more minutes, the buffer is 1.
        let not_due = f
            .store
            .claim_refresh(id, terms(t0, Duration::from_secs(60)))
            .await
            .unwrap();
        assert_eq!(not_due, Err(NoLease::NotDue), "{:?}", f.kind);
        // Due (past half its life): claimed once; a second claim finds the lease.
        let due_at = t0 + time::Duration::minutes(6);
        let claimed = f
            .store
            .claim_refresh(id, terms(due_at, Duration::from_secs(300)))
            .await
            .unwrap();
        let sealed = claimed.expect("claimed");
        assert_eq!(sealed.version, 0);
        let again = f
            .store
            .claim_refresh(id, terms(due_at, Duration::from_secs(300)))
            .await
            .unwrap();
        assert!(
            matches!(again, Err(NoLease::Leased(_))),
            "{:?}: {again:?}",
            f.kind
        );

        // Read, so a cache holds the claims before the refresh.
        assert_eq!(
            f.store
                .live_by_hash(&hash, due_at)
                .await
                .unwrap()
                .unwrap()
                .user
                .name
                .as_deref(),
            Some("ada")
        );
        let stored = f
            .store
            .store_refreshed(id, 0, &refreshed("ada2"))
            .await
            .unwrap();
        assert_eq!(stored, vec![hash], "{:?}", f.kind);
        let lost = f
            .store
            .store_refreshed(id, 0, &refreshed("stale"))
            .await
            .unwrap();
        assert!(lost.is_empty(), "{:?}: a stale version must lose", f.kind);
        let view = f.store.live_by_hash(&hash, due_at).await.unwrap().unwrap();
        assert_eq!(view.user.name.as_deref(), Some("ada2"), "{:?}", f.kind);
        let sealed = f.store.sealed(id, due_at).await.unwrap().unwrap();
        assert_eq!(
            (sealed.version, sealed.tokens.as_deref()),
            (1, Some("sealed-tokens-ada2"))
        );

        // Ending at a stale version does nothing; at the current one it ends.
        assert!(
            f.store
                .end(Ending::AtVersion(id, 0))
                .await
                .unwrap()
                .is_empty(),
            "{:?}",
            f.kind
        );
        assert_eq!(
            f.store.end(Ending::AtVersion(id, 1)).await.unwrap(),
            vec![hash]
        );
        let gone = f
            .store
            .claim_refresh(id, terms(due_at, Duration::from_secs(300)))
            .await
            .unwrap();
        assert_eq!(gone, Err(NoLease::Ended));
    }
);

every_store!(a_failed_refresh_backs_off_exponentially, |f| {
    let t0 = now();
    let user = f.user("ada").await;
    let new = record(user, "ada", None, t0);
    let id = new.id;
    f.store.create(new, &[]).await.unwrap();
    let due_at = t0 + time::Duration::minutes(6);
    let terms = LeaseTerms {
        now: due_at,
        buffer: Duration::from_secs(300),
        lease: Duration::from_secs(30),
    };
    let backoff = Backoff {
        now: due_at,
        base: Duration::from_secs(5),
        cap: Duration::from_secs(300),
    };

    f.store
        .claim_refresh(id, terms)
        .await
        .unwrap()
        .expect("claimed");
    assert_eq!(
        f.store
            .record_refresh_failure(id, 0, backoff)
            .await
            .unwrap()
            .len(),
        1
    );
    let refused = f.store.claim_refresh(id, terms).await.unwrap();
    assert_eq!(
        refused,
        Err(NoLease::BackingOff(due_at + time::Duration::seconds(5))),
        "{:?}",
        f.kind
    );
    let view = f.store.live_by_id(id, due_at).await.unwrap().unwrap();
    assert_eq!(
        view.refresh_retry_at,
        Some(due_at + time::Duration::seconds(5))
    );

    // After the wait it is claimed again; a second failure waits twice as long.
    let later = LeaseTerms {
        now: due_at + time::Duration::seconds(6),
        ..terms
    };
    f.store
        .claim_refresh(id, later)
        .await
        .unwrap()
        .expect("claimed after the back-off");
    let second = Backoff {
        now: later.now,
        ..backoff
    };
    f.store.record_refresh_failure(id, 0, second).await.unwrap();
    let view = f.store.live_by_id(id, later.now).await.unwrap().unwrap();
    assert_eq!(
        view.refresh_retry_at,
        Some(later.now + time::Duration::seconds(10)),
        "{:?}",
        f.kind
    );
    // A stale version records nothing.
    assert!(f
        .store
        .record_refresh_failure(id, 7, second)
        .await
        .unwrap()
        .is_empty());
});

every_store!(listings_show_live_sessions_in_their_order_and_count, |f| {
    let t0 = now();
    let ada = f.user("ada").await;
    let bob = f.user("bob").await;
    let first = record(ada, "ada", None, t0);
    let second = record(ada, "ada", None, t0 + time::Duration::seconds(1));
    let bobs = record(bob, "bob", None, t0);
    let (first_id, second_id) = (first.id, second.id);
    for new in [first, second, bobs] {
        f.store.create(new, &[]).await.unwrap();
    }
    // The first is used after the second: it leads the user's list.
    let t1 = t0 + time::Duration::minutes(2);
    f.store.touch(first_id, t1, t1 + IDLE).await.unwrap();
    let mine: Vec<SessionId> = f
        .store
        .list_for_user(ada, t1)
        .await
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(mine, [first_id, second_id], "{:?}", f.kind);
    let listed = f.store.list_for_user(ada, t1).await.unwrap();
    assert_eq!(listed[0].user_agent.as_deref(), Some("test-agent"));

    // The admin's list: by name (ada, then bob), newest login first within a user.
    let all: Vec<String> = f
        .store
        .list_live(t1, 10)
        .await
        .unwrap()
        .iter()
        .map(|l| l.user.sub.clone())
        .collect();
    assert_eq!(all, ["ada", "ada", "bob"], "{:?}", f.kind);
    assert_eq!(f.store.list_live(t1, 10).await.unwrap()[0].id, second_id);
    assert_eq!(f.store.list_live(t1, 2).await.unwrap().len(), 2);
    assert_eq!(f.store.count_live(t1).await.unwrap(), 3, "{:?}", f.kind);

    // Past the idle deadline of the two not touched: only the first is left.
    let t2 = t0 + IDLE + time::Duration::seconds(5);
    assert_eq!(f.store.count_live(t2).await.unwrap(), 1, "{:?}", f.kind);
    assert_eq!(f.store.list_live(t2, 10).await.unwrap().len(), 1);
    f.store.sweep_expired(t2).await.unwrap();
    assert_eq!(f.store.count_live(t2).await.unwrap(), 1, "{:?}", f.kind);
    let mine: Vec<SessionId> = f
        .store
        .list_for_user(ada, t2)
        .await
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(mine, [first_id]);
});

every_store!(
    a_change_made_through_one_replica_is_seen_through_another,
    |f| {
        let t0 = now();
        let user = f.user("ada").await;
        let other = f.replica().await;
        let new = record(user, "ada", None, t0);
        let (hash, id) = (new.hash, new.id);
        f.store.create(new, &[]).await.unwrap();
        // The other replica reads it (a cache keeps it), then this one changes and ends it.
        assert!(other.live_by_hash(&hash, t0).await.unwrap().is_some());
        let mut data = serde_json::Map::new();
        data.insert("theme".into(), serde_json::json!("dark"));
        f.store.set_app_data(&hash, &data, t0).await.unwrap();
        let mut seen = false;
        for _ in 0..50 {
            if other
                .live_by_hash(&hash, t0)
                .await
                .unwrap()
                .unwrap()
                .app_data
                == data
            {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(seen, "{:?}: the other replica kept the old data", f.kind);
        f.store.end(Ending::ById(id)).await.unwrap();
        let mut gone = false;
        for _ in 0..50 {
            if other.live_by_hash(&hash, t0).await.unwrap().is_none() {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            gone,
            "{:?}: the other replica still serves an ended session",
            f.kind
        );
    }
);

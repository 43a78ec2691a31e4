//! Contract tests of the session module (`Sessions`, and `ActixSessionStore` as actix-session
//! sees it) against real PostgreSQL, with a manual clock; each runs with the cache on and off.

use std::{collections::HashMap, sync::Arc, time::Duration};

use actix_session::storage::{SessionKey, SessionStore};
use actix_web::cookie::time::Duration as CookieDuration;
use ferris_login::{
    clock::ManualClock,
    crypto::Keyring,
    session::{
        actix_store::{self as store, Envelope},
        sessions::NoLease,
        ActixSessionStore, CacheSettings, CachedStore, NewSession, PostgresStore, SessionId,
        SessionView, Sessions, Store, StoredTokens, Timeouts,
    },
};
use sqlx::{postgres::PgPoolOptions, PgPool};
use uuid::Uuid;

use crate::helpers::{TestDatabase, TEST_SECRET};

const IDLE: Duration = Duration::from_secs(600);
const ABSOLUTE: Duration = Duration::from_secs(3600);
/// Past half the life of the access tokens `new_session` stores (600 s from the real clock,
/// which runs ahead of the fixture's by the set-up time): from then on they are due with any
/// buffer of 300 s or more. Still well within the idle timeout.
const PAST_HALF_A_TOKEN: Duration = Duration::from_secs(400);

struct Fixture {
    sessions: Sessions,
    store: ActixSessionStore,
    pool: PgPool,
    clock: ManualClock,
    _db: TestDatabase,
}

async fn fixture(cached: bool) -> Fixture {
    let db = TestDatabase::create().await;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&db.url)
        .await
        .unwrap();
    sqlx::migrate!("../migrations").run(&pool).await.unwrap();
    let clock = ManualClock::starting_now();
    let postgres = PostgresStore::new(pool.clone());
    let store: Arc<dyn Store> = if cached {
        let store = CachedStore::new(postgres, CacheSettings::default());
        store.cache().unwrap().resume(); // as if listening: these tests run one replica
        Arc::new(store)
    } else {
        Arc::new(postgres)
    };
    let sessions = Sessions::new(
        store,
        Arc::new(clock.clone()),
        Arc::new(Keyring::from_secrets([TEST_SECRET])),
        Timeouts {
            idle: IDLE,
            absolute: ABSOLUTE,
        },
    );
    Fixture {
        store: ActixSessionStore::new(sessions.clone()),
        sessions,
        pool,
        clock,
        _db: db,
    }
}

/// A test whose body runs twice, on a fresh fixture `f`: with the cache off, then on.
macro_rules! both {
    ($name:ident, |$f:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            for cached in [false, true] {
                let $f = fixture(cached).await;
                $body
            }
        }
    };
}

async fn user(pool: &PgPool, sub: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO users (id, issuer, subject, created_at, last_login_at) \
         VALUES ($1, 'https://idp/', $2, now(), now()) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(sub)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn new_session(user_id: Uuid, sub: &str) -> NewSession {
    NewSession {
        user_id,
        user: serde_json::from_value(serde_json::json!({
            "sub": sub, "issuer": "https://idp/", "name": "Ada", "roles": ["admin"],
        }))
        .unwrap(),
        provider_sid: Some(format!("sid-of-{sub}")),
        user_agent: Some("test-agent".into()),
        client_network: Some("127.0.0.0/24".into()),
        id_token: Some("id.token.value".into()),
        tokens: Some(StoredTokens {
            access_token: "access-token-value".into(),
            refresh_token: Some("refresh-token-value".into()),
            expires_at: Some(unix_in(600)),
        }),
        authenticated_at: time::OffsetDateTime::now_utc(),
    }
}

/// Unix seconds, `secs` from now.
fn unix_in(secs: i64) -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() + secs
}

/// A signed-in session: (the cookie's id, its public id).
async fn signed_in(f: &Fixture, sub: &str) -> (SessionKey, SessionId) {
    let user_id = user(&f.pool, sub).await;
    let created = f
        .sessions
        .create(new_session(user_id, sub), &[])
        .await
        .unwrap();
    let id = created.view.id;
    (key_of(created), id)
}

/// The id the browser's cookie will carry.
fn key_of(created: ferris_login::session::sessions::CreatedSession) -> SessionKey {
    created.key().to_owned().try_into().unwrap()
}

fn ttl() -> CookieDuration {
    CookieDuration::hours(1)
}

fn copy(key: &SessionKey) -> SessionKey {
    key.as_ref().to_owned().try_into().unwrap()
}

/// The session as a handler sees it after actix-session loaded `key`: from the view the
/// store's state carries, or (when cached) from the cache entry it names.
async fn view(f: &Fixture, key: &SessionKey) -> Option<Arc<SessionView>> {
    let state = f.store.load(key).await.unwrap()?;
    match envelope(&state) {
        Envelope::View(view) => Some(Arc::new(*view)),
        Envelope::Cached(_) => f.sessions.find_by_cookie(key.as_ref()).await.unwrap(),
        other => panic!("a loaded session's envelope: {other:?}"),
    }
}

/// The library's entry of actix-session's state.
fn envelope(state: &HashMap<String, String>) -> Envelope {
    serde_json::from_str(&state[store::RESERVED_KEY]).unwrap()
}

fn created_state(key: &str) -> HashMap<String, String> {
    HashMap::from([(
        store::RESERVED_KEY.to_owned(),
        serde_json::to_string(&Envelope::created(key.to_owned())).unwrap(),
    )])
}

async fn rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(pool)
        .await
        .unwrap()
}

both!(a_created_session_loads_with_its_public_id_and_claims, |f| {
    let (key, id) = signed_in(&f, "sub-1").await;
    assert_eq!(key.as_ref().len(), 64);
    let loaded = view(&f, &key).await.expect("live");
    assert_eq!(loaded.id, id);
    assert_eq!(loaded.user.sub, "sub-1");
    assert_eq!(loaded.user.roles, ["admin"]);
    assert!(loaded.can_refresh);
    assert!(loaded.access_expires_at.is_some());
    // The public id is not derived from the cookie.
    assert!(!key.as_ref().contains(&id.to_string().replace('-', "")));
});

both!(
    saving_returns_the_created_id_and_refuses_data_without_a_session,
    |f| {
        let user_id = user(&f.pool, "sub-1").await;
        let created = f
            .sessions
            .create(new_session(user_id, "sub-1"), &[])
            .await
            .unwrap();
        let expected = created.key().to_owned();
        let state = created_state(&expected);
        let key = f.store.save(state, &ttl()).await.unwrap();
        assert_eq!(key.as_ref(), expected);
        assert_eq!(rows(&f.pool).await, 1, "save wrote nothing more");

        let free_form = HashMap::from([("cart".to_owned(), "[1,2,3]".to_owned())]);
        assert!(f.store.save(free_form, &ttl()).await.is_err());
        assert_eq!(rows(&f.pool).await, 1);
    }
);

both!(keys_are_unique_and_only_their_hash_is_stored, |f| {
    let user_id = user(&f.pool, "sub-1").await;
    let mut keys = std::collections::HashSet::new();
    for _ in 0..200 {
        let created = f
            .sessions
            .create(new_session(user_id, "sub-1"), &[])
            .await
            .unwrap();
        assert!(keys.insert(created.key().to_owned()));
    }
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(&f.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 200);
    for hash in stored {
        assert_eq!(hash.len(), 32);
        assert!(!keys.contains(&String::from_utf8_lossy(&hash).into_owned()));
    }
});

both!(an_unknown_key_loads_nothing, |f| {
    let key: SessionKey = "x".repeat(64).try_into().unwrap();
    assert_eq!(f.store.load(&key).await.unwrap(), None);
});

both!(ending_a_session_is_final, |f| {
    let (key, id) = signed_in(&f, "sub-1").await;
    assert!(view(&f, &key).await.is_some());
    assert!(f.sessions.end(id).await.unwrap());
    assert!(
        view(&f, &key).await.is_none(),
        "gone at once, cached or not"
    );
    assert!(
        !f.sessions.end(id).await.unwrap(),
        "ending twice is no error"
    );
    // An update racing the logout brings nothing back, and says its data was not kept.
    assert!(f
        .store
        .update(copy(&key), HashMap::new(), &ttl())
        .await
        .is_err());
    assert!(view(&f, &key).await.is_none());
    f.store.delete(&key).await.unwrap();
    assert_eq!(rows(&f.pool).await, 0);
});

both!(
    the_apps_data_is_stored_with_the_session_and_loaded_back,
    |f| {
        let (key, _) = signed_in(&f, "sub-1").await;
        let mut state = f.store.load(&key).await.unwrap().unwrap();
        state.insert("cart".into(), r#"["book",2]"#.into());
        let key = f.store.update(key, state, &ttl()).await.unwrap();
        let again = f.store.load(&key).await.unwrap().unwrap();
        assert_eq!(again["cart"], r#"["book",2]"#);
        assert!(again.contains_key(store::RESERVED_KEY));
        let stored: serde_json::Value = sqlx::query_scalar("SELECT app_data FROM sessions")
            .fetch_one(&f.pool)
            .await
            .unwrap();
        assert_eq!(
            stored,
            serde_json::json!({"cart": ["book", 2]}),
            "the envelope is never stored"
        );

        // Removing it is stored too.
        let mut state = again;
        state.remove("cart");
        let key = f.store.update(key, state, &ttl()).await.unwrap();
        assert!(!f
            .store
            .load(&key)
            .await
            .unwrap()
            .unwrap()
            .contains_key("cart"));
    }
);

both!(
    data_over_the_cap_is_an_error_and_the_stored_data_stays,
    |f| {
        let (key, _) = signed_in(&f, "sub-1").await;
        let mut state = f.store.load(&key).await.unwrap().unwrap();
        state.insert("theme".into(), r#""dark""#.into());
        let key = f.store.update(key, state.clone(), &ttl()).await.unwrap();
        let huge = format!("\"{}\"", "x".repeat(ferris_login::MAX_APP_DATA_BYTES));
        state.insert("notes".into(), huge);
        assert!(f.store.update(copy(&key), state, &ttl()).await.is_err());
        let kept = f.store.load(&key).await.unwrap().unwrap();
        assert_eq!(kept["theme"], r#""dark""#);
        assert!(!kept.contains_key("notes"));
    }
);

both!(the_store_deletes_what_actix_session_purges, |f| {
    let (key, _) = signed_in(&f, "sub-1").await;
    assert!(view(&f, &key).await.is_some());
    f.store.delete(&key).await.unwrap();
    assert!(view(&f, &key).await.is_none());
    assert_eq!(rows(&f.pool).await, 0);
});

both!(idle_sessions_expire_and_use_slides_the_window, |f| {
    let (key, _) = signed_in(&f, "sub-1").await;
    f.clock.advance(IDLE - Duration::from_secs(1));
    let seen = view(&f, &key).await.expect("just before idle");
    let touched = f.sessions.touch_if_due(seen).await.unwrap().expect("live");
    assert!(touched.idle_expires_at > touched.last_seen_at);
    f.clock.advance(IDLE - Duration::from_secs(1));
    assert!(view(&f, &key).await.is_some(), "slid by the use");
    f.clock.advance(IDLE + Duration::from_secs(1));
    assert!(view(&f, &key).await.is_none(), "idle expired");
});

both!(loading_never_slides_the_idle_deadline, |f| {
    let (key, _) = signed_in(&f, "sub-1").await;
    f.clock.advance(IDLE / 2);
    assert!(view(&f, &key).await.is_some());
    f.clock.advance(IDLE / 2 + Duration::from_secs(1));
    assert!(view(&f, &key).await.is_none(), "a load is a pure read");
});

both!(
    touches_are_throttled_to_a_quarter_of_the_idle_timeout,
    |f| {
        let (key, _) = signed_in(&f, "sub-1").await;
        let first = view(&f, &key).await.unwrap();
        assert_eq!(f.sessions.touch_interval(), IDLE / 4);
        f.clock.advance(IDLE / 4 - Duration::from_secs(1));
        let same = f
            .sessions
            .touch_if_due(first.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            same.last_seen_at, first.last_seen_at,
            "no write within a quarter of the idle timeout"
        );
        f.clock.advance(Duration::from_secs(1));
        let moved = f.sessions.touch_if_due(same).await.unwrap().unwrap();
        assert!(moved.last_seen_at > first.last_seen_at);
        let stored: time::OffsetDateTime = sqlx::query_scalar("SELECT last_seen_at FROM sessions")
            .fetch_one(&f.pool)
            .await
            .unwrap();
        assert_eq!(stored, moved.last_seen_at);
    }
);

both!(sessions_end_at_the_absolute_timeout_however_active, |f| {
    let (key, _) = signed_in(&f, "sub-1").await;
    let step = Duration::from_secs(300);
    let mut elapsed = Duration::ZERO;
    while elapsed + step < ABSOLUTE {
        f.clock.advance(step);
        elapsed += step;
        let seen = view(&f, &key)
            .await
            .unwrap_or_else(|| panic!("live at {elapsed:?}"));
        let touched = f.sessions.touch_if_due(seen).await.unwrap().unwrap();
        assert!(touched.idle_expires_at <= touched.absolute_expires_at);
    }
    f.clock.advance(ABSOLUTE - elapsed);
    assert!(view(&f, &key).await.is_none());
});

both!(the_sweeper_removes_expired_rows_only, |f| {
    let (old, _) = signed_in(&f, "sub-1").await;
    f.clock.advance(IDLE / 2);
    let (fresh, _) = signed_in(&f, "sub-2").await;
    f.clock.advance(IDLE / 2 + Duration::from_secs(1));
    assert_eq!(f.sessions.sweep_expired().await.unwrap(), 1);
    assert_eq!(rows(&f.pool).await, 1);
    assert!(view(&f, &old).await.is_none());
    assert!(view(&f, &fresh).await.is_some());
});

both!(a_users_sessions_end_together_and_others_stay, |f| {
    let user_id = user(&f.pool, "sub-1").await;
    let mut keys = Vec::new();
    for _ in 0..3 {
        let created = f
            .sessions
            .create(new_session(user_id, "sub-1"), &[])
            .await
            .unwrap();
        keys.push(key_of(created));
    }
    let (other, _) = signed_in(&f, "sub-2").await;
    for key in &keys {
        assert!(view(&f, key).await.is_some()); // cached now, when the cache is on
    }
    let keep = view(&f, &keys[0]).await.unwrap().id;
    assert_eq!(
        f.sessions
            .end_all_for_user(user_id, Some(keep))
            .await
            .unwrap(),
        2
    );
    assert!(view(&f, &keys[0]).await.is_some(), "kept");
    assert!(view(&f, &keys[1]).await.is_none());
    assert_eq!(f.sessions.end_all_for_user(user_id, None).await.unwrap(), 1);
    assert!(view(&f, &keys[0]).await.is_none());
    assert!(view(&f, &other).await.is_some());
});

both!(provider_sessions_end_by_sid_and_subject, |f| {
    let (key, _) = signed_in(&f, "sub-1").await;
    assert!(view(&f, &key).await.is_some());
    let someone_else = f
        .sessions
        .end_provider_session("https://idp/", "sid-of-sub-1", Some("sub-2"))
        .await
        .unwrap();
    assert_eq!(someone_else, 0);
    assert!(
        view(&f, &key).await.is_some(),
        "another subject's sid ends nothing"
    );
    let ended = f
        .sessions
        .end_provider_session("https://idp/", "sid-of-sub-1", Some("sub-1"))
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert!(view(&f, &key).await.is_none());
});

both!(a_new_login_replaces_the_previous_session, |f| {
    let (old_key, old_id) = signed_in(&f, "sub-1").await;
    let user_id = user(&f.pool, "sub-2").await;
    let created = f
        .sessions
        .create(new_session(user_id, "sub-2"), &[old_id])
        .await
        .unwrap();
    assert!(view(&f, &old_key).await.is_none());
    assert!(view(&f, &key_of(created)).await.is_some());
});

both!(tokens_are_sealed_at_rest_and_open_for_their_session, |f| {
    let (_, id) = signed_in(&f, "sub-1").await;
    let sealed: (String, String) =
        sqlx::query_as("SELECT tokens_sealed, id_token_sealed FROM sessions")
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert!(!sealed.0.contains("access-token-value") && !sealed.1.contains("id.token"));
    let kept = f.sessions.tokens(id).await.unwrap().unwrap();
    assert_eq!(kept.id_token.as_deref(), Some("id.token.value"));
    let tokens = kept.tokens.unwrap();
    assert_eq!(tokens.access_token, "access-token-value");
    assert_eq!(tokens.refresh_token.as_deref(), Some("refresh-token-value"));
});

both!(
    a_refresh_lease_is_exclusive_and_the_write_back_compares_and_swaps,
    |f| {
        let (key, id) = signed_in(&f, "sub-1").await;
        let buffer = Duration::from_secs(60);
        let lease = Duration::from_secs(30);
        assert_eq!(
            f.sessions
                .claim_refresh(id, buffer, lease)
                .await
                .unwrap()
                .err(),
            Some(NoLease::NotDue),
            "the access token is good for ten minutes"
        );
        f.clock.advance(Duration::from_secs(560));
        let claimed = f
            .sessions
            .claim_refresh(id, buffer, lease)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            f.sessions.claim_refresh(id, buffer, lease).await.unwrap(),
            Err(NoLease::Leased(_))
        ));
        let fresh = StoredTokens {
            access_token: "new-access".into(),
            refresh_token: Some("new-refresh".into()),
            expires_at: Some(unix_in(3600)),
        };
        let mut demoted = view(&f, &key).await.unwrap().user.clone();
        demoted.roles.clear();
        let refreshed = || ferris_login::session::sessions::Refreshed {
            tokens: &fresh,
            user: &demoted,
            id_token: None,
        };
        assert!(f
            .sessions
            .store_refreshed(id, claimed.version, refreshed())
            .await
            .unwrap());
        assert!(
            !f.sessions
                .store_refreshed(id, claimed.version, refreshed())
                .await
                .unwrap(),
            "a second write at the old version loses"
        );
        let now = view(&f, &key).await.unwrap();
        assert!(now.user.roles.is_empty(), "claims follow the tokens");
        let kept = f.sessions.tokens(id).await.unwrap().unwrap();
        assert_eq!(kept.tokens.unwrap().access_token, "new-access");
        assert_eq!(
            kept.id_token.as_deref(),
            Some("id.token.value"),
            "kept without a new one"
        );
    }
);

both!(a_failed_refresh_backs_off_exponentially, |f| {
    let (key, id) = signed_in(&f, "sub-1").await;
    let (buffer, lease) = (Duration::from_secs(900), Duration::from_secs(30));
    let base = Duration::from_secs(5);
    let cap = Duration::from_secs(300);
    f.clock.advance(PAST_HALF_A_TOKEN);
    let claimed = f
        .sessions
        .claim_refresh(id, buffer, lease)
        .await
        .unwrap()
        .unwrap();
    f.sessions
        .record_refresh_failure(id, claimed.version, base, cap)
        .await
        .unwrap();
    let backing_off = view(&f, &key).await.unwrap();
    assert!(
        backing_off.refresh_retry_at.is_some(),
        "replicas see the back-off"
    );
    assert!(matches!(
        f.sessions.claim_refresh(id, buffer, lease).await.unwrap(),
        Err(NoLease::BackingOff(_))
    ));
    f.clock.advance(base);
    let claimed = f
        .sessions
        .claim_refresh(id, buffer, lease)
        .await
        .unwrap()
        .unwrap();
    f.sessions
        .record_refresh_failure(id, claimed.version, base, cap)
        .await
        .unwrap();
    f.clock.advance(base);
    assert!(
        f.sessions
            .claim_refresh(id, buffer, lease)
            .await
            .unwrap()
            .is_err(),
        "the second back-off is twice as long"
    );
    f.clock.advance(base);
    assert!(f
        .sessions
        .claim_refresh(id, buffer, lease)
        .await
        .unwrap()
        .is_ok());
    assert!(
        view(&f, &key).await.is_some(),
        "failures never end a session"
    );
});

both!(
    a_database_failure_is_reported_in_the_state_not_as_an_error,
    |f| {
        let (key, _) = signed_in(&f, "sub-2").await;
        if let Some(cache) = f.sessions.cache() {
            cache.suspend();
        }
        // As when the database goes away: nothing served from memory.
        f.pool.close().await;
        let state = f.store.load(&key).await.expect("load itself does not fail");
        let state = state.expect("not an anonymous answer");
        assert!(matches!(envelope(&state), Envelope::Unavailable));
        assert_eq!(state.len(), 1, "nothing but the envelope");
    }
);

/// C02: ten thousand sessions, all ids distinct, 64 alphanumerics (~380 bits) each.
#[tokio::test]
async fn c02_ten_thousand_session_ids_are_unique_and_long() {
    let f = fixture(false).await;
    let user_id = user(&f.pool, "sub-1").await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        let batch = futures_util::future::join_all(
            (0..100).map(|_| f.sessions.create(new_session(user_id, "sub-1"), &[])),
        )
        .await;
        for created in batch {
            let key = created.unwrap().key().to_owned();
            assert_eq!(key.len(), 64);
            assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(seen.insert(key));
        }
    }
    assert_eq!(seen.len(), 10_000);
    assert_eq!(rows(&f.pool).await, 10_000);
}

both!(
    a_refresh_lease_runs_on_the_database_clock_not_the_apps,
    |f| {
        let (_, id) = signed_in(&f, "sub-1").await;
        let (buffer, lease) = (Duration::from_secs(900), Duration::from_secs(30));
        f.clock.advance(PAST_HALF_A_TOKEN);
        f.sessions
            .claim_refresh(id, buffer, lease)
            .await
            .unwrap()
            .unwrap();
        // This replica's clock runs past the lease; the database's has not: still leased.
        f.clock.advance(lease + Duration::from_secs(5));
        assert!(matches!(
            f.sessions.claim_refresh(id, buffer, lease).await.unwrap(),
            Err(NoLease::Leased(_))
        ));
    }
);

both!(
    a_terminal_refresh_failure_at_a_rotated_version_ends_nothing,
    |f| {
        let (key, id) = signed_in(&f, "sub-1").await;
        let (buffer, lease) = (Duration::from_secs(900), Duration::from_secs(30));
        f.clock.advance(PAST_HALF_A_TOKEN);
        // Replica 1 claims, its lease runs out mid-call; replica 2 claims and refreshes.
        let stale = f
            .sessions
            .claim_refresh(id, buffer, lease)
            .await
            .unwrap()
            .unwrap();
        sqlx::query("UPDATE sessions SET refresh_lease_until = now() - interval '1 second'")
            .execute(&f.pool)
            .await
            .unwrap();
        let current = f
            .sessions
            .claim_refresh(id, buffer, lease)
            .await
            .unwrap()
            .unwrap();
        let fresh = StoredTokens {
            access_token: "new-access".into(),
            refresh_token: Some("new-refresh".into()),
            expires_at: Some(unix_in(3600)),
        };
        let user = view(&f, &key).await.unwrap().user.clone();
        assert!(f
            .sessions
            .store_refreshed(
                id,
                current.version,
                ferris_login::session::sessions::Refreshed {
                    tokens: &fresh,
                    user: &user,
                    id_token: None,
                },
            )
            .await
            .unwrap());
        // Replica 1's spent refresh token gets invalid_grant: its end must not take the
        // session replica 2 just refreshed.
        assert!(!f.sessions.end_at_version(id, stale.version).await.unwrap());
        assert!(
            view(&f, &key).await.is_some(),
            "the refreshed session lives"
        );
        assert!(f
            .sessions
            .end_at_version(id, current.version + 1)
            .await
            .unwrap());
        assert!(view(&f, &key).await.is_none());
    }
);

both!(
    a_short_lived_access_token_is_claimed_halfway_not_at_once,
    |f| {
        let user_id = user(&f.pool, "sub-1").await;
        let mut new = new_session(user_id, "sub-1");
        // 30 s from now by the sessions' clock (the fixture's, not the real one).
        let now = ferris_login::clock::Clock::now(&f.clock);
        new.tokens.as_mut().unwrap().expires_at = Some(now.unix_timestamp() + 30);
        let created = f.sessions.create(new, &[]).await.unwrap();
        let id = created.view.id;
        let buffer = Duration::from_secs(60);
        let lease = Duration::from_secs(30);
        assert_eq!(
            f.sessions
                .claim_refresh(id, buffer, lease)
                .await
                .unwrap()
                .err(),
            Some(NoLease::NotDue),
            "a 30-second token just issued is not due, although it expires within the buffer"
        );
        f.clock.advance(Duration::from_secs(16));
        assert!(f
            .sessions
            .claim_refresh(id, buffer, lease)
            .await
            .unwrap()
            .is_ok());
    }
);

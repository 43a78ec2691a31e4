//! Contract tests of `PgSessionStore` against real PostgreSQL, with a manual clock.

use std::{collections::HashMap, sync::Arc, time::Duration};

use actix_session::storage::{SessionKey, SessionStore};
use actix_web::cookie::time::Duration as CookieDuration;
use backend::{
    clock::ManualClock,
    session::{store::AUTH_KEY, PgSessionStore, Timeouts},
};
use sqlx::{postgres::PgPoolOptions, PgPool};

use crate::helpers::TestDatabase;

const IDLE: Duration = Duration::from_secs(600);
const ABSOLUTE: Duration = Duration::from_secs(3600);

struct Fixture {
    store: PgSessionStore,
    pool: PgPool,
    clock: ManualClock,
    _db: TestDatabase,
}

async fn fixture() -> Fixture {
    let db = TestDatabase::create().await;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&db.url)
        .await
        .unwrap();
    sqlx::migrate!("../migrations").run(&pool).await.unwrap();
    let clock = ManualClock::starting_now();
    let store = PgSessionStore::new(
        pool.clone(),
        Arc::new(clock.clone()),
        Timeouts {
            idle: IDLE,
            absolute: ABSOLUTE,
        },
    );
    Fixture {
        store,
        pool,
        clock,
        _db: db,
    }
}

fn state(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ttl() -> CookieDuration {
    CookieDuration::hours(1)
}

fn copy(key: &SessionKey) -> SessionKey {
    key.as_ref().to_owned().try_into().unwrap()
}

async fn rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn save_then_load_round_trips() {
    let f = fixture().await;
    let saved = state(&[("a", "\"1\"")]);
    let key = f.store.save(saved.clone(), &ttl()).await.unwrap();
    assert_eq!(key.as_ref().len(), 64);
    assert_eq!(f.store.load(&key).await.unwrap(), Some(saved));
}

#[tokio::test]
async fn keys_are_unique_and_only_their_hash_is_stored() {
    let f = fixture().await;
    let mut keys = std::collections::HashSet::new();
    for _ in 0..200 {
        let key = f.store.save(state(&[("a", "1")]), &ttl()).await.unwrap();
        assert!(keys.insert(key.as_ref().to_owned()));
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
}

#[tokio::test]
async fn an_unknown_key_loads_nothing() {
    let f = fixture().await;
    let key: SessionKey = "x".repeat(64).try_into().unwrap();
    assert_eq!(f.store.load(&key).await.unwrap(), None);
}

#[tokio::test]
async fn update_replaces_the_state_and_keeps_the_key() {
    let f = fixture().await;
    let key = f.store.save(state(&[("a", "1")]), &ttl()).await.unwrap();
    let same = f
        .store
        .update(copy(&key), state(&[("b", "2")]), &ttl())
        .await
        .unwrap();
    assert_eq!(same, key);
    assert_eq!(
        f.store.load(&key).await.unwrap(),
        Some(state(&[("b", "2")]))
    );
}

#[tokio::test]
async fn delete_removes_the_row() {
    let f = fixture().await;
    let key = f.store.save(state(&[("a", "1")]), &ttl()).await.unwrap();
    f.store.delete(&key).await.unwrap();
    assert_eq!(f.store.load(&key).await.unwrap(), None);
    assert_eq!(rows(&f.pool).await, 0);
    // Deleting twice is not an error.
    f.store.delete(&key).await.unwrap();
}

#[tokio::test]
async fn update_after_delete_does_not_resurrect_the_session() {
    let f = fixture().await;
    let key = f.store.save(state(&[("a", "1")]), &ttl()).await.unwrap();
    f.store.delete(&key).await.unwrap();
    let returned = f
        .store
        .update(copy(&key), state(&[("a", "2")]), &ttl())
        .await
        .unwrap();
    assert_eq!(f.store.load(&returned).await.unwrap(), None);
    assert_eq!(rows(&f.pool).await, 0);
    f.store.update_ttl(&key, &ttl()).await.unwrap();
    assert_eq!(rows(&f.pool).await, 0);
}

#[tokio::test]
async fn idle_sessions_expire_and_activity_slides_the_window() {
    let f = fixture().await;
    let key = f.store.save(state(&[("a", "1")]), &ttl()).await.unwrap();
    f.clock.advance(IDLE - Duration::from_secs(1));
    assert!(
        f.store.load(&key).await.unwrap().is_some(),
        "just before idle"
    );
    f.clock.advance(IDLE - Duration::from_secs(1));
    assert!(
        f.store.load(&key).await.unwrap().is_some(),
        "slid by the read"
    );
    f.clock.advance(IDLE + Duration::from_secs(1));
    assert_eq!(f.store.load(&key).await.unwrap(), None, "idle expired");
}

#[tokio::test]
async fn update_ttl_slides_the_idle_window_too() {
    let f = fixture().await;
    let key = f.store.save(state(&[("a", "1")]), &ttl()).await.unwrap();
    f.clock.advance(IDLE - Duration::from_secs(1));
    f.store.update_ttl(&key, &ttl()).await.unwrap();
    f.clock.advance(IDLE - Duration::from_secs(1));
    assert!(f.store.load(&key).await.unwrap().is_some());
}

#[tokio::test]
async fn sessions_end_at_the_absolute_timeout_however_active() {
    let f = fixture().await;
    let key = f.store.save(state(&[("a", "1")]), &ttl()).await.unwrap();
    let step = Duration::from_secs(300);
    let mut elapsed = Duration::ZERO;
    while elapsed + step < ABSOLUTE {
        f.clock.advance(step);
        elapsed += step;
        assert!(
            f.store.load(&key).await.unwrap().is_some(),
            "at {elapsed:?}"
        );
    }
    f.clock.advance(ABSOLUTE - elapsed);
    assert_eq!(f.store.load(&key).await.unwrap(), None);
    // Updates cannot extend it either.
    f.store
        .update(copy(&key), state(&[("a", "2")]), &ttl())
        .await
        .unwrap();
    assert_eq!(f.store.load(&key).await.unwrap(), None);
}

#[tokio::test]
async fn the_sweeper_removes_expired_rows_only() {
    let f = fixture().await;
    let old = f.store.save(state(&[("a", "1")]), &ttl()).await.unwrap();
    f.clock.advance(IDLE / 2);
    let fresh = f.store.save(state(&[("a", "2")]), &ttl()).await.unwrap();
    f.clock.advance(IDLE / 2 + Duration::from_secs(1));
    assert_eq!(f.store.sweep_expired().await.unwrap(), 1);
    assert_eq!(rows(&f.pool).await, 1);
    assert_eq!(f.store.load(&old).await.unwrap(), None);
    assert!(f.store.load(&fresh).await.unwrap().is_some());
}

#[tokio::test]
async fn oversized_states_are_refused_not_stored() {
    let f = fixture().await;
    let huge = "x".repeat(70 * 1024);
    assert!(f.store.save(state(&[("a", &huge)]), &ttl()).await.is_err());
    assert_eq!(rows(&f.pool).await, 0);
}

#[tokio::test]
async fn signed_in_sessions_are_indexed_by_user_and_provider_session() {
    let f = fixture().await;
    let user_id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO users (id, issuer, subject, created_at, last_login_at) \
         VALUES ($1, 'https://idp/', 'sub-1', now(), now())",
    )
    .bind(user_id)
    .execute(&f.pool)
    .await
    .unwrap();
    let auth = serde_json::json!({
        "user_id": user_id,
        "user": {"sub": "sub-1", "issuer": "https://idp/"},
        "sid": "provider-session-1",
        "id_token_sealed": "sealed",
        "authenticated_at": 0,
        "user_agent": "test-agent",
    });
    let key = f
        .store
        .save(state(&[(AUTH_KEY, &auth.to_string())]), &ttl())
        .await
        .unwrap();
    let row: (
        Option<uuid::Uuid>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as("SELECT user_id, subject, provider_sid, user_agent FROM sessions")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(row.0, Some(user_id));
    assert_eq!(row.1.as_deref(), Some("sub-1"));
    assert_eq!(row.2.as_deref(), Some("provider-session-1"));
    assert_eq!(row.3.as_deref(), Some("test-agent"));

    assert_eq!(f.store.delete_for_user(user_id).await.unwrap(), 1);
    assert_eq!(f.store.load(&key).await.unwrap(), None);
}

/// C02: ten thousand sessions, all ids distinct, 64 alphanumerics (~380 bits) each.
#[tokio::test]
async fn c02_ten_thousand_session_ids_are_unique_and_long() {
    let f = fixture().await;
    let mut seen = std::collections::HashSet::new();
    let ttl = ttl();
    for _ in 0..100 {
        let batch = futures_util::future::join_all(
            (0..100).map(|_| f.store.save(state(&[("a", "1")]), &ttl)),
        )
        .await;
        for key in batch {
            let key = key.unwrap();
            assert_eq!(key.as_ref().len(), 64);
            assert!(key.as_ref().chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(seen.insert(key.as_ref().to_owned()));
        }
    }
    assert_eq!(seen.len(), 10_000);
    assert_eq!(rows(&f.pool).await, 10_000);
}

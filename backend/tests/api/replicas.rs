//! Two replicas as two backend OS processes on one database: a session cached by one is
//! revoked there within 100 ms of a change made through the other (logout, back-channel
//! logout, admin revocation, changed roles, a terminal refresh failure), and a replica that
//! loses its listening connection stays correct and listens again. The logout, revocation and
//! back-channel cases run with sessions in Redis too.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::{helpers::*, processes::BackendProcess, relay::Relay};

/// The longest a change may take to reach the other replica.
const WITHIN: Duration = Duration::from_millis(100);

/// Two replicas (A and B) of one app on one database, behind one public origin (A's address:
/// the provider knows that one), with the dev provider.
struct Pair {
    a: BackendProcess,
    b: BackendProcess,
    idp: DevIdp,
    db: TestDatabase,
}

async fn pair(a_env: &[(&'static str, String)], b_env: &[(&'static str, String)]) -> Pair {
    pair_on(TestDatabase::create().await, a_env, b_env).await
}

async fn pair_on(
    db: TestDatabase,
    a_env: &[(&'static str, String)],
    b_env: &[(&'static str, String)],
) -> Pair {
    let (port_a, port_b) = (quiet_port(), quiet_port());
    let origin = format!("http://localhost:{port_a}");
    let idp = DevIdp::start(&origin).await;
    let common = |extra: &[(&'static str, String)]| {
        let mut env: Vec<(&str, String)> = vec![
            ("AUTH0_SECRET", TEST_SECRET.to_owned()),
            ("AUTH0_BASE_URL", origin.clone()),
            ("AUTH0_ISSUER_BASE_URL", idp.issuer.clone()),
            ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
            ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("DATABASE_URL", db.url.clone()),
            ("FRONTEND_DIST", "/nonexistent-test-dist".to_owned()),
            ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
        ];
        env.extend(extra.iter().cloned());
        env
    };
    let a = BackendProcess::start(port_a, &common(a_env)).await;
    let b = BackendProcess::start(port_b, &common(b_env)).await;
    Pair { a, b, idp, db }
}

impl Pair {
    async fn login(&self, browser: &Browser, user: &str) {
        let response = login_at(browser, &self.a.address, user).await;
        assert_eq!(response.status(), StatusCode::FOUND, "login as {user}");
    }

    /// Makes B cache the browser's session (two reads: the miss, then a hit), and returns a
    /// copy of the browser's cookies to ask B with afterwards (a logout clears the browser's
    /// own).
    async fn cached_on_b(&self, browser: &Browser) -> Browser {
        assert_eq!(self.b.me(browser).await, StatusCode::OK);
        assert_eq!(self.b.me(browser).await, StatusCode::OK);
        browser.copy(&self.a.address)
    }

    async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.db.url).await.unwrap()
    }

    /// Makes the access token due on A only: 4 minutes left of a token whose start is unknown
    /// (so A's 15-minute buffer applies in full, and B's none), and both replicas told, as any
    /// change to a session does.
    async fn access_token_due_on_a(&self) {
        sqlx::query(
            "UPDATE sessions SET access_expires_at = now() + interval '4 minutes', \
                 access_issued_at = NULL \
             RETURNING pg_notify('bff_session_changed', encode(id_hash, 'hex'))",
        )
        .fetch_all(&self.pool().await)
        .await
        .unwrap();
    }
}

/// How long until B answers `/me` for this browser with `expected` (panics after 2 s).
async fn delay_until(
    replica: &BackendProcess,
    browser: &Browser,
    expected: StatusCode,
) -> Duration {
    delay_until_within(replica, browser, expected, Duration::from_secs(2)).await
}

/// How long until B answers `/me` for this browser with `expected` (panics after `limit`).
async fn delay_until_within(
    replica: &BackendProcess,
    browser: &Browser,
    expected: StatusCode,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        if replica.me(browser).await == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{} still not {expected} after {limit:?}",
            replica.address
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn report(what: &str, delay: Duration) {
    eprintln!("cross-process invalidation, {what}: {delay:?}");
    assert!(
        delay <= WITHIN,
        "{what} took {delay:?} to reach the other replica"
    );
}

/// Sessions in Redis (`SESSION_STORE=redis`), under a key prefix of the test's own: both
/// replicas share it, and hear each other's changes by Redis pub/sub.
fn redis_store() -> Env {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    vec![
        ("SESSION_STORE", "redis".to_owned()),
        ("SESSION_REDIS_URL", url),
        (
            "SESSION_REDIS_PREFIX",
            format!("ferris-test:{}:", uuid::Uuid::new_v4().simple()),
        ),
    ]
}

/// Two tests of one case: sessions in PostgreSQL (the default), and in Redis.
macro_rules! on_both_stores {
    ($postgres:ident, $redis:ident, $case:ident) => {
        #[tokio::test]
        async fn $postgres() {
            $case(&[]).await
        }

        #[tokio::test]
        async fn $redis() {
            $case(&redis_store()).await
        }
    };
}

on_both_stores!(
    a_logout_on_one_replica_ends_the_session_cached_by_the_other,
    with_redis_a_logout_on_one_replica_ends_the_session_cached_by_the_other,
    logout_case
);
on_both_stores!(
    an_admin_revocation_on_one_replica_ends_sessions_cached_by_the_other,
    with_redis_an_admin_revocation_on_one_replica_ends_sessions_cached_by_the_other,
    admin_revocation_case
);
on_both_stores!(
    a_back_channel_logout_received_by_one_replica_reaches_the_other,
    with_redis_a_back_channel_logout_received_by_one_replica_reaches_the_other,
    back_channel_case
);

async fn logout_case(store: &[(&'static str, String)]) {
    let pair = pair(store, store).await;
    let browser = Browser::new();
    pair.login(&browser, "alice").await;
    let old_cookie = pair.cached_on_b(&browser).await;

    let response = browser.api_post(&pair.a.url("/api/auth/logout")).await;
    assert_eq!(response.status(), StatusCode::OK);
    report(
        "logout",
        delay_until(&pair.b, &old_cookie, StatusCode::UNAUTHORIZED).await,
    );
}

async fn admin_revocation_case(store: &[(&'static str, String)]) {
    let pair = pair(store, store).await;
    let (alice, bob) = (Browser::new(), Browser::new());
    pair.login(&alice, "alice").await;
    pair.login(&bob, "bob").await;
    let bob = pair.cached_on_b(&bob).await;
    let sessions: Vec<shared::SessionInfo> = alice
        .api_get(&pair.a.url(shared::routes::ADMIN_SESSIONS))
        .await
        .json()
        .await
        .unwrap();
    let bob_id = sessions
        .iter()
        .find(|s| s.sub == "user-bob")
        .unwrap()
        .user_id;

    let revoked = alice
        .api_post(&pair.a.url(&shared::routes::admin_revoke_sessions(bob_id)))
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    report(
        "admin revocation",
        delay_until(&pair.b, &bob, StatusCode::UNAUTHORIZED).await,
    );
    assert_eq!(pair.b.me(&alice).await, StatusCode::OK);
}

async fn back_channel_case(store: &[(&'static str, String)]) {
    let pair = pair(store, store).await;
    let browser = Browser::new();
    pair.login(&browser, "alice").await;
    let on_b = pair.cached_on_b(&browser).await;

    // Sign out at the provider: it tells replica A (its back-channel logout URI).
    let body: shared::LogoutResponse = Browser::new()
        .api_post(&pair.a.url("/api/auth/logout"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body.redirect_to,
        pair.a.url("/"),
        "that browser had no session"
    );
    let end_session = format!("{}/session/end", pair.idp.issuer);
    let page = browser.get(&end_session).await.text().await.unwrap();
    let xsrf_at = page
        .find("name=\"xsrf\" value=\"")
        .expect("the provider's confirmation")
        + "name=\"xsrf\" value=\"".len();
    let xsrf = &page[xsrf_at..xsrf_at + page[xsrf_at..].find('"').unwrap()];
    let confirmed = browser
        .client
        .post(format!("{end_session}/confirm"))
        .form(&[("xsrf", xsrf), ("logout", "yes")])
        .send()
        .await
        .unwrap();
    assert!(confirmed.status().is_redirection());
    report(
        "back-channel logout",
        delay_until(&pair.b, &on_b, StatusCode::UNAUTHORIZED).await,
    );
}

async fn me_on(replica: &BackendProcess, browser: &Browser) -> shared::User {
    let response = browser.api_get(&replica.url("/api/auth/me")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Refresh on: A refreshes 15 minutes before expiry (or half-way through a token's life, if
/// that is later), B only at expiry (no buffer); after [`Pair::access_token_due_on_a`] every
/// refresh happens on A.
/// Environment variables of one replica.
type Env = Vec<(&'static str, String)>;

fn refreshing_on_a() -> (Env, Env) {
    let refresh = |buffer: &str| {
        vec![
            ("AUTH0_REFRESH_TOKENS", "true".to_owned()),
            ("AUTH0_AUDIENCE", DEV_API.to_owned()),
            ("TOKEN_REFRESH_BUFFER", buffer.to_owned()),
        ]
    };
    (refresh("15m"), refresh("0s"))
}

#[tokio::test]
async fn roles_changed_by_a_refresh_on_one_replica_reach_the_other() {
    let (a_env, b_env) = refreshing_on_a();
    let pair = pair(&a_env, &b_env).await;
    let browser = Browser::new();
    pair.login(&browser, "alice").await;
    assert_eq!(me_on(&pair.b, &browser).await.roles, ["admin"]);
    assert_eq!(
        me_on(&pair.b, &browser).await.roles,
        ["admin"],
        "cached on B"
    );

    // Demoted at the provider; the next refresh (on A) brings the news.
    pair.access_token_due_on_a().await;
    reqwest::Client::new()
        .put(format!("{}/dev-admin/users/alice", pair.idp.issuer))
        .json(&json!({"roles": [], "permissions": ["read:messages"]}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let on_a = me_on(&pair.a, &browser).await;
    assert!(on_a.roles.is_empty(), "A refreshed: {on_a:?}");
    assert_eq!(on_a.permissions, ["read:messages"]);

    let started = Instant::now();
    loop {
        if me_on(&pair.b, &browser).await.roles.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "B still says admin"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    report("changed roles", started.elapsed());
    let admin = browser
        .api_get(&pair.b.url(shared::routes::ADMIN_SESSIONS))
        .await;
    assert_eq!(admin.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_terminal_refresh_failure_on_one_replica_ends_the_session_on_the_other() {
    let (a_env, b_env) = refreshing_on_a();
    let pair = pair(&a_env, &b_env).await;
    let browser = Browser::new();
    pair.login(&browser, "alice").await;
    let on_b = pair.cached_on_b(&browser).await;

    // The provider forgets the refresh token (revoked, as by an administrator there).
    let sealed: String = sqlx::query_scalar("SELECT tokens_sealed FROM sessions")
        .fetch_one(&pair.pool().await)
        .await
        .unwrap();
    let keys = ferris_login::crypto::Keyring::from_secrets([TEST_SECRET]);
    let tokens: serde_json::Value = serde_json::from_slice(
        &keys
            .open(ferris_login::session::StoredTokens::SEAL_CONTEXT, &sealed)
            .unwrap(),
    )
    .unwrap();
    let discovery: serde_json::Value = reqwest::get(format!(
        "{}/.well-known/openid-configuration",
        pair.idp.issuer
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    reqwest::Client::new()
        .post(discovery["revocation_endpoint"].as_str().unwrap())
        .basic_auth(urlencode(CLIENT_ID), Some(urlencode(CLIENT_SECRET)))
        .form(&[("token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    // A refreshes, gets invalid_grant, ends the session.
    pair.access_token_due_on_a().await;
    assert_eq!(pair.a.me(&browser).await, StatusCode::UNAUTHORIZED);
    report(
        "terminal refresh failure",
        delay_until(&pair.b, &on_b, StatusCode::UNAUTHORIZED).await,
    );
}

#[tokio::test]
async fn a_replica_that_loses_its_listening_connection_stays_correct_and_listens_again() {
    let pair = pair(&[], &[]).await;
    let pool = pair.pool().await;
    let (first, second) = (Browser::new(), Browser::new());
    pair.login(&first, "alice").await;
    pair.login(&second, "bob").await;
    let first_on_b = pair.cached_on_b(&first).await;

    // End every LISTENing connection (B's and A's).
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(ended.len(), 2, "one listener per replica");

    // Deaf, B flushed its cache and reads the database: a logout on A is seen at once.
    first.api_post(&pair.a.url("/api/auth/logout")).await;
    assert_eq!(pair.b.me(&first_on_b).await, StatusCode::UNAUTHORIZED);

    // B listens again, and cached sessions are revoked through notifications again.
    pair.b.wait_until_listening().await;
    pair.a.wait_until_listening().await;
    let second_on_b = pair.cached_on_b(&second).await;
    second.api_post(&pair.a.url("/api/auth/logout")).await;
    report(
        "logout after listening again",
        delay_until(&pair.b, &second_on_b, StatusCode::UNAUTHORIZED).await,
    );
}

/// The longest a revocation may go unseen on a replica whose listening connection went
/// silent (the target).
const SILENT_WITHIN: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_replica_whose_listening_connection_goes_silent_stops_serving_revoked_sessions() {
    // B listens through a relay (its `DATABASE_DIRECT_URL`); its request pool does not.
    let db = TestDatabase::create().await;
    let database = reqwest::Url::parse(&db.url).unwrap();
    let postgres = tokio::net::lookup_host((
        database.host_str().unwrap(),
        database.port().unwrap_or(5432),
    ))
    .await
    .unwrap()
    .next()
    .unwrap();
    let relay = Relay::start(postgres).await;
    let mut through_relay = database.clone();
    through_relay.set_host(Some("127.0.0.1")).unwrap();
    through_relay.set_port(Some(relay.port)).unwrap();
    let pair = pair_on(
        db,
        &[],
        &[("DATABASE_DIRECT_URL", through_relay.to_string())],
    )
    .await;
    let browser = Browser::new();
    pair.login(&browser, "alice").await;
    let old_cookie = pair.cached_on_b(&browser).await;
    let admin = old_cookie
        .api_get(&pair.b.url(shared::routes::ADMIN_SESSIONS))
        .await;
    assert_eq!(admin.status(), StatusCode::OK, "alice is an admin");

    // The path goes half-open: no FIN, no error, silence. Then a logout on A.
    relay.freeze();
    let response = browser.api_post(&pair.a.url("/api/auth/logout")).await;
    assert_eq!(response.status(), StatusCode::OK);

    let delay = delay_until_within(
        &pair.b,
        &old_cookie,
        StatusCode::UNAUTHORIZED,
        SILENT_WITHIN,
    )
    .await;
    eprintln!("revocation seen by a replica with a silent listener: {delay:?}");
    let admin = old_cookie
        .api_get(&pair.b.url(shared::routes::ADMIN_SESSIONS))
        .await;
    assert_eq!(admin.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        pair.b.session_cache().await.as_deref(),
        Some("bypassed"),
        "B's /readyz no longer claims it listens"
    );
    assert_eq!(pair.a.session_cache().await.as_deref(), Some("listening"));
}

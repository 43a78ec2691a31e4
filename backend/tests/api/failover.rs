//! Issue 16, item 3: the PostgreSQL primary lost. The backend runs on a highly available
//! PostgreSQL (`patroni_cluster.rs`: etcd, two Patroni nodes with synchronous replication,
//! HAProxy in front), with `DATABASE_URL` and `DATABASE_DIRECT_URL` (the session cache's
//! `LISTEN`) both through HAProxy and the session cache on. Under load, the primary's machine
//! is lost (`kill -9` of its Patroni and its PostgreSQL); Patroni promotes the standby and
//! HAProxy sends connections there. The machine is lost two ways: killed (its processes'
//! connections are closed by the kernel) and frozen (`SIGSTOP`: nothing is closed, nothing
//! answers, as with a power loss or a partition). Measured and pinned:
//!
//! - `/api/auth/me` answers 200 again within [`BACK_WITHIN`] of the loss, for every client;
//! - no session created before the loss is lost (synchronous replication: a login's commit
//!   returned only once the standby had it);
//! - `/readyz` answers 503 while there is no primary and 200 after;
//! - the session cache is flushed when its `LISTEN` connection is lost and listens again
//!   within [`LISTENING_WITHIN`] of the new primary taking connections, on the new primary: a
//!   revocation made there reaches the cache.
//!
//! `cargo test -p backend --test api failover -- --nocapture` prints the figures
//! (`docs/high-availability.md`).

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::future::join_all;
use reqwest::StatusCode;
use sqlx::Connection;

use crate::{
    helpers::*,
    load::{
        keep_asking_me, keep_logging_in_and_out, login_through, one_load_test_at_a_time, Tally,
    },
    patroni_cluster::PatroniCluster,
    processes::BackendProcess,
};

/// The target: every client's `/me` answers 200 again this soon after the primary is lost.
const BACK_WITHIN: Duration = Duration::from_secs(15);
/// The target: the session cache listens again this soon after a connection through HAProxy
/// reaches the new primary.
const LISTENING_WITHIN: Duration = Duration::from_secs(2);
/// Sessions created before the loss (the clients asking `/me`).
const SESSIONS: usize = 16;
/// The load runs this long before the primary is lost, and this long after `/me` is back.
const BEFORE_LOSS: Duration = Duration::from_secs(2);
const AFTER_RECOVERY: Duration = Duration::from_secs(3);
/// How long the test waits for a recovery before it gives up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(40);

/// What `/readyz` answered, and when (relative to the loss).
struct Readiness {
    at: Instant,
    status: Option<StatusCode>,
    session_cache: Option<String>,
}

/// `/readyz` every 100 ms until `stop`.
async fn watch_readyz(app: &BackendProcess, stop: Arc<AtomicBool>) -> Vec<Readiness> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut seen = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let at = Instant::now();
        let response = client.get(app.url("/readyz")).send().await.ok();
        let status = response.as_ref().map(|r| r.status());
        let body: Option<serde_json::Value> = match response {
            Some(r) => r.json().await.ok(),
            None => None,
        };
        let session_cache = body
            .and_then(|b| b["session_cache"].as_str().map(str::to_owned))
            .filter(|_| status == Some(StatusCode::OK));
        seen.push(Readiness {
            at,
            status,
            session_cache,
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

/// The changes in what `/readyz` said, with their times relative to `loss`
/// (`-2.0 s 200 listening, +0.1 s 503, +9.4 s 200 bypassed, …`).
fn readiness_changes(seen: &[Readiness], loss: Instant) -> String {
    let mut changes = Vec::new();
    let mut last = None;
    for r in seen {
        let said = match (&r.status, &r.session_cache) {
            (Some(status), Some(cache)) => format!("{} {cache}", status.as_u16()),
            (Some(status), None) => status.as_u16().to_string(),
            (None, _) => "no answer".to_owned(),
        };
        if last.as_ref() != Some(&said) {
            let at = if r.at >= loss {
                format!("+{:.1} s", (r.at - loss).as_secs_f64())
            } else {
                format!("-{:.1} s", (loss - r.at).as_secs_f64())
            };
            changes.push(format!("{at} {said}"));
            last = Some(said);
        }
    }
    changes.join(", ")
}

/// Deletes every session on the primary, notifying each as the library does
/// (`ferris-login/src/session/repository.rs`): a revocation made by another replica.
async fn revoke_every_session(database_url: &str) -> u64 {
    let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
    let revoked: i64 = sqlx::query_scalar(
        "WITH gone AS (DELETE FROM sessions RETURNING id_hash) SELECT count(*) FROM gone, \
         LATERAL (SELECT pg_notify('bff_session_changed', encode(id_hash, 'hex'))) n",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let _ = conn.close().await;
    revoked as u64
}

/// How the primary's machine is lost.
#[derive(Clone, Copy, Debug)]
enum Loss {
    /// Its processes are killed: the kernel closes their connections.
    Killed,
    /// Its processes stop: their connections stay open and silent.
    Frozen,
}

#[tokio::test]
async fn the_primary_killed_under_load_is_replaced_within_15_s_and_no_session_is_lost() {
    the_primary_lost_under_load(Loss::Killed).await;
}

#[tokio::test]
async fn the_primary_frozen_under_load_is_replaced_within_15_s_and_no_session_is_lost() {
    the_primary_lost_under_load(Loss::Frozen).await;
}

async fn the_primary_lost_under_load(how: Loss) {
    let _alone = one_load_test_at_a_time().await;
    let started = Instant::now();
    let port = quiet_port();
    let origin = format!("http://localhost:{port}");
    let (cluster, idp) = tokio::join!(PatroniCluster::start(), DevIdp::start(&origin));
    let cluster_ready = started.elapsed();
    {
        let mut conn = sqlx::PgConnection::connect(&cluster.url("postgres"))
            .await
            .unwrap();
        sqlx::query("CREATE DATABASE bff")
            .execute(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
    }
    let database_url = cluster.url("bff");
    let env: Vec<(&'static str, String)> = vec![
        ("AUTH0_SECRET", TEST_SECRET.to_owned()),
        ("AUTH0_BASE_URL", origin.clone()),
        ("AUTH0_ISSUER_BASE_URL", idp.issuer.clone()),
        ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        // Both through HAProxy: the pool and the cache's `LISTEN` follow the primary.
        ("DATABASE_URL", database_url.clone()),
        ("DATABASE_DIRECT_URL", database_url.clone()),
        ("SESSION_CACHE", "on".to_owned()),
        ("FRONTEND_DIST", "/nonexistent-test-dist".to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
    ];
    let app = BackendProcess::start(port, &env).await;
    let check = |condition: bool, what: &str| {
        assert!(
            condition,
            "{what}\nthe backend:\n{}\n{}",
            app.output(),
            cluster.logs()
        );
    };

    // The sessions created before the loss, each read once (and so cached).
    let readers: Vec<Browser> = (0..SESSIONS).map(|_| Browser::new()).collect();
    for (i, browser) in readers.iter().enumerate() {
        let user = if i % 2 == 0 { "alice" } else { "bob" };
        let login = login_through(&origin, browser, user).await;
        check(login.is_ok(), &format!("login before the loss: {login:?}"));
        check(app.me(browser).await == StatusCode::OK, "signed in");
    }

    let lost = cluster.primary().await.expect("a primary");
    let stop = Arc::new(AtomicBool::new(false));
    let gets = join_all(
        readers
            .iter()
            .map(|b| keep_asking_me(origin.clone(), b.clone(), stop.clone())),
    );
    let churn = join_all(
        ["alice", "bob"]
            .into_iter()
            .map(|user| keep_logging_in_and_out(origin.clone(), user, stop.clone())),
    );
    let readiness = watch_readyz(&app, stop.clone());
    let control = async {
        tokio::time::sleep(BEFORE_LOSS).await;
        let loss = Instant::now();
        match how {
            Loss::Killed => cluster.nodes[lost].lose(),
            Loss::Frozen => cluster.nodes[lost].freeze(),
        }
        // When a connection through HAProxy reaches a writable primary again.
        while !cluster.is_writable().await && loss.elapsed() < GIVE_UP_AFTER {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let writable_after = loss.elapsed();
        // A client signed in before the loss tells when `/me` is back.
        let probe = &readers[0];
        while app.me(probe).await != StatusCode::OK || loss.elapsed() < Duration::from_secs(1) {
            if loss.elapsed() > GIVE_UP_AFTER {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(AFTER_RECOVERY).await;
        stop.store(true, Ordering::SeqCst);
        (loss, writable_after)
    };
    let (gets, churn, readiness, (loss, writable_after)) =
        tokio::join!(gets, churn, readiness, control);

    let mut me = Tally::default();
    gets.into_iter().for_each(|t| me.add(t));
    let (mut logins, mut logouts) = (Tally::default(), Tally::default());
    for (i, o) in churn {
        logins.add(i);
        logouts.add(o);
    }
    let since_loss = |at: Option<Instant>| at.map(|at| at.saturating_duration_since(loss));
    let back_after = if me.failed == 0 {
        Some(Duration::ZERO)
    } else {
        since_loss(me.recovered_at)
    };
    let new_primary = cluster.primary().await;
    let readyz_503 = readiness
        .iter()
        .filter(|r| r.at > loss && r.status == Some(StatusCode::SERVICE_UNAVAILABLE))
        .count();
    let ready_again = readiness
        .iter()
        .find(|r| r.at > loss && r.session_cache.as_deref() == Some("listening"))
        .map(|r| r.at - loss);

    // Every session created before the loss still reads `/me`.
    let mut sessions_lost = 0;
    for browser in &readers {
        if app.me(browser).await != StatusCode::OK {
            sessions_lost += 1;
        }
    }

    eprintln!(
        "primary {how:?} under load: cluster up in {cluster_ready:.1?}; {} (of node1, node2) lost, \
         {new_primary:?} primary now, writable through HAProxy after {writable_after:.2?}; GET /me {} ok, {} failed {}, every client back after \
         {back_after:.2?}; logins {} ok, {} failed {}, back after {:.2?}; logouts {} ok, {} \
         failed; sessions lost: {sessions_lost} of {SESSIONS}; /readyz: {}; session cache \
         listening again after {ready_again:.2?}; test ran {:.1?}",
        lost,
        me.ok,
        me.failed,
        me.failure_kinds(),
        logins.ok,
        logins.failed,
        logins.failure_kinds(),
        since_loss(logins.recovered_at),
        logouts.ok,
        logouts.failed,
        readiness_changes(&readiness, loss),
        started.elapsed()
    );

    check(
        new_primary == Some(1 - lost),
        "the standby is the primary now",
    );
    check(
        back_after.is_some_and(|t| t <= BACK_WITHIN),
        &format!("/me back for every client after {back_after:?}, not within {BACK_WITHIN:?}"),
    );
    check(
        me.failures.iter().all(|f| f.contains("503")),
        &format!(
            "while there was no primary, /me answered 503 and nothing else (never 401: \
             nobody is signed out by a database outage): {}",
            me.failure_kinds()
        ),
    );
    check(
        sessions_lost == 0,
        &format!("{sessions_lost} of {SESSIONS} sessions lost"),
    );
    check(
        logins.recovered() && logins.ok > 0 && logouts.recovered(),
        "logins and logouts work again on the new primary",
    );
    check(
        readyz_503 > 0,
        "/readyz answered 503 while there was no primary",
    );
    check(
        readiness
            .last()
            .is_some_and(|r| r.session_cache.as_deref() == Some("listening")),
        &format!(
            "/readyz: 200, session cache listening, at the end: {}",
            readiness_changes(&readiness, loss)
        ),
    );
    check(
        ready_again.is_some_and(|t| t <= writable_after + LISTENING_WITHIN),
        &format!(
            "the session cache listening {ready_again:?} after the loss, not within \
             {LISTENING_WITHIN:?} of the primary taking connections ({writable_after:?})"
        ),
    );
    check(
        app.output()
            .contains("session change notifications lost: cache flushed and bypassed"),
        "the session cache was flushed when its connection was lost",
    );

    // The cache listens on the new primary: a revocation made there (by "another replica")
    // signs every cached session out within a second.
    check(
        app.session_cache().await.as_deref() == Some("listening"),
        "listening before the revocation",
    );
    let revoked = revoke_every_session(&database_url).await;
    let revoked_at = Instant::now();
    check(
        revoked >= SESSIONS as u64,
        &format!("{revoked} sessions revoked"),
    );
    for browser in &readers {
        while app.me(browser).await != StatusCode::UNAUTHORIZED {
            check(
                revoked_at.elapsed() < Duration::from_secs(1),
                "a revocation on the new primary reached the session cache within 1 s",
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    eprintln!(
        "a revocation on the new primary reached the session cache in {:.0?}",
        revoked_at.elapsed()
    );
}

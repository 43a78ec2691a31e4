//! Listens for session changes made by any replica (PostgreSQL `LISTEN` on
//! [`CHANNEL`](super::repository::CHANNEL)) and drops them from this replica's cache.
//!
//! A notification is only delivered while the listening connection lives; one lost with it
//! is lost for good. So the cache serves nothing until this task listens, and is flushed and
//! bypassed from the moment the connection is lost until it listens again.
//!
//! "Lost" includes silent: a connection whose path went half-open (a NAT or load balancer
//! forgetting it, a failover without a FIN) delivers nothing and reports nothing. So:
//! - **a heartbeat**: every [`HEARTBEAT_EVERY`] the listener runs a query on its own connection
//!   and must have the answer within [`HEARTBEAT_TIMEOUT`]; a late answer counts as a lost
//!   connection (flush, bypass, reconnect). A revocation made elsewhere is seen here within
//!   `HEARTBEAT_EVERY + HEARTBEAT_TIMEOUT` (5 s) of the connection going silent.
//! - **TCP keepalive** on the listening connection, set on the server's side of it
//!   ([`listener_options`]): sqlx 0.8 has no client socket options, and the heartbeat already
//!   detects a silent path from this side; the server's keepalive ends its side of a dead
//!   connection (and its `LISTEN`) instead of keeping it for hours.
//! - each connection attempt, `LISTEN` included, has [`CONNECT_TIMEOUT`].
//!
//! Cache entries also have a maximum age (`CacheSettings::max_age`), whatever happens here.

use std::{sync::Arc, time::Duration};

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::time::{timeout, MissedTickBehavior};

use super::{
    cache::{hash_from_hex, SessionCache},
    repository::CHANNEL,
};

/// Delay before the first reconnection attempt; it doubles up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The longest wait between two attempts. While this replica does not listen, every request
/// reads the database; a long wait would keep it so long after the database is back (with a
/// 5 s cap, a 10 s failover left the cache bypassed up to 5 s after the new primary took
/// connections: `backend/tests/api/failover.rs`). An attempt is one connection (refused at
/// once while there is no primary), so once a second costs nothing.
const MAX_RETRY: Duration = Duration::from_secs(1);
/// How often the listening connection proves it still answers.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// How long a heartbeat may take before the connection counts as lost.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long connecting and `LISTEN` may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The server's TCP keepalive on the listening connection: first probe after 10 s idle, then
/// every 5 s, given up after 3 unanswered (about 25 s).
const KEEPALIVE: [(&str, &str); 3] = [
    ("tcp_keepalives_idle", "10"),
    ("tcp_keepalives_interval", "5"),
    ("tcp_keepalives_count", "3"),
];

/// The listening connection's options: `direct` (`DATABASE_DIRECT_URL`, else `DATABASE_URL`)
/// with the server's TCP keepalive on (ignored on a Unix socket).
pub fn listener_options(direct: PgConnectOptions) -> PgConnectOptions {
    direct.options(KEEPALIVE)
}

/// Runs until the task is aborted.
pub async fn run(options: PgConnectOptions, cache: Arc<SessionCache>) {
    let mut retry = FIRST_RETRY;
    loop {
        match timeout(CONNECT_TIMEOUT, listen(&options)).await {
            Ok(Ok(mut listener)) => {
                cache.resume();
                tracing::info!("session cache on: listening for session changes");
                retry = FIRST_RETRY;
                let why = receive(&mut listener, &cache).await;
                cache.suspend();
                tracing::warn!(
                    error = %why,
                    "session change notifications lost: cache flushed and bypassed until \
                     listening again"
                );
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, retry_in = ?retry, "cannot listen for session changes");
            }
            Err(_) => {
                tracing::warn!(
                    timeout = ?CONNECT_TIMEOUT,
                    retry_in = ?retry,
                    "cannot listen for session changes: timed out"
                );
            }
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(MAX_RETRY);
    }
}

async fn listen(options: &PgConnectOptions) -> sqlx::Result<PgListener> {
    // A pool of its own for each connection: a listener dropped after a failed heartbeat sends
    // `UNLISTEN` before giving its connection back, which on a silent path waits until TCP
    // gives up; the next connection must not wait for that one.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_lazy_with(options.clone());
    let mut listener = PgListener::connect_with(&pool).await?;
    // Report a lost connection at once (and reconnect here, after flushing), instead of
    // reconnecting inside `try_recv` while the cache still serves.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

enum Event {
    Received(sqlx::Result<Option<sqlx::postgres::PgNotification>>),
    Heartbeat,
}

/// Applies notifications until the connection is lost or fails a heartbeat; returns why it
/// ended.
async fn receive(listener: &mut PgListener, cache: &SessionCache) -> String {
    let mut heartbeat = tokio::time::interval(HEARTBEAT_EVERY);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    heartbeat.tick().await; // the first tick is now: the connection was just made
    loop {
        // `try_recv` is cancel-safe (sqlx reads a message whole or not at all).
        let event = tokio::select! {
            received = listener.try_recv() => Event::Received(received),
            _ = heartbeat.tick() => Event::Heartbeat,
        };
        match event {
            Event::Received(Ok(Some(notification))) => {
                match hash_from_hex(notification.payload()) {
                    Some(hash) => cache.invalidate(&hash),
                    None => {
                        // Not ours to understand: be safe.
                        tracing::warn!("unreadable session notification: flushing the cache");
                        cache.suspend();
                        cache.resume();
                    }
                }
            }
            Event::Received(Ok(None)) => return "connection lost".to_owned(),
            Event::Received(Err(e)) => return e.to_string(),
            Event::Heartbeat => {
                // Notifications that arrive meanwhile are buffered for `try_recv`.
                let ping = sqlx::query("SELECT 1").execute(&mut *listener);
                match timeout(HEARTBEAT_TIMEOUT, ping).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return format!("heartbeat failed: {e}"),
                    Err(_) => {
                        return format!(
                            "no answer to a heartbeat within {HEARTBEAT_TIMEOUT:?}: the \
                             connection is silent"
                        )
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::cache::hex;

    #[test]
    fn the_listening_connection_asks_the_server_for_tcp_keepalive() {
        let base: PgConnectOptions = "postgres://u@db.example/app".parse().unwrap();
        let options = listener_options(base.options([("statement_timeout", "10s")]));
        let set = options.get_options().unwrap();
        for (name, value) in KEEPALIVE {
            assert!(set.contains(&format!("-c {name}={value}")), "{set}");
        }
        assert!(set.contains("-c statement_timeout=10s"), "{set}");
    }

    #[test]
    fn payloads_are_the_hex_of_a_hash() {
        assert_eq!(hash_from_hex(&hex(&[7; 32])), Some([7; 32]));
        let hex = "00ff".repeat(16);
        let hash = hash_from_hex(&hex).unwrap();
        assert_eq!(hash[0], 0x00);
        assert_eq!(hash[1], 0xff);
        assert!(hash_from_hex("abc").is_none());
        assert!(hash_from_hex(&"zz".repeat(32)).is_none());
        assert!(hash_from_hex(&"é".repeat(32)).is_none());
    }
}

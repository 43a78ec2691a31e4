//! Listens for session changes made by any replica (PostgreSQL `LISTEN` on
//! [`CHANNEL`](super::repository::CHANNEL)) and drops them from this replica's cache.
//!
//! A notification is only delivered while the listening connection lives; one lost with it
//! is lost for good. So the cache serves nothing until this task listens, and is flushed and
//! bypassed from the moment the connection drops until it listens again.

use std::{sync::Arc, time::Duration};

use sqlx::{postgres::PgListener, PgPool};

use super::{
    cache::{hash_from_hex, SessionCache},
    repository::CHANNEL,
};

/// Delay before the first reconnection attempt; it doubles up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(100);
const MAX_RETRY: Duration = Duration::from_secs(5);

/// Runs until the task is aborted.
pub async fn run(pool: PgPool, cache: Arc<SessionCache>) {
    let mut retry = FIRST_RETRY;
    loop {
        match listen(&pool).await {
            Ok(mut listener) => {
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
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?retry, "cannot listen for session changes");
            }
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(MAX_RETRY);
    }
}

async fn listen(pool: &PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    // Report a lost connection at once (and reconnect here, after flushing), instead of
    // reconnecting inside `try_recv` while the cache still serves.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Applies notifications until the connection is lost; returns why it ended.
async fn receive(listener: &mut PgListener, cache: &SessionCache) -> String {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match hash_from_hex(notification.payload()) {
                Some(hash) => cache.invalidate(&hash),
                None => {
                    // Not ours to understand: be safe.
                    tracing::warn!("unreadable session notification: flushing the cache");
                    cache.suspend();
                    cache.resume();
                }
            },
            Ok(None) => return "connection lost".to_owned(),
            Err(e) => return e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::cache::hex;

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

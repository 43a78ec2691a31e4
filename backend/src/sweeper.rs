//! Deletes expired sessions and consumed login states in the background.

use std::time::Duration;

use super::store::PgSessionStore;

/// Runs forever: a sweep every `interval`. Failures are logged and retried next time.
pub async fn run(store: PgSessionStore, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match store.sweep_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "swept expired sessions and login states"),
            Err(e) => tracing::warn!(error = %e, "sweeping expired sessions failed"),
        }
    }
}

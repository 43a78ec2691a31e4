//! Deletes expired rows in the background: sessions, consumed login states and remembered
//! logout-token ids, each through the module that owns its table.

use std::time::Duration;

use sqlx::PgPool;

use crate::{
    auth::{backchannel, callback},
    clock::SharedClock,
    session::Sessions,
};

/// Runs forever: a sweep every `interval`. Failures are logged and retried next time.
pub async fn run(sessions: Sessions, pool: PgPool, clock: SharedClock, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match sweep(&sessions, &pool, &clock).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "swept expired sessions and login states"),
            Err(e) => tracing::warn!(error = %e, "sweeping expired rows failed"),
        }
    }
}

/// One sweep; returns how many rows went.
pub async fn sweep(
    sessions: &Sessions,
    pool: &PgPool,
    clock: &SharedClock,
) -> Result<u64, crate::session::StoreError> {
    let now = clock.now();
    Ok(sessions.sweep_expired().await?
        + callback::sweep_consumed_states(pool, now).await?
        + backchannel::sweep_remembered_jtis(pool, now).await?)
}

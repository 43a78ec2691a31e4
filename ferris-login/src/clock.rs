//! The time source. Everything that expires (sessions, login transactions, token checks) asks
//! a [`Clock`], so tests move time instead of sleeping.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

/// Where "now" comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current instant (UTC).
    fn now(&self) -> OffsetDateTime;
}

/// A clock shared by everything that expires ([`crate::AuthBuilder::clock`]).
pub type SharedClock = Arc<dyn Clock>;

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// Stopped at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// Stopped at the current time.
    pub fn starting_now() -> Self {
        Self::new(OffsetDateTime::now_utc())
    }

    /// Moves it forward.
    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets it to `to`.
    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Real time shifted by an offset that tests move forward: tokens from a real provider stay
/// fresh while sessions and transactions can be made to expire without sleeping.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock(Arc<Mutex<time::Duration>>);

impl OffsetClock {
    /// Real time, not shifted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shifts it further forward.
    pub fn advance(&self, by: std::time::Duration) {
        let mut offset = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by;
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(std::time::Duration::from_secs(61));
        assert_eq!(clock.now().unix_timestamp(), 1_700_000_061);
    }

    #[test]
    fn offset_clock_runs_ahead_of_real_time_by_what_it_was_advanced() {
        let clock = OffsetClock::new();
        clock.advance(std::time::Duration::from_secs(3600));
        let ahead = clock.now() - OffsetDateTime::now_utc();
        assert!(ahead > time::Duration::seconds(3590) && ahead <= time::Duration::seconds(3600));
    }
}

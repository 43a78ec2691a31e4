//! When a tab regains focus or becomes visible, at most one `/api/auth/me` check: never while
//! one is in flight, never again within [`MIN_GAP_MS`] of the last one. Switching windows back
//! and forth does not turn into a stream of requests. A route change (a click in the app)
//! checks unless a check is in flight: the first click after the session ended elsewhere
//! shows it.

/// Focus and visibility checks closer together than this are skipped.
pub(crate) const MIN_GAP_MS: f64 = 5_000.0;
/// A check still unanswered after this long no longer blocks the next one.
pub(crate) const STALE_IN_FLIGHT_MS: f64 = 30_000.0;

/// The debounce state (times are the browser's milliseconds since the epoch).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RecheckGate {
    in_flight_since: Option<f64>,
    last_started: Option<f64>,
}

impl RecheckGate {
    /// Whether a focus/visibility check may start now; if so it counts as started.
    pub(crate) fn try_start(&mut self, now_ms: f64) -> bool {
        let busy = self.is_busy(now_ms);
        let recent = self
            .last_started
            .is_some_and(|last| now_ms - last < MIN_GAP_MS);
        if busy || recent {
            return false;
        }
        self.start(now_ms);
        true
    }

    /// Whether a check after a route change may start now (only one in flight at a time); if
    /// so it counts as started.
    pub(crate) fn try_start_navigation(&mut self, now_ms: f64) -> bool {
        if self.is_busy(now_ms) {
            return false;
        }
        self.start(now_ms);
        true
    }

    fn is_busy(&self, now_ms: f64) -> bool {
        self.in_flight_since
            .is_some_and(|since| now_ms - since < STALE_IN_FLIGHT_MS)
    }

    /// A check started for another reason (start-up, another tab's event): it counts too.
    pub(crate) fn start(&mut self, now_ms: f64) {
        self.in_flight_since = Some(now_ms);
        self.last_started = Some(now_ms);
    }

    /// The check answered (however).
    pub(crate) fn finish(&mut self) {
        self.in_flight_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_focus_checks() {
        let mut gate = RecheckGate::default();
        assert!(gate.try_start(1_000.0));
    }

    #[test]
    fn no_second_check_while_one_is_in_flight() {
        let mut gate = RecheckGate::default();
        assert!(gate.try_start(0.0));
        assert!(!gate.try_start(MIN_GAP_MS + 1.0), "still in flight");
        gate.finish();
        assert!(gate.try_start(MIN_GAP_MS + 1.0));
    }

    #[test]
    fn focus_events_in_quick_succession_check_once() {
        let mut gate = RecheckGate::default();
        assert!(gate.try_start(0.0));
        gate.finish();
        for t in [10.0, 500.0, 2_000.0, MIN_GAP_MS - 1.0] {
            assert!(!gate.try_start(t), "{t}");
        }
        assert!(gate.try_start(MIN_GAP_MS));
    }

    #[test]
    fn checks_started_elsewhere_count() {
        let mut gate = RecheckGate::default();
        gate.start(0.0);
        gate.finish();
        assert!(!gate.try_start(1_000.0));
    }

    #[test]
    fn a_route_change_checks_even_right_after_another_check() {
        let mut gate = RecheckGate::default();
        gate.start(0.0);
        assert!(!gate.try_start_navigation(10.0), "one in flight");
        gate.finish();
        assert!(gate.try_start_navigation(20.0));
        gate.finish();
        assert!(!gate.try_start(30.0), "and a focus right after it waits");
    }

    #[test]
    fn a_hung_check_does_not_block_forever() {
        let mut gate = RecheckGate::default();
        assert!(gate.try_start(0.0));
        assert!(!gate.try_start(STALE_IN_FLIGHT_MS - 1.0));
        assert!(gate.try_start(STALE_IN_FLIGHT_MS));
    }
}

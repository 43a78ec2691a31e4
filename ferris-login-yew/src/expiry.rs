//! When to warn that the session is about to end, pure: the expiry watch
//! ([`crate::use_session_expiry`]) feeds it `GET /api/auth/session` answers and this device's clock, and
//! does what [`assess`] says.
//!
//! - The server's deadlines are moved onto this device's clock with the server's `now` (a
//!   device clock that is off by an hour still warns on time).
//! - The warning window is [`MAX_WARNING`] (2 minutes), or a quarter of the idle timeout when
//!   that is shorter, but never less than [`MIN_WARNING`] (30 seconds) or half the timeout,
//!   whichever is less (a 20-second timeout warns 10 seconds ahead, a minute 30 seconds).
//! - Typing is activity: [`ExpiryTracker::activity_extends`] says when a keystroke should
//!   extend the session quietly, so the dialog does not open in the middle of a sentence. The idle timeout is not on
//!   the wire: it is at least the longest `idle_expires_at - now` seen for this session (exact
//!   right after sign-in or an extension).
//! - Near the idle deadline: the idle warning (a "Stay signed in" dialog), unless the idle deadline already
//!   sits on the absolute one (extending cannot help; then only the notice).
//! - Near the absolute deadline: a notice saying when the session ends.
//! - Then wake at the end to see it happen (the 401 signs the page out).

use std::cmp::{max, min};

use shared::{OffsetDateTime, SessionStatus, Uuid};
use time::Duration;

/// The longest warning.
pub(crate) const MAX_WARNING: Duration = Duration::minutes(2);
/// The shortest warning a person gets to read and answer, when the idle timeout allows it.
pub(crate) const MIN_WARNING: Duration = Duration::seconds(30);
/// The longest sleep between two looks (timers of days overflow in browsers; a look is one
/// cheap `GET` that extends nothing).
pub(crate) const MAX_SLEEP: Duration = Duration::hours(6);
/// The shortest sleep (a deadline a few milliseconds off does not spin).
pub(crate) const MIN_SLEEP: Duration = Duration::SECOND;
/// An idle deadline this close to the absolute one cannot move any more.
const PINNED: Duration = Duration::SECOND;

/// The session's deadlines on this device's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deadlines {
    pub(crate) idle: OffsetDateTime,
    pub(crate) absolute: OffsetDateTime,
}

impl Deadlines {
    /// `status`, received when this device's clock said `received_at`.
    pub(crate) fn from_status(status: &SessionStatus, received_at: OffsetDateTime) -> Self {
        let skew = received_at - status.now;
        Self {
            idle: status.idle_expires_at + skew,
            absolute: status.absolute_expires_at + skew,
        }
    }

    /// When the session ends, unless the idle deadline moves.
    pub(crate) fn end(&self) -> OffsetDateTime {
        min(self.idle, self.absolute)
    }

    /// Whether extending could push the idle deadline back.
    pub(crate) fn idle_can_move(&self) -> bool {
        self.idle + PINNED < self.absolute
    }
}

/// The warning window for an idle timeout of `idle_timeout`.
pub(crate) fn warning_window(idle_timeout: Duration) -> Duration {
    let floor = min(MIN_WARNING, idle_timeout / 2);
    min(MAX_WARNING, max(idle_timeout / 4, floor))
}

/// What the watcher knows about the current session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExpiryTracker {
    pub(crate) session: Uuid,
    pub(crate) deadlines: Deadlines,
    /// The idle timeout, as far as seen.
    pub(crate) idle_timeout: Duration,
}

impl ExpiryTracker {
    /// The tracker after reading `status` at `received_at` (a new session starts afresh).
    pub(crate) fn observe(
        previous: Option<&ExpiryTracker>,
        status: &SessionStatus,
        received_at: OffsetDateTime,
    ) -> Self {
        let seen = status.idle_expires_at - status.now;
        let idle_timeout = match previous {
            Some(p) if p.session == status.id => max(p.idle_timeout, seen),
            _ => seen,
        };
        Self {
            session: status.id,
            deadlines: Deadlines::from_status(status, received_at),
            idle_timeout,
        }
    }

    /// Whether activity at `now` (the person typing) should extend the session: the idle
    /// deadline is within twice the warning window (so the dialog would soon interrupt them)
    /// and a quarter of the timeout has passed since the last extension (keystrokes right
    /// after one send nothing), it can still move, and the session has not ended.
    pub(crate) fn activity_extends(&self, now: OffsetDateTime) -> bool {
        let window = warning_window(self.idle_timeout);
        let soon = min(window * 2, self.idle_timeout * 3 / 4);
        now < self.deadlines.end()
            && self.deadlines.idle_can_move()
            && self.deadlines.idle - now <= soon
    }

    /// [`assess`] with what the tracker knows.
    pub(crate) fn assess(&self, now: OffsetDateTime) -> Assessment {
        assess(&self.deadlines, self.idle_timeout, now)
    }
}

/// What to show now, and when to look again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Assessment {
    /// The "Stay signed in" dialog.
    pub(crate) idle_warning: bool,
    /// The notice that the session ends at the absolute deadline.
    pub(crate) ending_soon: bool,
    /// The end has passed: confirm with the server (a 401 signs the page out).
    pub(crate) expired: bool,
    /// When to look again (re-read the status first: another call or tab may have moved the
    /// idle deadline).
    pub(crate) wake_at: OffsetDateTime,
}

/// See the module documentation.
pub(crate) fn assess(
    deadlines: &Deadlines,
    idle_timeout: Duration,
    now: OffsetDateTime,
) -> Assessment {
    let window = warning_window(idle_timeout);
    let end = deadlines.end();
    if now >= end {
        // Look again soon (the server may still count a few milliseconds), not in a loop.
        return Assessment {
            idle_warning: false,
            ending_soon: false,
            expired: true,
            wake_at: now + MIN_SLEEP,
        };
    }
    let idle_warning = deadlines.idle_can_move() && deadlines.idle - now <= window;
    let ending_soon = deadlines.absolute - now <= window;
    let wake_at = if idle_warning || ending_soon {
        end
    } else {
        end - window
    };
    Assessment {
        idle_warning,
        ending_soon,
        expired: false,
        wake_at: wake_at.clamp(now + MIN_SLEEP, now + MAX_SLEEP),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-27 14:00:00 UTC);

    fn status(idle_in: Duration, absolute_in: Duration) -> SessionStatus {
        SessionStatus {
            id: Uuid::from_u128(7),
            idle_expires_at: NOW + idle_in,
            absolute_expires_at: NOW + absolute_in,
            access_token_expires_at: None,
            now: NOW,
        }
    }

    fn tracker(idle_in: Duration, absolute_in: Duration) -> ExpiryTracker {
        ExpiryTracker::observe(None, &status(idle_in, absolute_in), NOW)
    }

    #[test]
    fn the_window_is_two_minutes_or_a_quarter_of_the_idle_timeout() {
        assert_eq!(warning_window(Duration::days(1)), Duration::minutes(2));
        assert_eq!(warning_window(Duration::minutes(8)), Duration::minutes(2));
        assert_eq!(warning_window(Duration::minutes(4)), Duration::minutes(1));
    }

    #[test]
    fn short_timeouts_still_warn_long_enough_to_answer() {
        // A quarter would be 15 s and 5 s: too short to read and answer.
        assert_eq!(warning_window(Duration::minutes(1)), Duration::seconds(30));
        assert_eq!(warning_window(Duration::seconds(20)), Duration::seconds(10));
        assert_eq!(warning_window(Duration::minutes(2)), Duration::seconds(30));
    }

    #[test]
    fn typing_extends_only_when_the_warning_is_near() {
        let t = tracker(Duration::minutes(30), Duration::days(7));
        assert!(
            !t.activity_extends(NOW),
            "far from the deadline: nothing to do"
        );
        assert!(!t.activity_extends(NOW + Duration::minutes(25)));
        assert!(
            t.activity_extends(NOW + Duration::minutes(26)),
            "4 minutes left"
        );
        assert!(!t.activity_extends(NOW + Duration::minutes(30)), "over");
        let pinned = tracker(Duration::minutes(1), Duration::minutes(1));
        assert!(
            !pinned.activity_extends(NOW),
            "the idle deadline cannot move"
        );
        // A 20-second timeout: not for every keystroke, once 5 seconds have passed.
        let short = tracker(Duration::seconds(20), Duration::days(7));
        assert!(!short.activity_extends(NOW + Duration::seconds(4)));
        assert!(short.activity_extends(NOW + Duration::seconds(5)));
    }

    #[test]
    fn deadlines_move_onto_this_devices_clock() {
        // This device's clock is an hour ahead of the server's.
        let received_at = NOW + Duration::hours(1);
        let d = Deadlines::from_status(
            &status(Duration::minutes(30), Duration::days(7)),
            received_at,
        );
        assert_eq!(d.idle, received_at + Duration::minutes(30));
        assert_eq!(d.absolute, received_at + Duration::days(7));
        // So the warning comes 28 minutes after the answer, whatever the clocks say.
        let t = ExpiryTracker::observe(
            None,
            &status(Duration::minutes(30), Duration::days(7)),
            received_at,
        );
        assert_eq!(
            t.assess(received_at).wake_at,
            received_at + Duration::minutes(28)
        );
    }

    #[test]
    fn quiet_until_the_window_then_warn_and_wake_at_the_end() {
        let t = tracker(Duration::minutes(30), Duration::days(7));
        let early = t.assess(NOW);
        assert!(!early.idle_warning && !early.ending_soon && !early.expired);
        assert_eq!(early.wake_at, NOW + Duration::minutes(28));

        let late = t.assess(NOW + Duration::minutes(28));
        assert!(late.idle_warning && !late.ending_soon);
        assert_eq!(late.wake_at, NOW + Duration::minutes(30));

        let over = t.assess(NOW + Duration::minutes(30));
        assert!(over.expired && !over.idle_warning);
        assert_eq!(over.wake_at, NOW + Duration::minutes(30) + MIN_SLEEP);
    }

    #[test]
    fn a_short_idle_timeout_warns_half_of_it_ahead() {
        let t = tracker(Duration::seconds(20), Duration::days(7));
        assert_eq!(t.assess(NOW).wake_at, NOW + Duration::seconds(10));
        assert!(t.assess(NOW + Duration::seconds(10)).idle_warning);
        assert!(!t.assess(NOW + Duration::seconds(9)).idle_warning);
    }

    #[test]
    fn near_the_absolute_deadline_there_is_a_notice_not_a_useless_dialog() {
        // The idle deadline has been capped at the absolute one: extending cannot help.
        let pinned = tracker(Duration::minutes(10), Duration::minutes(10));
        let quiet = pinned.assess(NOW);
        assert_eq!(quiet.wake_at, NOW + Duration::minutes(8));
        let near = pinned.assess(NOW + Duration::minutes(9));
        assert!(near.ending_soon && !near.idle_warning);
        assert_eq!(near.wake_at, NOW + Duration::minutes(10));
    }

    #[test]
    fn both_deadlines_near_show_both() {
        let t = ExpiryTracker {
            idle_timeout: Duration::minutes(30),
            ..tracker(Duration::seconds(60), Duration::seconds(90))
        };
        let a = t.assess(NOW);
        assert!(a.idle_warning && a.ending_soon);
        assert_eq!(a.wake_at, NOW + Duration::seconds(60), "the first end");
    }

    #[test]
    fn the_absolute_deadline_alone_can_come_first() {
        let t = tracker(Duration::hours(5), Duration::hours(1));
        assert_eq!(t.assess(NOW).wake_at, NOW + Duration::minutes(58));
    }

    #[test]
    fn sleeps_are_bounded_both_ways() {
        let far = tracker(Duration::days(1), Duration::days(7));
        assert_eq!(far.assess(NOW).wake_at, NOW + MAX_SLEEP);
        let t = tracker(Duration::seconds(20), Duration::days(7));
        let at_the_edge = NOW + Duration::seconds(20) - Duration::milliseconds(10);
        assert_eq!(t.assess(at_the_edge).wake_at, at_the_edge + MIN_SLEEP);
    }

    #[test]
    fn the_idle_timeout_is_the_longest_seen_for_the_session() {
        let first = tracker(Duration::seconds(19), Duration::days(7));
        assert_eq!(first.idle_timeout, Duration::seconds(19));
        // Later reads see less time left; the estimate keeps the longest.
        let later = ExpiryTracker::observe(
            Some(&first),
            &status(Duration::seconds(6), Duration::days(7)),
            NOW,
        );
        assert_eq!(later.idle_timeout, Duration::seconds(19));
        // After "Stay signed in" the full timeout shows.
        let extended = ExpiryTracker::observe(
            Some(&later),
            &status(Duration::seconds(20), Duration::days(7)),
            NOW,
        );
        assert_eq!(extended.idle_timeout, Duration::seconds(20));
        // Another session (signed in again elsewhere) starts afresh.
        let mut other = status(Duration::seconds(8), Duration::days(7));
        other.id = Uuid::from_u128(8);
        let fresh = ExpiryTracker::observe(Some(&extended), &other, NOW);
        assert_eq!(fresh.idle_timeout, Duration::seconds(8));
    }
}

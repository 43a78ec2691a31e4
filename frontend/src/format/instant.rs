//! Instants as people read them: "5 minutes ago", "today at 14:02", "in 2 minutes".
//!
//! Pure: every function takes the instant *and* "now", both already in the offset to show
//! (the browser's local time, see `browser::local`), so the tests pin the text exactly.
//! Built from the date-time's fields: no format descriptions, no locale data in the wasm.

use shared::OffsetDateTime;
use time::Duration;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month(at: OffsetDateTime) -> &'static str {
    MONTHS[usize::from(u8::from(at.month())) - 1]
}

/// `14:02`.
pub fn clock(at: OffsetDateTime) -> String {
    format!("{:02}:{:02}", at.hour(), at.minute())
}

/// `27 Nov 2026, 14:02:09 UTC+01:00`: the exact form (a `title`), unambiguous anywhere.
pub fn exact(at: OffsetDateTime) -> String {
    let offset = at.offset();
    let zone = if offset.is_utc() {
        "UTC".to_string()
    } else {
        let (h, m, _) = offset.as_hms();
        let sign = if offset.is_negative() { '-' } else { '+' };
        format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
    };
    format!(
        "{} {} {}, {}:{:02} {zone}",
        at.day(),
        month(at),
        at.year(),
        clock(at),
        at.second()
    )
}

/// The machine-readable form for `<time datetime>` (RFC 3339, in UTC, to the millisecond).
/// Written from the fields: `time`'s formatter would add its whole format machinery to the
/// wasm for this one string.
pub fn machine(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let millis = utc.millisecond();
    let fraction = if millis == 0 {
        String::new()
    } else {
        format!(".{millis:03}")
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// When something happened, said relative to `now`:
/// `just now` (within a minute, either way), `5 minutes ago` (within the hour),
/// `today at 14:02`, `yesterday at 09:30`, `27 Nov at 14:02` (this year),
/// `27 Nov 2025 at 14:02`.
pub fn describe_past(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let ago = now - at;
    if ago.abs() < Duration::MINUTE {
        return "just now".to_string();
    }
    if ago > Duration::ZERO && ago < Duration::HOUR {
        let minutes = ago.whole_minutes();
        return format!("{minutes} {} ago", plural(minutes, "minute", "minutes"));
    }
    let (day, today) = (at.date(), now.date());
    if day == today {
        format!("today at {}", clock(at))
    } else if today.previous_day() == Some(day) {
        format!("yesterday at {}", clock(at))
    } else if day.year() == today.year() {
        format!("{} {} at {}", at.day(), month(at), clock(at))
    } else {
        format!("{} {} {} at {}", at.day(), month(at), at.year(), clock(at))
    }
}

/// How long until `deadline`, rounded to what matters: `in 45 seconds`, `in 2 minutes`,
/// `in 3 hours`, `in 2 days`; `now` once it has passed.
pub fn describe_remaining(deadline: OffsetDateTime, now: OffsetDateTime) -> String {
    let left = deadline - now;
    if left <= Duration::ZERO {
        return "now".to_string();
    }
    let (count, one, many) = if left < Duration::MINUTE {
        (left.whole_seconds().max(1), "second", "seconds")
    } else if left < Duration::HOUR {
        (rounded(left, Duration::MINUTE), "minute", "minutes")
    } else if left < Duration::DAY {
        (rounded(left, Duration::HOUR), "hour", "hours")
    } else {
        (rounded(left, Duration::DAY), "day", "days")
    };
    format!("in {count} {}", plural(count, one, many))
}

/// `1:05` for a countdown (minutes and seconds; hours folded into the minutes).
pub fn countdown(deadline: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = (deadline - now).whole_seconds().max(0);
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

fn rounded(length: Duration, unit: Duration) -> i64 {
    let units = length.whole_seconds() as f64 / unit.whole_seconds() as f64;
    (units.round() as i64).max(1)
}

fn plural(count: i64, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-27 14:30:00 UTC);

    #[test]
    fn recent_instants_read_relative() {
        assert_eq!(describe_past(NOW, NOW), "just now");
        assert_eq!(describe_past(NOW - Duration::seconds(59), NOW), "just now");
        assert_eq!(
            describe_past(NOW + Duration::seconds(30), NOW),
            "just now",
            "a server clock slightly ahead"
        );
        assert_eq!(
            describe_past(NOW - Duration::seconds(60), NOW),
            "1 minute ago"
        );
        assert_eq!(
            describe_past(NOW - Duration::minutes(59), NOW),
            "59 minutes ago"
        );
    }

    #[test]
    fn older_instants_read_as_days_and_times() {
        assert_eq!(
            describe_past(datetime!(2026-11-27 09:05:59 UTC), NOW),
            "today at 09:05"
        );
        assert_eq!(
            describe_past(datetime!(2026-11-26 23:59:00 UTC), NOW),
            "yesterday at 23:59"
        );
        assert_eq!(
            describe_past(datetime!(2026-01-03 08:00:00 UTC), NOW),
            "3 Jan at 08:00"
        );
        assert_eq!(
            describe_past(datetime!(2025-12-31 18:45:00 UTC), NOW),
            "31 Dec 2025 at 18:45"
        );
        assert_eq!(
            describe_past(
                datetime!(2026-01-01 00:10:00 UTC),
                datetime!(2026-01-01 02:00:00 UTC)
            ),
            "today at 00:10"
        );
        assert_eq!(
            describe_past(
                datetime!(2025-12-31 23:50:00 UTC),
                datetime!(2026-01-01 02:00:00 UTC)
            ),
            "yesterday at 23:50",
            "across a year boundary"
        );
    }

    #[test]
    fn local_time_is_whatever_offset_the_instants_carry() {
        let offset = time::UtcOffset::from_hms(-5, 0, 0).unwrap();
        let at = datetime!(2026-11-27 02:00:00 UTC).to_offset(offset);
        let now = NOW.to_offset(offset);
        assert_eq!(describe_past(at, now), "yesterday at 21:00");
        assert_eq!(exact(at), "26 Nov 2026, 21:00:00 UTC-05:00");
    }

    #[test]
    fn exact_and_machine_forms() {
        let at = datetime!(2026-11-27 04:12:09.5 UTC);
        assert_eq!(exact(at), "27 Nov 2026, 04:12:09 UTC");
        assert_eq!(machine(at), "2026-11-27T04:12:09.500Z");
        assert_eq!(
            machine(datetime!(2026-11-27 05:12:09 +1)),
            "2026-11-27T04:12:09Z"
        );
        let india = at.to_offset(time::UtcOffset::from_hms(5, 30, 0).unwrap());
        assert_eq!(exact(india), "27 Nov 2026, 09:42:09 UTC+05:30");
        assert_eq!(clock(india), "09:42");
    }

    #[test]
    fn remaining_time_is_rounded_to_what_matters() {
        let in_ = |d: Duration| describe_remaining(NOW + d, NOW);
        assert_eq!(in_(Duration::seconds(1)), "in 1 second");
        assert_eq!(in_(Duration::seconds(45)), "in 45 seconds");
        assert_eq!(in_(Duration::seconds(90)), "in 2 minutes");
        assert_eq!(in_(Duration::seconds(61)), "in 1 minute");
        assert_eq!(in_(Duration::minutes(150)), "in 3 hours");
        assert_eq!(in_(Duration::days(6)), "in 6 days");
        assert_eq!(in_(Duration::ZERO), "now");
        assert_eq!(in_(-Duration::seconds(5)), "now");
        assert_eq!(in_(Duration::milliseconds(300)), "in 1 second");
    }

    #[test]
    fn countdowns_show_minutes_and_seconds() {
        assert_eq!(countdown(NOW + Duration::seconds(125), NOW), "2:05");
        assert_eq!(countdown(NOW + Duration::seconds(9), NOW), "0:09");
        assert_eq!(countdown(NOW - Duration::seconds(9), NOW), "0:00");
    }
}

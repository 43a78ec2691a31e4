//! Turning session data into short, readable text: RFC 3339 timestamps and user agents.
//!
//! Pure and deterministic (no clock, no locale, no browser): the same input always gives the
//! same text, which is what the unit tests and the end-to-end tests rely on.

use std::cmp::Ordering;

/// An instant in UTC, parsed from RFC 3339. Orders chronologically whatever offset the text
/// was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix_seconds: i64,
    /// Fraction of the second (nanoseconds, `< 1_000_000_000`).
    pub nanos: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an RFC 3339 date-time (`2026-11-27T04:12:09.123Z`, `2026-11-27T05:12:09+01:00`).
///
/// Also accepts a lowercase `t`/`z` and a space between date and time (RFC 3339 §5.6 note).
/// A leap second (`:60`) counts as `:59`. Anything else, including out-of-range fields, is
/// `None`.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }

    let mut pos = 19;
    let mut nanos: u32 = 0;
    if b[pos] == b'.' {
        pos += 1;
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            if pos - start < 9 {
                nanos = nanos * 10 + u32::from(b[pos] - b'0');
            }
            pos += 1;
        }
        let count = pos - start;
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            nanos *= 10;
        }
    }

    let offset_seconds: i64 = match b.get(pos..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2], 0, 2)?;
            let minutes = digits(&[*m1, *m2], 0, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => return None,
    };

    let days = days_from_civil(i64::from(year), month, day);
    let local =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second.min(59));
    Some(Timestamp {
        unix_seconds: local - offset_seconds,
        nanos,
    })
}

/// `27 Nov 2026, 04:12 UTC`: the instant in UTC, to the minute. Text that is not RFC 3339 is
/// returned unchanged (it is rendered as text, never as markup).
pub fn format_timestamp(text: &str) -> String {
    match timestamp_parts(text) {
        (date, Some(time)) => format!("{date}, {time}"),
        (text, None) => text,
    }
}

/// [`format_timestamp`] in two parts, the date and the time of day (`("27 Nov 2026",
/// Some("04:12 UTC"))`), so a narrow column can break the line between them only. Text that is
/// not RFC 3339 is `(text, None)`.
pub fn timestamp_parts(text: &str) -> (String, Option<String>) {
    match parse_rfc3339(text) {
        Some(ts) => {
            let (date, time) = utc_parts(ts);
            (date, Some(time))
        }
        None => (text.to_string(), None),
    }
}

/// `("27 Nov 2026", "04:12 UTC")`.
fn utc_parts(ts: Timestamp) -> (String, String) {
    let days = ts.unix_seconds.div_euclid(86_400);
    let secs_of_day = ts.unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    (
        format!("{day} {} {year}", MONTHS[(month - 1) as usize]),
        format!(
            "{:02}:{:02} UTC",
            secs_of_day / 3600,
            secs_of_day % 3600 / 60
        ),
    )
}

/// Orders two RFC 3339 texts chronologically; a text that does not parse sorts before every
/// instant (oldest), and two such texts compare as strings.
pub fn compare_timestamps(a: &str, b: &str) -> Ordering {
    match (parse_rfc3339(a), parse_rfc3339(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<u32> {
    let slice = b.get(start..start + len)?;
    slice.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap_year(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month 1..=12, day 1..=31)`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The longest text [`describe_user_agent`] returns for an agent it does not recognise.
const MAX_UNKNOWN_AGENT_CHARS: usize = 40;

/// A short hint of the browser and operating system behind a `User-Agent`:
/// `Chrome 131 on macOS`, `Firefox 133 on Linux`, `Safari 17 on iOS`, `curl 8`. An agent it
/// does not recognise is cut to 40 characters; none at all is `Unknown device`.
pub fn describe_user_agent(user_agent: Option<&str>) -> String {
    let ua = match user_agent.map(str::trim) {
        Some(ua) if !ua.is_empty() => ua,
        _ => return "Unknown device".to_string(),
    };
    let browser = browser_of(ua);
    let os = os_of(ua);
    match (browser, os) {
        (Some(browser), Some(os)) => format!("{browser} on {os}"),
        (Some(browser), None) => browser,
        (None, Some(os)) => format!("Browser on {os}"),
        (None, None) => truncate_chars(ua, MAX_UNKNOWN_AGENT_CHARS),
    }
}

/// `Name major-version` of the browser (or HTTP client), if recognised.
fn browser_of(ua: &str) -> Option<String> {
    // Order matters: Edge, Opera and Samsung also say "Chrome" and "Safari"; Chrome also says
    // "Safari".
    const BROWSERS: &[(&str, &str)] = &[
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
    ];
    for (token, name) in BROWSERS {
        if let Some(version) = token_version(ua, token) {
            return Some(with_version(name, version));
        }
    }
    if ua.contains("Safari/") {
        return Some(match token_version(ua, "Version/") {
            Some(version) => with_version("Safari", version),
            None => "Safari".to_string(),
        });
    }
    // An HTTP client or bot: its first product token (`curl/8.5.0`, `python-requests/2.31`).
    let first = ua.split_whitespace().next()?;
    let (product, version) = first.split_once('/')?;
    let known_shape = !product.is_empty()
        && product != "Mozilla"
        && product
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    known_shape.then(|| with_version(product, major(version)))
}

fn os_of(ua: &str) -> Option<&'static str> {
    const SYSTEMS: &[(&str, &str)] = &[
        ("iPhone", "iOS"),
        ("iPod", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("Linux", "Linux"),
        ("FreeBSD", "FreeBSD"),
    ];
    SYSTEMS
        .iter()
        .find(|(token, _)| ua.contains(token))
        .map(|(_, name)| *name)
}

/// The major version after `token` (`Chrome/131.0.6778.85` → `131`), if `token` is present.
fn token_version<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let start = ua.find(token)? + token.len();
    Some(major(&ua[start..]))
}

fn major(version: &str) -> &str {
    let end = version
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(version.len());
    &version[..end]
}

fn with_version(name: &str, major: &str) -> String {
    if major.is_empty() {
        name.to_string()
    } else {
        format!("{name} {major}")
    }
}

fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_timestamps_to_the_minute() {
        assert_eq!(
            format_timestamp("2026-11-27T04:12:09.123456789Z"),
            "27 Nov 2026, 04:12 UTC"
        );
        assert_eq!(
            format_timestamp("1970-01-01T00:00:00Z"),
            "1 Jan 1970, 00:00 UTC"
        );
        assert_eq!(
            format_timestamp("2024-02-29t23:59:59z"),
            "29 Feb 2024, 23:59 UTC"
        );
        assert_eq!(
            format_timestamp("2000-03-01 12:30:00Z"),
            "1 Mar 2000, 12:30 UTC"
        );
    }

    #[test]
    fn splits_date_and_time_of_day() {
        assert_eq!(
            timestamp_parts("2026-11-27T04:12:09Z"),
            ("27 Nov 2026".to_string(), Some("04:12 UTC".to_string()))
        );
    }

    #[test]
    fn offsets_are_converted_to_utc_across_day_month_and_year_boundaries() {
        assert_eq!(
            format_timestamp("2026-11-27T05:12:00+01:00"),
            "27 Nov 2026, 04:12 UTC"
        );
        assert_eq!(
            format_timestamp("2026-12-31T20:30:00-05:30"),
            "1 Jan 2027, 02:00 UTC"
        );
        assert_eq!(
            format_timestamp("2026-03-01T00:15:00+02:00"),
            "28 Feb 2026, 22:15 UTC"
        );
        assert_eq!(
            format_timestamp("1969-12-31T23:00:00-01:00"),
            "1 Jan 1970, 00:00 UTC"
        );
    }

    #[test]
    fn parses_to_unix_time() {
        let ts = parse_rfc3339("2026-11-27T04:12:09.5Z").unwrap();
        assert_eq!(ts.unix_seconds, 1_795_752_729);
        assert_eq!(ts.nanos, 500_000_000);
        assert_eq!(
            parse_rfc3339("1969-12-31T23:59:59Z").unwrap().unix_seconds,
            -1
        );
        // More than nine fractional digits: the rest is ignored.
        assert_eq!(
            parse_rfc3339("2026-01-01T00:00:00.1234567891Z")
                .unwrap()
                .nanos,
            123_456_789
        );
        // A leap second counts as :59.
        assert_eq!(
            parse_rfc3339("2016-12-31T23:59:60Z").unwrap(),
            parse_rfc3339("2016-12-31T23:59:59Z").unwrap()
        );
    }

    #[test]
    fn round_trips_every_day_over_a_few_centuries() {
        for days in (-200_000..200_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn rejects_malformed_and_out_of_range_text() {
        for bad in [
            "",
            "yesterday",
            "2026-11-27",
            "2026-11-27T04:12:09",
            "2026-11-27T04:12:09+0100",
            "2026-11-27T04:12:09.Z",
            "2026-11-27T04:12:09Zjunk",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T04:60:00Z",
            "2026-11-27T04:12:61Z",
            "2026-11-27T04:12:09+24:00",
            "2026/11/27T04:12:09Z",
            "+2026-11-27T04:12:09Z",
            "２026-11-27T04:12:09Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
        assert_eq!(format_timestamp("not a date"), "not a date");
        assert_eq!(
            timestamp_parts("not a date"),
            ("not a date".to_string(), None)
        );
    }

    #[test]
    fn compares_instants_not_strings() {
        // Lexically "05:00+02:00" > "04:00Z", chronologically it is earlier.
        assert_eq!(
            compare_timestamps("2026-01-01T05:00:00+02:00", "2026-01-01T04:00:00Z"),
            Ordering::Less
        );
        assert_eq!(
            compare_timestamps("2026-01-01T04:00:00.5Z", "2026-01-01T04:00:00Z"),
            Ordering::Greater
        );
        assert_eq!(
            compare_timestamps("garbage", "2026-01-01T04:00:00Z"),
            Ordering::Less
        );
        assert_eq!(compare_timestamps("a", "b"), Ordering::Less);
    }

    #[test]
    fn describes_common_browsers() {
        let cases = [
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131 on macOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                "Edge 131 on Windows",
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133 on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
                "Safari 17 on iOS",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
                "Chrome 131 on iPadOS",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari 18 on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
                "Samsung Internet 25 on Android",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
                "Opera 115 on Windows",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131 on ChromeOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36",
                "Headless Chrome 131 on Linux",
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(describe_user_agent(Some(ua)), expected, "{ua}");
        }
    }

    #[test]
    fn describes_http_clients_and_oddities() {
        assert_eq!(describe_user_agent(Some("curl/8.5.0")), "curl 8");
        assert_eq!(
            describe_user_agent(Some("python-requests/2.31.0")),
            "python-requests 2"
        );
        assert_eq!(describe_user_agent(Some("okhttp/")), "okhttp");
        assert_eq!(
            describe_user_agent(Some("Mozilla/5.0 (X11; Linux x86_64)")),
            "Browser on Linux"
        );
        assert_eq!(describe_user_agent(None), "Unknown device");
        assert_eq!(describe_user_agent(Some("   ")), "Unknown device");
        assert_eq!(describe_user_agent(Some("x")), "x");
        let long = "<script>alert(1)</script> ".repeat(5);
        let described = describe_user_agent(Some(&long));
        assert_eq!(described.chars().count(), MAX_UNKNOWN_AGENT_CHARS);
        assert!(described.ends_with('…'));
        // Multi-byte characters are cut on character boundaries.
        let described = describe_user_agent(Some(&"é".repeat(100)));
        assert_eq!(described.chars().count(), MAX_UNKNOWN_AGENT_CHARS);
    }
}

//! A short, readable hint of the browser and operating system behind a `User-Agent` (the
//! admin page's device column). Pure and deterministic. The same words as the server's
//! `device` on "Your sessions" ("Chrome on Linux"): no versions, and a headless Chrome is a
//! Chrome, so one browser has one name on every page.

/// The longest text [`describe_user_agent`] returns for an agent it does not recognise.
const MAX_UNKNOWN_AGENT_CHARS: usize = 40;

/// A short hint of the browser and operating system behind a `User-Agent`:
/// `Chrome on macOS`, `Firefox on Linux`, `Safari on iOS`, `curl`. An agent it
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

/// The name of the browser (or HTTP client), if recognised.
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
        ("HeadlessChrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
    ];
    for (token, name) in BROWSERS {
        if ua.contains(token) {
            return Some((*name).to_string());
        }
    }
    if ua.contains("Safari/") {
        return Some("Safari".to_string());
    }
    // An HTTP client or bot: its first product token (`curl/8.5.0`, `python-requests/2.31`).
    let first = ua.split_whitespace().next()?;
    let (product, _version) = first.split_once('/')?;
    let known_shape = !product.is_empty()
        && product != "Mozilla"
        && product
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    known_shape.then(|| product.to_string())
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
    fn describes_common_browsers() {
        let cases = [
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on macOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
                "Chrome on iPadOS",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
                "Samsung Internet on Android",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
                "Opera on Windows",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36",
                "Chrome on Linux",
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(describe_user_agent(Some(ua)), expected, "{ua}");
        }
    }

    #[test]
    fn describes_http_clients_and_oddities() {
        assert_eq!(describe_user_agent(Some("curl/8.5.0")), "curl");
        assert_eq!(
            describe_user_agent(Some("python-requests/2.31.0")),
            "python-requests"
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

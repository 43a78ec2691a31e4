//! `ReturnTo`: where to send the browser after login or logout. Only a same-origin relative
//! path survives parsing; anything else becomes `/`.

use url::{Position, Url};

use crate::config::BaseUrl;

/// Longest return path, before and after normalisation. The login transaction cookie is sized
/// for it (see `transaction::tests::the_longest_return_path_fits_the_cookie`).
pub const MAX_LEN: usize = 1024;

/// A same-origin path (with optional query and fragment), normalised, starting with exactly
/// one `/`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReturnTo(String);

impl ReturnTo {
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Parses a requested return path. Absent, off-site, scheme-relative, backslashed, control
    /// characters, over-long or otherwise odd values all give `/`: the caller never has to
    /// handle an error, and nothing can point the browser away from the app.
    pub fn parse_or_root(raw: Option<&str>, base: &BaseUrl) -> Self {
        raw.and_then(|raw| Self::parse(raw, base))
            .unwrap_or_else(Self::root)
    }

    /// [`Self::parse_or_root`] for this app: also `/` for any path under its API prefix,
    /// wherever that is mounted.
    pub fn for_app(raw: Option<&str>, config: &crate::config::Config) -> Self {
        let parsed = Self::parse_or_root(raw, &config.base_url);
        let path = parsed.0.split(['?', '#']).next().unwrap_or_default();
        if config.is_api_path(path) {
            Self::root()
        } else {
            parsed
        }
    }

    fn parse(raw: &str, base: &BaseUrl) -> Option<Self> {
        if raw.is_empty() || raw.len() > MAX_LEN {
            return None;
        }
        let bytes = raw.as_bytes();
        // Exactly one leading slash: `//host` and `/\host` are network-path references.
        if bytes[0] != b'/' || matches!(bytes.get(1), Some(b'/' | b'\\')) {
            return None;
        }
        // Browsers read `\` as `/` and strip tabs and newlines: refuse them all, and any other
        // control or non-ASCII whitespace character.
        if raw
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace() && c != ' ')
        {
            return None;
        }
        let origin = base.origin();
        let base_url = Url::parse(&origin).ok()?;
        let joined = base_url.join(raw).ok()?;
        if joined.origin() != base_url.origin() {
            return None;
        }
        let path = &joined[Position::BeforePath..];
        if path.len() > MAX_LEN {
            return None;
        }
        if !path.starts_with('/') || path.starts_with("//") || path.starts_with("/\\") {
            return None;
        }
        // Never send the browser back into the login machinery.
        if joined.path().starts_with("/api/") {
            return None;
        }
        Some(Self(path.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("https://app.example.com").unwrap()
    }

    fn parse(raw: &str) -> String {
        ReturnTo::parse_or_root(Some(raw), &base())
            .as_str()
            .to_owned()
    }

    #[test]
    fn plain_paths_are_kept() {
        assert_eq!(parse("/profile"), "/profile");
        assert_eq!(parse("/profile?tab=a&b=1#top"), "/profile?tab=a&b=1#top");
        assert_eq!(parse("/"), "/");
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(parse("/a/../profile"), "/profile");
        assert_eq!(parse("/a/./b"), "/a/b");
    }

    #[test]
    fn missing_or_empty_means_root() {
        assert_eq!(ReturnTo::parse_or_root(None, &base()).as_str(), "/");
        assert_eq!(parse(""), "/");
    }

    #[test]
    fn off_site_values_become_root() {
        for evil in [
            "//evil.com",
            "///evil.com",
            "/\\evil.com",
            "/\\/evil.com",
            "\\\\evil.com",
            "https://evil.com",
            "https:evil.com",
            "http://app.example.com.evil.com/",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "/\t/evil.com",
            "/\n/evil.com",
            "/%09/evil.com\u{0}",
            "evil.com",
            "profile",
            "?next=/",
            "#/",
            "/\u{3000}/evil.com",
        ] {
            assert_eq!(parse(evil), "/", "{evil:?}");
        }
    }

    #[test]
    fn the_api_is_never_a_return_target() {
        assert_eq!(parse("/api/auth/logout"), "/");
        assert_eq!(parse("/api/../profile"), "/profile");
    }

    #[test]
    fn over_long_values_become_root() {
        assert_eq!(parse(&format!("/{}", "a".repeat(MAX_LEN))), "/");
        let longest = format!("/{}", "a".repeat(MAX_LEN - 1));
        assert_eq!(parse(&longest), longest);
        // Short before normalisation, too long after (each `é` becomes `%C3%A9`).
        assert_eq!(parse(&format!("/{}", "é".repeat(300))), "/");
    }

    /// oauth2-proxy's open-redirect corpus (tests/data/openredirects.txt): every payload,
    /// raw and percent-decoded once, lands on a same-origin path.
    #[test]
    fn the_open_redirect_corpus_lands_on_site() {
        let corpus = include_str!("../../tests/data/openredirects.txt");
        let base = base();
        let origin = Url::parse(&base.origin()).unwrap().origin();
        let mut count = 0;
        // One line a payload; the first payload is the empty string.
        for line in corpus.lines() {
            let decoded = percent_encoding::percent_decode_str(line).decode_utf8_lossy();
            for candidate in [line, decoded.as_ref()] {
                let got = ReturnTo::parse_or_root(Some(candidate), &base);
                let path = got.as_str();
                assert!(
                    path.starts_with('/') && !path.starts_with("//"),
                    "{line:?} -> {path:?}"
                );
                assert!(!path.contains('\\'), "{line:?} -> {path:?}");
                let landed = Url::parse(&base.origin()).unwrap().join(path).unwrap();
                assert_eq!(landed.origin(), origin, "{line:?} -> {path:?}");
            }
            count += 1;
        }
        assert_eq!(count, 559);
    }
}

//! URLs for the login flow: the login and logout round trips, the return path after them,
//! and the start-up query. Pure string functions, no browser.

use shared::routes::LOGIN_PARAMETERS;

/// Where the backend sends a user after login when the requested place is unusable.
const DEFAULT_RETURN_TO: &str = "/";

/// What a sign-in asks for: where to come back to, and authorization parameters for the
/// provider.
///
/// ```
/// use ferris_login_yew::LoginOptions;
///
/// let signup = LoginOptions::return_to("/welcome").screen_hint("signup");
/// assert_eq!(signup.to_url("/api"), "/api/auth/login?screen_hint=signup&returnTo=%2Fwelcome");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOptions {
    return_to: String,
    params: Vec<(&'static str, String)>,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self::return_to(DEFAULT_RETURN_TO)
    }
}

impl LoginOptions {
    /// A sign-in that brings the user back to `path` (a same-origin path and query; anything
    /// else, or a path under the API, becomes `/`).
    pub fn return_to(path: impl Into<String>) -> Self {
        Self {
            return_to: path.into(),
            params: Vec::new(),
        }
    }

    /// Adds `screen_hint` (e.g. `signup`: the provider shows its sign-up form first).
    pub fn screen_hint(self, hint: impl Into<String>) -> Self {
        self.param("screen_hint", hint)
    }

    /// Adds `prompt` (e.g. `login`: the provider asks for the credentials again).
    pub fn prompt(self, prompt: impl Into<String>) -> Self {
        self.param("prompt", prompt)
    }

    /// Adds another authorization parameter the backend passes on to the provider
    /// (`login_hint`, `organization`, `invitation`, `connection`, `acr_values`, `max_age`,
    /// `ui_locales`, ...). A name the backend does not pass on is ignored here too.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        if let Some(name) = LOGIN_PARAMETERS.into_iter().find(|known| *known == name) {
            self.params.retain(|(n, _)| *n != name);
            self.params.push((name, value.into()));
        }
        self
    }

    /// `{api_prefix}/auth/login?...&returnTo=...`: the full-page navigation that starts the
    /// sign-in (with an API under `api_prefix`, e.g. `/api`).
    pub fn to_url(&self, api_prefix: &str) -> String {
        let prefix = normalize_prefix(api_prefix);
        let mut url = format!("{prefix}/auth/login?");
        for (name, value) in &self.params {
            url.push_str(name);
            url.push('=');
            url.push_str(&encode_uri_component(value));
            url.push('&');
        }
        url.push_str("returnTo=");
        url.push_str(&encode_uri_component(safe_return_to(
            &self.return_to,
            prefix,
        )));
        url
    }
}

/// `/api/` or `/api` as `/api`; empty (the API at the root) stays empty.
pub(crate) fn normalize_prefix(api_prefix: &str) -> &str {
    api_prefix.trim_end_matches('/')
}

/// `return_to` if it is a same-origin relative path (path plus optional query), else `/`.
///
/// Accepted: a path that starts with exactly one `/`. Refused (becomes `/`): anything absolute
/// (`https://evil`), scheme-like (`javascript:alert(1)`), protocol-relative (`//evil.com`), the
/// backslash variant browsers treat the same way (`/\evil`), anything with ASCII control
/// characters or whitespace (browsers strip tabs and newlines, so `/\t/evil` would become
/// `//evil`), and the API itself (`{api_prefix}/...`, which would loop back into the login).
pub(crate) fn safe_return_to<'a>(return_to: &'a str, api_prefix: &str) -> &'a str {
    let mut chars = return_to.chars();
    let single_leading_slash =
        chars.next() == Some('/') && !matches!(chars.next(), Some('/') | Some('\\'));
    let clean = !return_to
        .chars()
        .any(|c| c.is_ascii_control() || c.is_whitespace());
    let prefix = normalize_prefix(api_prefix);
    let is_api = !prefix.is_empty()
        && return_to
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'));
    if single_leading_slash && clean && !is_api {
        return_to
    } else {
        DEFAULT_RETURN_TO
    }
}

/// Query flag the logout round trip comes back with (`/page?signed_out=1`); read once at
/// start-up and removed from the address bar.
pub(crate) const SIGNED_OUT_PARAM: &str = "signed_out";

/// `{api_prefix}/auth/logout?returnTo=<encoded path>` for the `POST`: after the provider's
/// logout page the browser lands on `return_to` (see [`safe_return_to`]) with `?signed_out=1`.
pub(crate) fn logout_path(api_prefix: &str, return_to: &str) -> String {
    let prefix = normalize_prefix(api_prefix);
    let back = with_query_flag(safe_return_to(return_to, prefix), SIGNED_OUT_PARAM);
    format!(
        "{prefix}/auth/logout?returnTo={}",
        encode_uri_component(&back)
    )
}

/// `path` with `name=1` added to its query (before any fragment).
fn with_query_flag(path: &str, name: &str) -> String {
    let (before_hash, hash) = match path.find('#') {
        Some(at) => path.split_at(at),
        None => (path, ""),
    };
    let separator = if before_hash.contains('?') { '&' } else { '?' };
    format!("{before_hash}{separator}{name}=1{hash}")
}

/// Where the browser may be sent after logout: an absolute `https:`/`http:` URL (the
/// provider's logout page) or a same-origin path. Anything else (`javascript:`, `data:`,
/// protocol-relative) gives `None`, and the caller goes home instead.
pub(crate) fn safe_navigation_target<'a>(url: &'a str, api_prefix: &str) -> Option<&'a str> {
    let lower = url.to_ascii_lowercase();
    let authority = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let absolute_http = authority
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/') && !rest.starts_with('\\'))
        && !url
            .chars()
            .any(|c| c.is_ascii_control() || c.is_whitespace());
    if absolute_http || safe_return_to(url, api_prefix) == url {
        Some(url)
    } else {
        None
    }
}

/// Removes the parameter `name` from a query string (`?a=1&b=2`, leading `?` optional).
///
/// Returns the (percent-decoded) value of its first occurrence, if any, and what is left of the
/// query, with a leading `?`, or an empty string when nothing is left.
pub(crate) fn take_query_param(search: &str, name: &str) -> (Option<String>, String) {
    let query = search.strip_prefix('?').unwrap_or(search);
    let mut value = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        if decode_query_component(key) == name {
            if value.is_none() {
                value = Some(decode_query_component(raw));
            }
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    (value, rest)
}

/// Percent-encodes like JavaScript's `encodeURIComponent`: everything but
/// `A-Z a-z 0-9 - _ . ! ~ * ' ( )` becomes `%XX` (UTF-8 bytes).
pub(crate) fn encode_uri_component(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes a `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte;
/// malformed escapes are kept as they are, invalid UTF-8 is replaced.
pub(crate) fn decode_query_component(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login_url(return_to: &str) -> String {
        LoginOptions::return_to(return_to).to_url("/api")
    }

    fn signup_url(return_to: &str) -> String {
        LoginOptions::return_to(return_to)
            .screen_hint("signup")
            .to_url("/api")
    }

    fn logout_path(return_to: &str) -> String {
        super::logout_path("/api", return_to)
    }

    fn safe_return_to(return_to: &str) -> &str {
        super::safe_return_to(return_to, "/api")
    }

    fn safe_navigation_target(url: &str) -> Option<&str> {
        super::safe_navigation_target(url, "/api")
    }

    #[test]
    fn login_url_encodes_path_and_query() {
        assert_eq!(login_url("/"), "/api/auth/login?returnTo=%2F");
        assert_eq!(login_url("/profile"), "/api/auth/login?returnTo=%2Fprofile");
        assert_eq!(
            login_url("/profile?tab=roles&x=a%20b+c#top"),
            "/api/auth/login?returnTo=%2Fprofile%3Ftab%3Droles%26x%3Da%2520b%2Bc%23top"
        );
    }

    #[test]
    fn login_url_encodes_non_ascii_as_utf8() {
        assert_eq!(
            login_url("/café?q=ü"),
            "/api/auth/login?returnTo=%2Fcaf%C3%A9%3Fq%3D%C3%BC"
        );
    }

    #[test]
    fn login_url_refuses_hostile_return_paths() {
        for hostile in [
            "//evil.com",
            "//evil.com/profile",
            "/\\evil",
            "/\\/evil.com",
            "\\\\evil.com",
            "https://evil",
            "http://evil.com/",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "evil.com",
            "profile",
            "",
            " /profile",
            "/\t/evil.com",
            "/\n/evil.com",
            "/\r\n/evil.com",
            "/api/auth/logout",
            "/api/auth/login?returnTo=/",
            "/api",
        ] {
            assert_eq!(
                login_url(hostile),
                "/api/auth/login?returnTo=%2F",
                "{hostile:?} must not survive as a return path"
            );
        }
    }

    #[test]
    fn signup_url_asks_for_the_sign_up_screen_and_comes_back() {
        assert_eq!(
            signup_url("/messages?x=1"),
            "/api/auth/login?screen_hint=signup&returnTo=%2Fmessages%3Fx%3D1"
        );
        assert_eq!(
            signup_url("//evil.com"),
            "/api/auth/login?screen_hint=signup&returnTo=%2F"
        );
    }

    #[test]
    fn logout_path_returns_to_the_page_with_the_signed_out_flag() {
        assert_eq!(
            logout_path("/"),
            "/api/auth/logout?returnTo=%2F%3Fsigned_out%3D1"
        );
        assert_eq!(
            logout_path("/?tab=2"),
            "/api/auth/logout?returnTo=%2F%3Ftab%3D2%26signed_out%3D1"
        );
        assert_eq!(
            logout_path("/forbidden#top"),
            "/api/auth/logout?returnTo=%2Fforbidden%3Fsigned_out%3D1%23top"
        );
        assert_eq!(
            logout_path("https://evil.example/"),
            "/api/auth/logout?returnTo=%2F%3Fsigned_out%3D1"
        );
    }

    #[test]
    fn safe_return_to_keeps_ordinary_paths() {
        assert_eq!(safe_return_to("/"), "/");
        assert_eq!(safe_return_to("/profile"), "/profile");
        assert_eq!(safe_return_to("/admin?x=1"), "/admin?x=1");
        assert_eq!(safe_return_to("/apiary"), "/apiary");
        assert_eq!(safe_return_to("/a/b/../c"), "/a/b/../c");
    }

    #[test]
    fn encode_uri_component_matches_javascript() {
        assert_eq!(encode_uri_component("azAZ09-_.!~*'()"), "azAZ09-_.!~*'()");
        assert_eq!(
            encode_uri_component("/?#[]@$&+,;= %"),
            "%2F%3F%23%5B%5D%40%24%26%2B%2C%3B%3D%20%25"
        );
    }

    #[test]
    fn take_query_param_removes_only_the_named_parameter() {
        assert_eq!(
            take_query_param("?login_error=login_denied", "login_error"),
            (Some("login_denied".to_string()), String::new())
        );
        assert_eq!(
            take_query_param("?a=1&login_error=bad_callback&b=2", "login_error"),
            (Some("bad_callback".to_string()), "?a=1&b=2".to_string())
        );
        assert_eq!(
            take_query_param("?a=1", "login_error"),
            (None, "?a=1".to_string())
        );
        assert_eq!(take_query_param("", "login_error"), (None, String::new()));
    }

    #[test]
    fn take_query_param_decodes_and_drops_repeats() {
        assert_eq!(
            take_query_param("login_error=a%20b+c&login_error=second", "login_error"),
            (Some("a b c".to_string()), String::new())
        );
        assert_eq!(
            take_query_param("?login%5Ferror=x&keep", "login_error"),
            (Some("x".to_string()), "?keep".to_string())
        );
        assert_eq!(
            take_query_param("?login_error", "login_error"),
            (Some(String::new()), String::new())
        );
    }

    #[test]
    fn decode_query_component_tolerates_malformed_escapes() {
        assert_eq!(decode_query_component("100%"), "100%");
        assert_eq!(decode_query_component("%zz"), "%zz");
        assert_eq!(decode_query_component("%4"), "%4");
        assert_eq!(decode_query_component("%C3%A9"), "é");
        assert_eq!(decode_query_component("%FF"), "\u{FFFD}");
    }

    #[test]
    fn logout_target_accepts_provider_urls_and_app_paths_only() {
        let provider = "https://idp.example/session/end?id_token_hint=x&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F";
        assert_eq!(safe_navigation_target(provider), Some(provider));
        assert_eq!(
            safe_navigation_target("http://127.0.0.1:4000/session/end"),
            Some("http://127.0.0.1:4000/session/end")
        );
        assert_eq!(safe_navigation_target("/"), Some("/"));
        assert_eq!(safe_navigation_target("javascript:alert(1)"), None);
        assert_eq!(safe_navigation_target(" javascript:alert(1)"), None);
        assert_eq!(safe_navigation_target("data:text/html,hi"), None);
        assert_eq!(safe_navigation_target("//evil.com"), None);
        assert_eq!(safe_navigation_target("https://"), None);
        assert_eq!(safe_navigation_target("https://a b"), None);
        assert_eq!(safe_navigation_target(""), None);
    }

    #[test]
    fn another_prefix_moves_the_routes_and_the_refused_paths() {
        let options = LoginOptions::return_to("/backend/x");
        assert_eq!(
            options.to_url("/backend/"),
            "/backend/auth/login?returnTo=%2F"
        );
        assert_eq!(
            LoginOptions::return_to("/api/x").to_url("/backend"),
            "/backend/auth/login?returnTo=%2Fapi%2Fx"
        );
        assert_eq!(
            super::logout_path("/backend", "/"),
            "/backend/auth/logout?returnTo=%2F%3Fsigned_out%3D1"
        );
        assert_eq!(
            LoginOptions::default().to_url(""),
            "/auth/login?returnTo=%2F"
        );
    }

    #[test]
    fn login_options_pass_on_known_parameters_only() {
        let options = LoginOptions::return_to("/")
            .prompt("login")
            .param("login_hint", "ada@example.com")
            .param("redirect_uri", "https://evil.example/")
            .prompt("none");
        assert_eq!(
            options.to_url("/api"),
            "/api/auth/login?login_hint=ada%40example.com&prompt=none&returnTo=%2F"
        );
    }
}

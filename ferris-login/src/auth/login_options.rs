//! The authorization parameters `/api/auth/login` passes on to the provider: an allow-list
//! (`shared::routes::LOGIN_PARAMETERS`, Auth0's and OpenID Connect's), each value checked.
//! Anything else in the query is ignored; a listed parameter with a bad value refuses the login
//! (400 `bad_request`, or the SPA's message for a browser).

use crate::error::ApiError;

/// Validated parameters, in the order they came.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoginOptions {
    pub params: Vec<(&'static str, String)>,
    /// `max_age` (seconds): the ID token's `auth_time` must then be at most this old.
    pub max_age: Option<u64>,
}

/// Ten years: a larger `max_age` means nothing.
const MAX_MAX_AGE: u64 = 10 * 365 * 86_400;

impl LoginOptions {
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let mut options = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let Some(name) = shared::routes::LOGIN_PARAMETERS
                .iter()
                .find(|name| **name == key)
            else {
                continue;
            };
            if options.params.iter().any(|(n, _)| n == name) {
                return Err(ApiError::BadRequest("a login parameter is repeated"));
            }
            let value = value.into_owned();
            validate(name, &value)?;
            if *name == "max_age" {
                options.max_age = value.parse().ok();
            }
            options.params.push((name, value));
        }
        Ok(options)
    }
}

fn validate(name: &str, value: &str) -> Result<(), ApiError> {
    let token = |max: usize, extra: &[char]| {
        !value.is_empty()
            && value.len() <= max
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    };
    let words = |max_words: usize, word_ok: &dyn Fn(&str) -> bool| {
        let words: Vec<&str> = value.split(' ').collect();
        !value.is_empty()
            && value.len() <= 256
            && words.len() <= max_words
            && words.iter().all(|w| word_ok(w))
    };
    let ok = match name {
        "prompt" => {
            let known = |w: &str| matches!(w, "none" | "login" | "consent" | "select_account");
            // `none` cannot be combined with anything (OpenID Connect Core 3.1.2.1).
            words(4, &known) && (value == "none" || !value.split(' ').any(|w| w == "none"))
        }
        "screen_hint" => matches!(value, "signup" | "login"),
        "login_hint" => {
            !value.is_empty()
                && value.chars().count() <= 256
                && !value.chars().any(char::is_control)
        }
        "organization" | "connection" => token(128, &['_', '-', '.']),
        "invitation" => token(128, &['_', '-']),
        "acr_values" => words(10, &|w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        }),
        "max_age" => {
            value.len() <= 10
                && value.bytes().all(|b| b.is_ascii_digit())
                && value.parse::<u64>().is_ok_and(|s| s <= MAX_MAX_AGE)
        }
        "ui_locales" => words(10, &|w: &str| {
            (2..=35).contains(&w.len()) && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "a login parameter has a value that is not allowed",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<Vec<(&'static str, String)>, ApiError> {
        LoginOptions::parse(q).map(|o| o.params)
    }

    #[test]
    fn listed_parameters_pass_through_and_others_are_ignored() {
        let got = parse(
            "returnTo=%2Fx&screen_hint=signup&login_hint=ada%40example.com&prompt=login+consent\
             &organization=org_123&invitation=inv-1&connection=google-oauth2&acr_values=urn%3Ax+gold\
             &max_age=300&ui_locales=fr-CA+en&redirect_uri=https%3A%2F%2Fevil&scope=admin&nonce=x",
        )
        .unwrap();
        let names: Vec<&str> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "screen_hint",
                "login_hint",
                "prompt",
                "organization",
                "invitation",
                "connection",
                "acr_values",
                "max_age",
                "ui_locales"
            ]
        );
        assert_eq!(got[1].1, "ada@example.com");
        assert_eq!(
            LoginOptions::parse("max_age=300").unwrap().max_age,
            Some(300)
        );
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            "prompt=none+login",
            "prompt=admin",
            "prompt=",
            "screen_hint=admin",
            "login_hint=a%0Ab",
            "organization=org%2F..",
            "connection=a%20b",
            "invitation=%3Cscript%3E",
            "acr_values=%22x%22",
            "max_age=-1",
            "max_age=1e9",
            "max_age=99999999999",
            "ui_locales=x",
            "ui_locales=en_US",
            "screen_hint=signup&screen_hint=login",
        ] {
            assert!(LoginOptions::parse(bad).is_err(), "{bad}");
        }
        let long_hint = format!("login_hint={}", "a".repeat(257));
        assert!(LoginOptions::parse(&long_hint).is_err());
    }
}

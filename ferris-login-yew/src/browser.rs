//! What the library asks of the browser directly: full-page navigations, the start-up URL,
//! the clock, storage and the console. On the host (native tests) these compile but are never
//! called.

use shared::OffsetDateTime;
use wasm_bindgen::JsValue;

use crate::state::StartUp;

/// `sessionStorage` key set while this tab is away at the provider for a sign-in (a flag, no
/// data); read and removed at start-up.
const LOGIN_STARTED_KEY: &str = "ferris-login-started";

/// A full-page navigation (`window.location.assign`), for the login and logout round trips
/// that must go through the backend and the provider.
pub(crate) fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        if window.location().assign(url).is_err() {
            log(&format!("navigation to {url} was refused"));
        }
    }
}

/// Remembers (for this tab only) that a sign-in starts here, so the tab can tell the others
/// once it comes back signed in. Call before leaving for the login route.
pub(crate) fn mark_login_started() {
    if let Some(storage) = session_storage() {
        if storage.set_item(LOGIN_STARTED_KEY, "1").is_err() {
            log("could not note the sign-in in sessionStorage");
        }
    }
}

/// Starts a sign-in: [`mark_login_started`], then the navigation.
pub(crate) fn start_login(url: &str) {
    mark_login_started();
    navigate(url);
}

/// See [`StartUp::take`].
pub(crate) fn take_start_up() -> StartUp {
    let login_started = take_login_started();
    let Some(window) = web_sys::window() else {
        return StartUp {
            login_started,
            ..StartUp::default()
        };
    };
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let (start, rest) = StartUp::from_query(&search);
    if rest != search {
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        let hash = location.hash().unwrap_or_default();
        let clean = format!("{path}{rest}{hash}");
        let replaced = window
            .history()
            .and_then(|h| h.replace_state_with_url(&JsValue::NULL, "", Some(&clean)));
        if replaced.is_err() {
            log("could not clean the address bar");
        }
    }
    StartUp {
        login_started,
        ..start
    }
}

fn take_login_started() -> bool {
    let Some(storage) = session_storage() else {
        return false;
    };
    let started = storage.get_item(LOGIN_STARTED_KEY).ok().flatten().is_some();
    if started && storage.remove_item(LOGIN_STARTED_KEY).is_err() {
        log("could not clear the sign-in flag");
    }
    started
}

/// The current path and query (where a sign-in should come back to).
pub(crate) fn current_path() -> String {
    web_sys::window()
        .map(|w| w.location())
        .map(|l| {
            let path = l.pathname().unwrap_or_else(|_| "/".into());
            format!("{path}{}", l.search().unwrap_or_default())
        })
        .unwrap_or_else(|| "/".into())
}

/// This device's clock, in milliseconds since the epoch.
pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// This device's clock.
pub(crate) fn now() -> OffsetDateTime {
    let nanos = (now_ms() * 1_000_000.0) as i128;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `localStorage`, if the browser lets us have it.
pub(crate) fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The document, if there is one.
pub(crate) fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Writes to the browser console (diagnostics only; never secrets: there are none here).
pub(crate) fn log(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// Writes an error to the console (a mistake in the app's set-up).
pub(crate) fn error(message: &str) {
    // Also reached when a component renders on the host (server-side rendering, tests).
    if cfg!(target_arch = "wasm32") {
        web_sys::console::error_1(&JsValue::from_str(message));
    }
}

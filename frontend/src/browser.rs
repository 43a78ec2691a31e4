//! The few things the SPA asks of the browser directly (outside Yew and the router): full-page
//! navigations, the start-up URL, the clock, storage, the document title and the focus.
//!
//! On the host (native tests) these compile but are never called.

use shared::{ErrorCode, OffsetDateTime, LOGIN_ERROR_PARAM};
use time::UtcOffset;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use crate::auth::urls::{take_query_param, SIGNED_OUT_PARAM};
use crate::auth::StartUp;

/// `sessionStorage` key set while this tab is away at the provider for a sign-in (a flag, no
/// data); read and removed at start-up.
const LOGIN_STARTED_KEY: &str = "ferris-login-started";

/// A full-page navigation (`window.location.assign`), for the login and logout round trips
/// that must go through the backend and the provider.
pub fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        if window.location().assign(url).is_err() {
            log(&format!("navigation to {url} was refused"));
        }
    }
}

/// Remembers (for this tab only) that a sign-in starts here, so the tab can tell the others
/// once it comes back signed in. Call before leaving for `/api/auth/login`.
pub fn mark_login_started() {
    if let Some(storage) = session_storage() {
        if storage.set_item(LOGIN_STARTED_KEY, "1").is_err() {
            log("could not note the sign-in in sessionStorage");
        }
    }
}

/// Starts a sign-in: [`mark_login_started`], then the navigation.
pub fn start_login(url: &str) {
    mark_login_started();
    navigate(url);
}

/// Reads what the page was opened with, once, before the router starts: `?login_error=<code>`
/// and `?signed_out=1` (removed from the address bar with `history.replaceState`, so a reload
/// or a shared link does not show the message again), and the sign-in flag of this tab.
pub fn take_start_up() -> StartUp {
    let mut start = StartUp {
        login_started: take_login_started(),
        ..StartUp::default()
    };
    let Some(window) = web_sys::window() else {
        return start;
    };
    let location = window.location();
    let Ok(search) = location.search() else {
        return start;
    };
    let (code, rest) = take_query_param(&search, LOGIN_ERROR_PARAM);
    let (signed_out, rest) = take_query_param(&rest, SIGNED_OUT_PARAM);
    start.login_error = code.as_deref().map(ErrorCode::parse);
    start.signed_out = signed_out.is_some();
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
    start
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

/// The element the app mounts into (`<div id="app">` of index.html, which holds a static
/// loading screen until then).
pub fn app_root() -> Option<web_sys::Element> {
    document()?.get_element_by_id("app")
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// This device's clock, in milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// This device's clock.
pub fn now() -> OffsetDateTime {
    let nanos = (now_ms() * 1_000_000.0) as i128;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `at` in the browser's local time zone (with the offset in force at that instant).
pub fn local(at: OffsetDateTime) -> OffsetDateTime {
    let millis = (at.unix_timestamp_nanos() / 1_000_000) as f64;
    // Minutes to add to local time to get UTC (so UTC+1 is -60).
    let minutes = js_sys::Date::new(&JsValue::from_f64(millis)).get_timezone_offset();
    let seconds = -(minutes * 60.0) as i32;
    UtcOffset::from_whole_seconds(seconds).map_or(at, |offset| at.to_offset(offset))
}

/// `localStorage`, if the browser lets us have it.
pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Sets `document.title`.
pub fn set_title(title: &str) {
    if let Some(document) = document() {
        if document.title() != title {
            document.set_title(title);
        }
    }
}

/// Focuses the first element matching `selector`; `false` when there is none.
pub fn focus_first(selector: &str) -> bool {
    let element = document()
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    match element {
        Some(element) => element.focus().is_ok(),
        None => false,
    }
}

/// Focuses the page's heading (`<main> h1`, which has `tabindex="-1"`), else `<main>` itself.
pub fn focus_page_heading() {
    if !focus_first("#main h1") {
        focus_first("#main");
    }
}

/// The element that has the focus (not `<body>`), to give it back later.
pub fn focused_element() -> Option<HtmlElement> {
    let document = document()?;
    let active = document.active_element()?;
    if document.body().is_some_and(|b| *b == active) {
        return None;
    }
    active.dyn_into::<HtmlElement>().ok()
}

/// Whether nothing in particular has the focus (`<body>`, or `<main>` itself).
pub fn focus_is_nowhere() -> bool {
    match focused_element() {
        None => true,
        Some(element) => element.id() == "main",
    }
}

/// Writes to the browser console (diagnostics only; never secrets: the SPA has none).
pub fn log(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

//! The few things the SPA asks of the browser directly (outside Yew, the router and
//! `ferris-login-yew`): the mount point, the clock and the local offset, the document title
//! and the focus.
//!
//! On the host (native tests) these compile but are never called.

use shared::OffsetDateTime;
use time::UtcOffset;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

/// The element the app mounts into (`<div id="app">` of index.html, which holds a static
/// loading screen until then).
pub fn app_root() -> Option<web_sys::Element> {
    document()?.get_element_by_id("app")
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// This device's clock, in milliseconds since the epoch.
fn now_ms() -> f64 {
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

/// Calls `on_show` each time the page is shown again from the back/forward cache (the
/// `pageshow` event with `persisted`), e.g. after "Back" from the provider's sign-in page.
pub fn on_page_show(on_show: impl Fn() + 'static) -> Option<gloo_events::EventListener> {
    let window = web_sys::window()?;
    Some(gloo_events::EventListener::new(
        &window,
        "pageshow",
        move |event| {
            let persisted = js_sys::Reflect::get(event, &JsValue::from_str("persisted"))
                .ok()
                .and_then(|p| p.as_bool())
                .unwrap_or(false);
            if persisted {
                on_show();
            }
        },
    ))
}

/// `sessionStorage` (this tab only), if the browser lets us have it.
fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The value kept under `key` in this tab's storage.
pub fn tab_get(key: &str) -> Option<String> {
    session_storage()?.get_item(key).ok().flatten()
}

/// Keeps `value` under `key` in this tab's storage (an empty value removes it).
pub fn tab_set(key: &str, value: &str) {
    let Some(storage) = session_storage() else {
        return;
    };
    let stored = if value.is_empty() {
        storage.remove_item(key)
    } else {
        storage.set_item(key, value)
    };
    if stored.is_err() {
        log("could not keep the draft in sessionStorage");
    }
}

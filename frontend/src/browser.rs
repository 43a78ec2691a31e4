//! The few things the SPA asks of the browser directly (outside Yew and the router): full-page
//! navigations and reading/cleaning the start-up URL.

use shared::LOGIN_ERROR_PARAM;
use wasm_bindgen::JsValue;

use crate::auth::urls::take_query_param;

/// A full-page navigation (`window.location.assign`), for the login and logout round trips
/// that must go through the backend and the provider.
pub fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        if window.location().assign(url).is_err() {
            log(&format!("navigation to {url} was refused"));
        }
    }
}

/// Reads `?login_error=<code>` from the address bar once, at start-up, and removes it with
/// `history.replaceState` (so a reload or a shared link does not show the message again).
///
/// Runs before the router starts, so the router never sees the parameter.
pub fn take_login_error() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().ok()?;
    let (code, rest) = take_query_param(&search, LOGIN_ERROR_PARAM);
    let code = code?;
    let path = location.pathname().unwrap_or_else(|_| "/".into());
    let hash = location.hash().unwrap_or_default();
    if let Ok(history) = window.history() {
        let clean = format!("{path}{rest}{hash}");
        if history
            .replace_state_with_url(&JsValue::NULL, "", Some(&clean))
            .is_err()
        {
            log("could not remove the login error from the address bar");
        }
    }
    Some(code)
}

/// The element the app mounts into (`<div id="app">` of index.html, which holds a static
/// loading screen until then).
pub fn app_root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id("app")
}

/// Writes to the browser console (diagnostics only; never secrets: the SPA has none).
pub fn log(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

//! "Skip to main content": the first thing Tab reaches; visible only when focused.

use yew::prelude::*;

use crate::browser;

/// `a#skip-link` to `#main`. The click moves the focus itself (`<main tabindex="-1">`) rather
/// than changing the URL's fragment, which the router would see as a navigation.
/// The first thing a keyboard reaches (a plain function: it has no state).
pub fn skip_link() -> Html {
    let onclick = Callback::from(|event: MouseEvent| {
        event.prevent_default();
        browser::focus_first("#main");
    });
    html! {
        <a id="skip-link" class="skip-link" href="#main" {onclick}>{ "Skip to main content" }</a>
    }
}

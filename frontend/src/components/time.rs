//! `time(at)`: an instant as people read it ("5 minutes ago", "today at 14:02"), in the
//! browser's time zone, with the exact value in `datetime` and `title`.

use shared::OffsetDateTime;
use yew::prelude::*;

use crate::browser;
use crate::format::instant::{describe_past, exact, machine};

/// A plain function, not a component: it has no state, and each component type costs its own
/// copy of Yew's lifecycle code in the wasm.
pub fn time(instant: OffsetDateTime) -> Html {
    let at = browser::local(instant);
    let now = browser::local(browser::now());
    html! {
        <time datetime={machine(instant)} title={exact(at)}>{ describe_past(at, now) }</time>
    }
}

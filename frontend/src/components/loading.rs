//! The loading state: a spinner and a sentence, announced politely to screen readers.

use yew::prelude::*;

/// What the guard shows while the session check runs.
pub const CHECKING_SESSION: &str = "Checking your session…";

/// `role="status"` with a spinner and `message`; `id` for tests (the guard's is `loading`).
/// A plain function, not a component: it has no state.
pub fn loading(id: &'static str, message: &'static str) -> Html {
    html! {
        <div {id} class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span class="loading-text">{ message }</span>
        </div>
    }
}

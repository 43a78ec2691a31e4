//! The page footer: what the demo guarantees, in one line.

use yew::prelude::*;

/// The page footer (a plain function: it has no state).
pub fn footer() -> Html {
    html! {
        <footer class="footer">
            <p>
                { "Session in an HttpOnly cookie · ID, access and refresh tokens stay on the server · " }
                { "Built with Rust, Actix and Yew" }
            </p>
        </footer>
    }
}

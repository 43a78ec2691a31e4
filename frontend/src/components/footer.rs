//! The page footer: what the demo guarantees, in one line.

use yew::prelude::*;

#[component]
pub fn Footer() -> Html {
    html! {
        <footer class="footer">
            <p>
                { "Session in an HttpOnly cookie · ID, access and refresh tokens stay on the server · " }
                { "Built with Rust, Actix and Yew" }
            </p>
        </footer>
    }
}

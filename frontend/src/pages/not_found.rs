//! Any path the router does not know.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::routes::Route;

#[component]
pub fn NotFoundPage() -> Html {
    html! {
        <section id="not-found" class="card state-card">
            <p class="state-code" aria-hidden="true">{ "404" }</p>
            <h1 tabindex="-1">{ "Page not found" }</h1>
            <p class="muted">{ "There's nothing at this address." }</p>
            <Link<Route> to={Route::Home} classes="btn btn-secondary">{ "Back to home" }</Link<Route>>
        </section>
    }
}

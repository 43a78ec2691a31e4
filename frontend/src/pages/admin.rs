//! `/admin` (role `admin`): a placeholder that exercises the role guard.

use yew::prelude::*;

#[component]
pub fn AdminPage() -> Html {
    html! {
        <section id="admin" class="card state-card">
            <span class="badge badge-info">{ "admin role" }</span>
            <h1>{ "Admin" }</h1>
            <p class="muted">
                { "Administration tools are coming soon. You can see this page because your \
                   account has the admin role." }
            </p>
        </section>
    }
}

//! `/profile` (signed-in users): who the backend says you are.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::avatar::Avatar;
use crate::hooks::use_auth;
use crate::routes::Route;

/// Ids for tests: `welcome` (heading "Welcome, {name}"), `avatar`, `email`, `email-verified`,
/// `sub`, `issuer`, `roles`, `permissions`.
#[component]
pub fn ProfilePage() -> Html {
    let auth = use_auth();
    // The guard only renders this page for a signed-in user.
    let Some(user) = auth.user().cloned() else {
        return html! {};
    };

    let email = match &user.email {
        Some(email) => {
            let badge = match user.email_verified {
                Some(true) => html! {
                    <span id="email-verified" class="badge badge-success">{ "verified" }</span>
                },
                Some(false) => html! {
                    <span id="email-verified" class="badge badge-warning">{ "unverified" }</span>
                },
                None => html! {},
            };
            html! { <><span id="email">{ email.clone() }</span>{ badge }</> }
        }
        None => html! { <span id="email" class="muted">{ "No email shared" }</span> },
    };

    html! {
        <>
            <section class="card profile">
                <div class="profile-head">
                    <Avatar user={user.clone()} id="avatar" large=true decorative=true />
                    <div class="profile-title">
                        <h1 id="welcome" tabindex="-1">{ format!("Welcome, {}", user.display_name()) }</h1>
                        <p class="profile-email">{ email }</p>
                    </div>
                </div>

                <dl class="details">
                    <div class="detail">
                        <dt>{ "Name" }</dt>
                        <dd id="name">
                            { user.name.clone().map(Html::from).unwrap_or_else(|| html! { <span class="muted">{ "Not shared" }</span> }) }
                        </dd>
                    </div>
                    <div class="detail">
                        <dt>{ "Subject" }</dt>
                        <dd><code id="sub">{ user.sub.clone() }</code></dd>
                    </div>
                    <div class="detail">
                        <dt>{ "Issuer" }</dt>
                        <dd><code id="issuer">{ user.issuer.clone() }</code></dd>
                    </div>
                    <div class="detail">
                        <dt>{ "Roles" }</dt>
                        <dd id="roles">{ chips(&user.roles, "No roles") }</dd>
                    </div>
                    <div class="detail">
                        <dt>{ "Permissions" }</dt>
                        <dd id="permissions">{ chips(&user.permissions, "No permissions") }</dd>
                    </div>
                </dl>
            </section>

            <section class="card aside account-links" aria-labelledby="sessions-link-heading">
                <h2 id="sessions-link-heading">{ "Where you're signed in" }</h2>
                <p class="muted">{ "See every device and browser signed in to your account, and sign out the ones you don't use." }</p>
                <Link<Route> to={Route::Sessions} classes={classes!("btn", "btn-secondary", "sessions-link")}>
                    { "Manage your sessions" }
                </Link<Route>>
            </section>

            <section class="card aside">
                <h2>{ "Where is the token?" }</h2>
                <p class="muted">
                    { "On the server. This page got the claims above from " }
                    <code>{ "GET /api/auth/me" }</code>
                    { ", authenticated by an HttpOnly session cookie. The ID, access and refresh \
                       tokens never left the backend." }
                </p>
            </section>
        </>
    }
}

fn chips(items: &[String], empty: &'static str) -> Html {
    if items.is_empty() {
        return html! { <span class="muted">{ empty }</span> };
    }
    html! {
        <ul class="chips">
            { for items.iter().map(|item| html! { <li class="chip">{ item.clone() }</li> }) }
        </ul>
    }
}

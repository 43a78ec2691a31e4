//! `use_auth()` outside an `<AuthProvider>`: no panic, a handle whose state is unavailable (so
//! `<RequireAuth>` shows its "unavailable" view, never a login loop) with nobody signed in, and
//! `use_auth_if_provided()` that tells the two cases apart. Rendered on the host with Yew's
//! server renderer.

use ferris_login_yew::{use_auth, use_auth_if_provided, AuthState};
use yew::prelude::*;

#[component]
fn Outside() -> Html {
    let auth = use_auth();
    let provided = use_auth_if_provided().is_some();
    let state = match auth.state() {
        AuthState::Unavailable(_) => "unavailable",
        AuthState::Loading => "loading",
        AuthState::Anonymous(_) => "anonymous",
        AuthState::Authenticated(_) => "authenticated",
    };
    html! {
        <p>{ format!("state={state} provided={provided} user={}", auth.user().is_some()) }</p>
    }
}

#[tokio::test(flavor = "current_thread")]
async fn use_auth_outside_a_provider_is_unavailable_not_a_panic() {
    let html = yew::LocalServerRenderer::<Outside>::new()
        .hydratable(false)
        .render()
        .await;
    assert!(
        html.contains("state=unavailable provided=false user=false"),
        "{html}"
    );
}

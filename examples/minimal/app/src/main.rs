use ferris_login_yew::{use_auth, AuthProvider, LoginOptions, RequireAuth};
use yew::prelude::*;

#[component]
fn Profile() -> Html {
    let auth = use_auth();
    let name = auth.user().map(|user| user.display_name().to_string());
    html! { <p>{ name }{ " " }<button onclick={auth.on_logout("/")}>{ "Log out" }</button></p> }
}

#[component]
fn App() -> Html {
    let login = html! { <a href={LoginOptions::default().to_url("/api")}>{ "Log in" }</a> };
    html! { <AuthProvider><RequireAuth visitor={login}><Profile /></RequireAuth></AuthProvider> }
}

fn main() {
    yew::Renderer::<App>::new().render();
}

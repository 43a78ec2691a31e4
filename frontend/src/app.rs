//! The root component: router, auth provider, layout.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::footer::Footer;
use crate::components::nav::Nav;
use crate::components::notice::NoticeBanner;
use crate::components::AuthProvider;
use crate::routes::{switch, Route};

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// `?login_error=<code>` from the start-up URL (already removed from the address bar).
    #[prop_or_default]
    pub login_error: Option<String>,
}

#[component]
pub fn App(props: &AppProps) -> Html {
    html! {
        <BrowserRouter>
            <AuthProvider login_error={props.login_error.clone()}>
                <div class="app">
                    <Nav />
                    <main id="main" class="container">
                        <NoticeBanner />
                        <Switch<Route> render={switch} />
                    </main>
                    <Footer />
                </div>
            </AuthProvider>
        </BrowserRouter>
    }
}

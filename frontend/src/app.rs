//! The root component: router, auth provider, layout.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::StartUp;
use crate::components::expiry::ExpiryWatcher;
use crate::components::footer::footer;
use crate::components::nav::Nav;
use crate::components::notice::NoticeBanner;
use crate::components::route_focus::RouteFocus;
use crate::components::skip_link::skip_link;
use crate::components::AuthProvider;
use crate::routes::{switch, Route};

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// What the page was opened with (`?login_error=`, `?signed_out=1`, already removed from
    /// the address bar before the router started; this tab's sign-in flag).
    #[prop_or_default]
    pub start: StartUp,
}

/// The skip link first (the first thing Tab reaches), the bar, then `<main id="main">` (focused
/// by the skip link; each page's `<h1>` gets the focus after a route change).
#[component]
pub fn App(props: &AppProps) -> Html {
    html! {
        <BrowserRouter>
            <AuthProvider start={props.start.clone()}>
                <div class="app">
                    { skip_link() }
                    <Nav />
                    <RouteFocus />
                    <main id="main" class="container" tabindex="-1">
                        <ExpiryWatcher />
                        <NoticeBanner />
                        <Switch<Route> render={switch} />
                    </main>
                    { footer() }
                </div>
            </AuthProvider>
        </BrowserRouter>
    }
}

//! The SPA's routes: one enum, one `switch`.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::Requirement;
use crate::components::RequireAuth;
use crate::pages::{
    admin::AdminPage, forbidden::ForbiddenPage, home::HomePage, not_found::NotFoundPage,
    profile::ProfilePage,
};

#[derive(Clone, Debug, PartialEq, Routable)]
pub enum Route {
    /// Public landing page.
    #[at("/")]
    Home,
    /// Any signed-in user.
    #[at("/profile")]
    Profile,
    /// Signed-in users with the `admin` role.
    #[at("/admin")]
    Admin,
    #[at("/forbidden")]
    Forbidden,
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// The role `/admin` requires.
pub const ADMIN_ROLE: &str = "admin";

pub fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <HomePage /> },
        Route::Profile => html! {
            <RequireAuth requirement={Requirement::SignedIn}>
                <ProfilePage />
            </RequireAuth>
        },
        Route::Admin => html! {
            <RequireAuth requirement={Requirement::Role(ADMIN_ROLE.to_string())}>
                <AdminPage />
            </RequireAuth>
        },
        Route::Forbidden => html! { <ForbiddenPage /> },
        Route::NotFound => html! { <NotFoundPage /> },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(Route::recognize("/"), Some(Route::Home));
        assert_eq!(Route::recognize("/profile"), Some(Route::Profile));
        assert_eq!(Route::recognize("/admin"), Some(Route::Admin));
        assert_eq!(Route::recognize("/forbidden"), Some(Route::Forbidden));
        assert_eq!(Route::recognize("/nope"), Some(Route::NotFound));
        assert_eq!(Route::Profile.to_path(), "/profile");
    }
}

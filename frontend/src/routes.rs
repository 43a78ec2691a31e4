//! The SPA's routes: one enum, what each needs, its name and `<title>`, and one `switch`.

use shared::messages::permissions;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::{AnonymousReason, AuthState, Requirement};
use crate::components::Guard;
use crate::pages::{
    admin::AdminPage, forbidden::ForbiddenPage, home::HomePage, messages::MessagesPage,
    not_found::NotFoundPage, profile::ProfilePage, sessions::SessionsPage,
};

/// The product's name: the brand in the bar, the end of every `<title>`.
pub const PRODUCT_NAME: &str = "Ferris Login";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Routable)]
pub enum Route {
    /// Public landing page.
    #[at("/")]
    Home,
    /// Any signed-in user.
    #[at("/profile")]
    Profile,
    /// Any signed-in user: where they are signed in, and signing other devices out.
    #[at("/account/sessions")]
    Sessions,
    /// Signed-in users with `read:messages`.
    #[at("/messages")]
    Messages,
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

impl Route {
    /// What the page needs from the user; `None` for public pages.
    pub fn requirement(self) -> Option<Requirement> {
        match self {
            Route::Profile | Route::Sessions => Some(Requirement::SignedIn),
            Route::Messages => Some(Requirement::Permission(permissions::READ.to_string())),
            Route::Admin => Some(Requirement::Role(ADMIN_ROLE.to_string())),
            Route::Home | Route::Forbidden | Route::NotFound => None,
        }
    }

    /// A page anyone may see (where a logout may come back to).
    pub fn is_public(self) -> bool {
        self.requirement().is_none()
    }

    /// The page's name (its `<title>` and what the route change announces).
    pub fn name(self) -> &'static str {
        match self {
            Route::Home => "Home",
            Route::Profile => "Your profile",
            Route::Sessions => "Your sessions",
            Route::Messages => "Messages",
            Route::Admin => "All sessions",
            Route::Forbidden => "Access denied",
            Route::NotFound => "Page not found",
        }
    }
}

/// The name of what the page shows in `state`: the route's, unless the guard shows something
/// else in its place.
pub fn page_name(route: Route, state: &AuthState) -> &'static str {
    let Some(requirement) = route.requirement() else {
        return route.name();
    };
    match state {
        AuthState::Authenticated(user) if !requirement.is_met_by(user) => Route::Forbidden.name(),
        AuthState::Anonymous(AnonymousReason::SignedOut) => "Signed out",
        AuthState::Anonymous(AnonymousReason::Expired) => "Session expired",
        AuthState::Anonymous(AnonymousReason::SessionEnded) => "Session ended",
        AuthState::Loading
        | AuthState::Authenticated(_)
        | AuthState::Anonymous(AnonymousReason::NotSignedIn)
        | AuthState::Unavailable(_) => route.name(),
    }
}

/// `<title>`: `Your profile · Ferris Login`.
pub fn document_title(route: Route, state: &AuthState) -> String {
    format!("{} · {PRODUCT_NAME}", page_name(route, state))
}

/// Where a logout started on `route` (at `here`, its path and query) comes back to: the same
/// page if anyone may see it, else the home page.
pub fn after_logout(route: Route, here: &str) -> String {
    if route.is_public() {
        here.to_string()
    } else {
        "/".to_string()
    }
}

pub fn switch(route: Route) -> Html {
    let page = match route {
        Route::Home => html! { <HomePage /> },
        Route::Profile => html! { <ProfilePage /> },
        Route::Sessions => html! { <SessionsPage /> },
        Route::Messages => html! { <MessagesPage /> },
        Route::Admin => html! { <AdminPage /> },
        Route::Forbidden => html! { <ForbiddenPage /> },
        Route::NotFound => html! { <NotFoundPage /> },
    };
    match route.requirement() {
        Some(requirement) => html! { <Guard {requirement}>{ page }</Guard> },
        None => page,
    }
}

#[cfg(test)]
mod tests {
    use shared::User;

    use super::*;
    use crate::auth::notice::tests::user;

    const ALL: [Route; 7] = [
        Route::Home,
        Route::Profile,
        Route::Sessions,
        Route::Messages,
        Route::Admin,
        Route::Forbidden,
        Route::NotFound,
    ];

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(Route::recognize("/"), Some(Route::Home));
        assert_eq!(Route::recognize("/profile"), Some(Route::Profile));
        assert_eq!(Route::recognize("/account/sessions"), Some(Route::Sessions));
        assert_eq!(Route::recognize("/messages"), Some(Route::Messages));
        assert_eq!(Route::recognize("/admin"), Some(Route::Admin));
        assert_eq!(Route::recognize("/forbidden"), Some(Route::Forbidden));
        assert_eq!(Route::recognize("/nope"), Some(Route::NotFound));
        assert_eq!(Route::Sessions.to_path(), "/account/sessions");
    }

    #[test]
    fn every_page_has_its_own_title() {
        let state = AuthState::Authenticated(User {
            permissions: vec!["read:messages".into()],
            ..user()
        });
        let mut titles: Vec<String> = ALL.iter().map(|r| document_title(*r, &state)).collect();
        assert!(titles.iter().all(|t| t.ends_with(" · Ferris Login")));
        titles.sort();
        titles.dedup();
        assert_eq!(titles.len(), ALL.len());
        assert_eq!(
            document_title(Route::Profile, &state),
            "Your profile · Ferris Login"
        );
    }

    #[test]
    fn only_the_landing_and_error_pages_are_public() {
        let public: Vec<Route> = ALL.into_iter().filter(|r| r.is_public()).collect();
        assert_eq!(public, [Route::Home, Route::Forbidden, Route::NotFound]);
        assert_eq!(
            Route::Messages.requirement(),
            Some(Requirement::Permission("read:messages".into()))
        );
    }

    #[test]
    fn a_logout_comes_back_to_the_public_page_it_started_on() {
        assert_eq!(after_logout(Route::Home, "/?tab=2"), "/?tab=2");
        assert_eq!(after_logout(Route::NotFound, "/nope"), "/nope");
        assert_eq!(after_logout(Route::Profile, "/profile"), "/");
        assert_eq!(after_logout(Route::Messages, "/messages"), "/");
    }

    #[test]
    fn the_title_names_what_the_guard_shows_instead() {
        let reader = AuthState::Authenticated(User {
            roles: vec![],
            permissions: vec!["read:messages".into()],
            ..user()
        });
        assert_eq!(page_name(Route::Admin, &reader), "Access denied");
        assert_eq!(page_name(Route::Messages, &reader), "Messages");
        let expired = AuthState::Anonymous(AnonymousReason::Expired);
        assert_eq!(page_name(Route::Profile, &expired), "Session expired");
        assert_eq!(page_name(Route::Home, &expired), "Home");
        let out = AuthState::Anonymous(AnonymousReason::SignedOut);
        assert_eq!(page_name(Route::Sessions, &out), "Signed out");
        assert_eq!(
            page_name(Route::Profile, &AuthState::Loading),
            "Your profile"
        );
    }
}

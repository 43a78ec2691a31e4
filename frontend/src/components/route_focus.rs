//! After every route change: the new page's `<title>`, the focus on its `<h1>`, a polite
//! announcement of its name (and, back from a sign-in, "Signed in as …"), and (debounced) a look at whether the session still exists. (Not
//! on the first render: a fresh page load starts at the top, as any page does.)

use gloo_timers::callback::Timeout;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::auth::AuthState;
use crate::browser;
use crate::hooks::use_auth;
use crate::routes::{document_title, page_name, Route};

/// What the live region says after a sign-in.
pub fn signed_in_message(name: &str) -> String {
    format!("Signed in as {name}.")
}

/// Renders the live region `#route-announcer` (visually hidden, always in the page so screen
/// readers watch it from the start).
#[component]
pub fn RouteFocus() -> Html {
    let auth = use_auth();
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let path = use_location()
        .map(|l| l.path().to_string())
        .unwrap_or_default();
    let title = document_title(route, auth.state());
    let name = page_name(route, auth.state());
    let announcement = use_state(String::new);
    let first_render = use_mut_ref(|| true);
    // The route changed while the session check ran: the heading comes later.
    let heading_pending = use_mut_ref(|| false);

    use_effect_with(title, |title| browser::set_title(title));

    {
        let announcement = announcement.clone();
        let heading_pending = heading_pending.clone();
        let auth = auth.clone();
        use_effect_with(path, move |_| {
            if std::mem::replace(&mut *first_render.borrow_mut(), false) {
                return;
            }
            // Is the session still there? (A 401 signs the page out.)
            if matches!(auth.state(), AuthState::Authenticated(_)) {
                auth.recheck_after_navigation();
            }
            announcement.set(name.to_string());
            *heading_pending.borrow_mut() = true;
            // After this render reached the DOM.
            Timeout::new(0, move || {
                browser::focus_page_heading();
                *heading_pending.borrow_mut() = browser::focus_is_nowhere();
            })
            .forget();
        });
    }

    // Back from the provider signed in: say so, politely (the page itself looks the same as
    // before for a screen-reader user).
    {
        let announcement = announcement.clone();
        let signed_in_as = auth
            .just_signed_in()
            .then(|| auth.user().map(|u| u.display_name().to_string()))
            .flatten();
        use_effect_with(signed_in_as, move |who| {
            if let Some(who) = who {
                announcement.set(signed_in_message(who));
            }
        });
    }

    {
        let loading = matches!(auth.state(), AuthState::Loading);
        use_effect_with(loading, move |loading| {
            if !*loading && *heading_pending.borrow() && browser::focus_is_nowhere() {
                Timeout::new(0, browser::focus_page_heading).forget();
            }
        });
    }

    html! {
        <div id="route-announcer" class="visually-hidden" aria-live="polite" aria-atomic="true">
            { (*announcement).clone() }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_is_announced_with_the_name() {
        assert_eq!(
            signed_in_message("Alice Admin"),
            "Signed in as Alice Admin."
        );
    }
}

//! `<RequireAuth>`: renders its children only when the signed-in user meets a requirement.

use shared::User;
use yew::prelude::*;

use crate::browser;
use crate::provider::use_auth;
use crate::state::{AnonymousReason, AuthState};
use crate::urls::LoginOptions;

/// What a page needs from the user.
///
/// ```
/// use ferris_login_yew::{Requirement, User};
///
/// let admin = Requirement::Role("admin".into());
/// let user: User = serde_json::from_str(r#"{"sub":"s","issuer":"i","roles":["admin"]}"#).unwrap();
/// assert!(admin.is_met_by(&user));
/// assert!(!Requirement::Permission("read:messages".into()).is_met_by(&user));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Requirement {
    /// Any signed-in user.
    #[default]
    SignedIn,
    /// A signed-in user with this role (exact match in [`User::roles`]).
    Role(String),
    /// A signed-in user with this permission (exact match in [`User::permissions`]).
    Permission(String),
}

impl Requirement {
    /// Whether `user` meets the requirement.
    pub fn is_met_by(&self, user: &User) -> bool {
        match self {
            Requirement::SignedIn => true,
            Requirement::Role(role) => user.has_role(role),
            Requirement::Permission(permission) => user.has_permission(permission),
        }
    }
}

/// The guard's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GuardDecision {
    /// The session check is in flight: show a loading state, decide later.
    ShowLoading,
    /// Show the protected content.
    Render,
    /// A visitor without a session: navigate the whole page to this login URL.
    RedirectToLogin(String),
    /// The session ended (or the user signed out) while this page was open: say so and offer
    /// this login URL instead of leaving the page by surprise.
    OfferLogin(AnonymousReason, String),
    /// Signed in, but without the role or permission.
    Forbidden,
    /// The session check failed: nothing to decide on.
    Unavailable,
}

/// Decides what a page with `requirement` shows in `state`; `return_to` is the current path and
/// query, where a login should bring the user back to.
pub(crate) fn guard_decision(
    state: &AuthState,
    requirement: &Requirement,
    return_to: &str,
    api_prefix: &str,
) -> GuardDecision {
    let login_url = || LoginOptions::return_to(return_to).to_url(api_prefix);
    match state {
        AuthState::Loading => GuardDecision::ShowLoading,
        AuthState::Anonymous(AnonymousReason::NotSignedIn) => {
            GuardDecision::RedirectToLogin(login_url())
        }
        AuthState::Anonymous(
            reason @ (AnonymousReason::SessionEnded
            | AnonymousReason::SignedOut
            | AnonymousReason::Expired),
        ) => GuardDecision::OfferLogin(*reason, login_url()),
        AuthState::Authenticated(user) if requirement.is_met_by(user) => GuardDecision::Render,
        AuthState::Authenticated(_) => GuardDecision::Forbidden,
        AuthState::Unavailable(_) => GuardDecision::Unavailable,
    }
}

/// What `<RequireAuth>`'s `signed_out` view is given: why nobody is signed in any more, and
/// the URL of a sign-in that comes back to this page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedOut {
    /// [`AnonymousReason::SessionEnded`], [`AnonymousReason::SignedOut`] or
    /// [`AnonymousReason::Expired`].
    pub reason: AnonymousReason,
    /// `{prefix}/auth/login?returnTo=<this page>`.
    pub login_url: String,
}

/// The properties of [`RequireAuth`]. Every view defaults to nothing.
#[derive(Properties, PartialEq)]
pub struct RequireAuthProps {
    /// What the children need (default: any signed-in user).
    #[prop_or_default]
    pub requirement: Requirement,
    /// Shown while the session check runs.
    #[prop_or_default]
    pub loading: Html,
    /// Shown while the page leaves for the sign-in (a visitor without a session); default:
    /// `loading`.
    #[prop_or_default]
    pub redirecting: Option<Html>,
    /// Shown to a visitor without a session *instead* of sending them to the sign-in (e.g. a
    /// "Log in" link), and in place of `signed_out` when that is not given.
    #[prop_or_default]
    pub visitor: Option<Html>,
    /// Shown to a signed-in user who does not meet the requirement.
    #[prop_or_default]
    pub forbidden: Html,
    /// Shown when the session ended, expired or was signed out while the page was open (no
    /// surprise navigation: offer [`SignedOut::login_url`]).
    #[prop_or_default]
    pub signed_out: Option<Callback<SignedOut, Html>>,
    /// Shown when the session check failed (offer
    /// [`AuthHandle::recheck`](crate::AuthHandle::recheck)).
    #[prop_or_default]
    pub unavailable: Html,
    /// The protected content.
    #[prop_or_default]
    pub children: Html,
}

/// Renders `children` only when the signed-in user meets `requirement`.
///
/// While the session check runs it shows `loading`; a visitor without a session is sent to
/// the sign-in at once (a full-page navigation that comes back to the current path and query),
/// or shown `visitor` when given;
/// a session that ended while the page was open shows `signed_out`; a user without the role
/// or permission sees `forbidden`; a failed check shows `unavailable`.
///
/// ```
/// use ferris_login_yew::{RequireAuth, Requirement};
/// use yew::prelude::*;
///
/// #[component]
/// fn Admin() -> Html {
///     html! {
///         <RequireAuth requirement={Requirement::Role("admin".into())}
///             loading={html! { <p>{ "Loading…" }</p> }}
///             forbidden={html! { <p>{ "Admins only." }</p> }}>
///             <h1>{ "Admin" }</h1>
///         </RequireAuth>
///     }
/// }
/// ```
#[component]
pub fn RequireAuth(props: &RequireAuthProps) -> Html {
    let auth = use_auth();
    let decision = guard_decision(
        auth.state(),
        &props.requirement,
        &browser::current_path(),
        auth.api_prefix(),
    );

    let redirect = props.visitor.is_none();
    use_effect_with(decision.clone(), move |decision| {
        if let (GuardDecision::RedirectToLogin(url), true) = (decision, redirect) {
            browser::start_login(url);
        }
    });

    match (decision, &props.visitor) {
        (GuardDecision::ShowLoading, _) => props.loading.clone(),
        (GuardDecision::Render, _) => props.children.clone(),
        (GuardDecision::RedirectToLogin(_), Some(visitor)) => visitor.clone(),
        (GuardDecision::RedirectToLogin(_), None) => props
            .redirecting
            .clone()
            .unwrap_or_else(|| props.loading.clone()),
        (GuardDecision::OfferLogin(reason, login_url), visitor) => match &props.signed_out {
            Some(view) => view.emit(SignedOut { reason, login_url }),
            None => visitor.clone().unwrap_or_default(),
        },
        (GuardDecision::Forbidden, _) => props.forbidden.clone(),
        (GuardDecision::Unavailable, _) => props.unavailable.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::state::tests::user;

    fn guard_decision(state: &AuthState, requirement: &Requirement, here: &str) -> GuardDecision {
        super::guard_decision(state, requirement, here, "/api")
    }

    fn signed_in() -> AuthState {
        AuthState::Authenticated(user())
    }

    fn plain_user() -> AuthState {
        AuthState::Authenticated(User {
            roles: vec![],
            permissions: vec![],
            ..user()
        })
    }

    #[test]
    fn loading_shows_loading_for_every_requirement() {
        for req in [
            Requirement::SignedIn,
            Requirement::Role("admin".into()),
            Requirement::Permission("read:reports".into()),
        ] {
            assert_eq!(
                guard_decision(&AuthState::Loading, &req, "/profile"),
                GuardDecision::ShowLoading
            );
        }
    }

    #[test]
    fn visitor_is_sent_to_login_with_the_requested_path() {
        assert_eq!(
            guard_decision(
                &AuthState::Anonymous(AnonymousReason::NotSignedIn),
                &Requirement::SignedIn,
                "/profile?tab=roles"
            ),
            GuardDecision::RedirectToLogin(
                "/api/auth/login?returnTo=%2Fprofile%3Ftab%3Droles".into()
            )
        );
        assert_eq!(
            guard_decision(
                &AuthState::Anonymous(AnonymousReason::NotSignedIn),
                &Requirement::Role("admin".into()),
                "/admin"
            ),
            GuardDecision::RedirectToLogin("/api/auth/login?returnTo=%2Fadmin".into())
        );
    }

    #[test]
    fn visitor_redirect_never_carries_a_foreign_return_path() {
        assert_eq!(
            guard_decision(
                &AuthState::Anonymous(AnonymousReason::NotSignedIn),
                &Requirement::SignedIn,
                "//evil.com"
            ),
            GuardDecision::RedirectToLogin("/api/auth/login?returnTo=%2F".into())
        );
    }

    #[test]
    fn ended_session_offers_login_instead_of_leaving() {
        for reason in [
            AnonymousReason::SessionEnded,
            AnonymousReason::SignedOut,
            AnonymousReason::Expired,
        ] {
            assert_eq!(
                guard_decision(
                    &AuthState::Anonymous(reason),
                    &Requirement::SignedIn,
                    "/profile"
                ),
                GuardDecision::OfferLogin(reason, "/api/auth/login?returnTo=%2Fprofile".into())
            );
        }
    }

    #[test]
    fn signed_in_user_sees_signed_in_pages() {
        assert_eq!(
            guard_decision(&plain_user(), &Requirement::SignedIn, "/profile"),
            GuardDecision::Render
        );
    }

    #[test]
    fn roles_and_permissions_are_checked_exactly() {
        let admin = signed_in();
        assert_eq!(
            guard_decision(&admin, &Requirement::Role("admin".into()), "/admin"),
            GuardDecision::Render
        );
        assert_eq!(
            guard_decision(&admin, &Requirement::Permission("read:reports".into()), "/"),
            GuardDecision::Render
        );
        for req in [
            Requirement::Role("Admin".into()),
            Requirement::Role("adm".into()),
            Requirement::Role("read:reports".into()),
            Requirement::Permission("admin".into()),
            Requirement::Permission("write:reports".into()),
        ] {
            assert_eq!(
                guard_decision(&admin, &req, "/admin"),
                GuardDecision::Forbidden,
                "{req:?}"
            );
        }
    }

    #[test]
    fn signed_in_user_without_the_role_is_forbidden_not_redirected() {
        assert_eq!(
            guard_decision(&plain_user(), &Requirement::Role("admin".into()), "/admin"),
            GuardDecision::Forbidden
        );
        assert_eq!(
            guard_decision(
                &plain_user(),
                &Requirement::Permission("read:reports".into()),
                "/admin"
            ),
            GuardDecision::Forbidden
        );
    }

    #[test]
    fn failed_check_neither_renders_nor_redirects() {
        let state = AuthState::Unavailable(ApiError::Network("offline".into()));
        assert_eq!(
            guard_decision(&state, &Requirement::SignedIn, "/profile"),
            GuardDecision::Unavailable
        );
    }

    #[test]
    fn default_requirement_is_signed_in() {
        assert_eq!(Requirement::default(), Requirement::SignedIn);
    }
}

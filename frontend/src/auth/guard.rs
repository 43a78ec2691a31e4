//! What a protected page shows for a given auth state: the pure half of `<RequireAuth>`.

use shared::User;

use super::state::{AnonymousReason, AuthState};
use super::urls::login_url;

/// What a page needs from the user.
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
pub enum GuardDecision {
    /// The session check is in flight: show a loading state, decide later.
    ShowLoading,
    /// Show the protected content.
    Render,
    /// A visitor without a session: navigate the whole page to this login URL.
    RedirectToLogin(String),
    /// The session ended (or the user signed out) while this page was open: say so and offer
    /// this login URL instead of leaving the page by surprise.
    OfferLogin(String),
    /// Signed in, but without the role or permission.
    Forbidden,
    /// The session check failed: nothing to decide on; show the failure with a retry.
    Unavailable,
}

/// Decides what a page with `requirement` shows in `state`; `return_to` is the current path and
/// query, where a login should bring the user back to.
pub fn guard_decision(
    state: &AuthState,
    requirement: &Requirement,
    return_to: &str,
) -> GuardDecision {
    match state {
        AuthState::Loading => GuardDecision::ShowLoading,
        AuthState::Anonymous(AnonymousReason::NotSignedIn) => {
            GuardDecision::RedirectToLogin(login_url(return_to))
        }
        AuthState::Anonymous(
            AnonymousReason::SessionEnded | AnonymousReason::SignedOut | AnonymousReason::Expired,
        ) => GuardDecision::OfferLogin(login_url(return_to)),
        AuthState::Authenticated(user) if requirement.is_met_by(user) => GuardDecision::Render,
        AuthState::Authenticated(_) => GuardDecision::Forbidden,
        AuthState::Unavailable(_) => GuardDecision::Unavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::state::tests::user;
    use crate::services::error::ApiError;

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
                GuardDecision::OfferLogin("/api/auth/login?returnTo=%2Fprofile".into())
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

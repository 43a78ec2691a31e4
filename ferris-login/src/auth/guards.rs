//! Authorization in the handler's signature: `RequireRole<Admin>` or
//! `RequirePermission<ReadMessages>` reach the handler only for a signed-in user who has
//! it; otherwise 401 JSON (signed out) or 403 JSON `forbidden` (signed in, not allowed).
//! Never a redirect: these guard API calls.

use std::marker::PhantomData;

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::{error::ApiError, session::CurrentSession};

/// A role a route can require (the value of the configured roles claim).
pub trait Role {
    /// The role as the provider names it.
    const NAME: &'static str;
}

/// A permission a route can require (Auth0 RBAC `permissions`).
pub trait Permission {
    /// The permission as the provider names it (`read:messages`).
    const NAME: &'static str;
}

/// The `admin` role.
pub struct Admin;
impl Role for Admin {
    const NAME: &'static str = "admin";
}

/// What a route needs of the signed-in user.
pub trait Requirement {
    /// Named in the 403 (and the log), never the user's data.
    const NAME: &'static str;
    /// Whether `user` meets it.
    fn met_by(user: &shared::User) -> bool;
}

/// The user has role `R`.
pub struct HasRole<R>(PhantomData<R>);
impl<R: Role> Requirement for HasRole<R> {
    const NAME: &'static str = R::NAME;
    fn met_by(user: &shared::User) -> bool {
        user.has_role(R::NAME)
    }
}

/// The user has permission `P`.
pub struct HasPermission<P>(PhantomData<P>);
impl<P: Permission> Requirement for HasPermission<P> {
    const NAME: &'static str = P::NAME;
    fn met_by(user: &shared::User) -> bool {
        user.has_permission(P::NAME)
    }
}

/// A signed-in user meeting `R`: 401 when signed out, 403 `forbidden` otherwise.
pub struct Require<R: Requirement>(CurrentSession, PhantomData<R>);

/// A signed-in user with role `R`.
pub type RequireRole<R> = Require<HasRole<R>>;
/// A signed-in user with permission `P`.
///
/// ```
/// use ferris_login::{Permission, RequirePermission};
///
/// struct ReadReports;
/// impl Permission for ReadReports {
///     const NAME: &'static str = "read:reports";
/// }
///
/// async fn reports(reader: RequirePermission<ReadReports>) -> String {
///     format!("reports for {}", reader.session().user().display_name())
/// }
/// ```
pub type RequirePermission<P> = Require<HasPermission<P>>;

impl<R: Requirement> Require<R> {
    /// The session that met the requirement.
    pub fn session(&self) -> &CurrentSession {
        &self.0
    }
}

impl<R: Requirement> FromRequest for Require<R> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = CurrentSession::from_request(req, payload);
        Box::pin(async move {
            let session = session.await?;
            if R::met_by(session.user()) {
                Ok(Require(session, PhantomData))
            } else {
                Err(ApiError::Forbidden(R::NAME))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct ReadMessages;
    impl Permission for ReadMessages {
        const NAME: &'static str = "read:messages";
    }

    fn user(roles: &[&str], permissions: &[&str]) -> shared::User {
        shared::User {
            sub: "s".into(),
            issuer: "i".into(),
            name: None,
            email: None,
            email_verified: None,
            picture: None,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
            extra: Default::default(),
        }
    }

    #[test]
    fn roles_and_permissions_are_matched_exactly() {
        assert!(HasRole::<Admin>::met_by(&user(&["admin"], &[])));
        assert!(!HasRole::<Admin>::met_by(&user(
            &["administrator", "Admin"],
            &["admin"]
        )));
        assert!(HasPermission::<ReadMessages>::met_by(&user(
            &[],
            &["read:messages"]
        )));
        assert!(!HasPermission::<ReadMessages>::met_by(&user(
            &["read:messages"],
            &["read"]
        )));
    }
}

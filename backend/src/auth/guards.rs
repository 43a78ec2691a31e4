//! Authorization in the handler's signature: `RequireRole<Admin>` or
//! `RequirePermission<ReadMessages>` reach the handler only for a signed-in user who has
//! it; otherwise 401 JSON (signed out) or 403 JSON `forbidden` (signed in, not allowed).
//! Never a redirect: these guard API calls.

use std::{
    future::{ready, Ready},
    marker::PhantomData,
};

use actix_web::{dev::Payload, FromRequest, HttpRequest};

use super::current_user::CurrentUser;
use crate::{error::ApiError, session::AuthSession};

/// A role a route can require (the value of the configured roles claim).
pub trait Role {
    const NAME: &'static str;
}

/// A permission a route can require (Auth0 RBAC `permissions`).
pub trait Permission {
    const NAME: &'static str;
}

/// The `admin` role.
pub struct Admin;
impl Role for Admin {
    const NAME: &'static str = "admin";
}

pub struct RequireRole<R: Role>(AuthSession, PhantomData<R>);

impl<R: Role> RequireRole<R> {
    pub fn session(&self) -> &AuthSession {
        &self.0
    }
}

impl<R: Role> FromRequest for RequireRole<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(
            CurrentUser::from_request(req, payload)
                .into_inner()
                .and_then(|CurrentUser(auth)| {
                    if auth.user.roles.iter().any(|r| r == R::NAME) {
                        Ok(RequireRole(auth, PhantomData))
                    } else {
                        Err(ApiError::Forbidden(R::NAME))
                    }
                }),
        )
    }
}

pub struct RequirePermission<P: Permission>(AuthSession, PhantomData<P>);

impl<P: Permission> RequirePermission<P> {
    pub fn session(&self) -> &AuthSession {
        &self.0
    }
}

impl<P: Permission> FromRequest for RequirePermission<P> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(
            CurrentUser::from_request(req, payload)
                .into_inner()
                .and_then(|CurrentUser(auth)| {
                    if auth.user.permissions.iter().any(|p| p == P::NAME) {
                        Ok(RequirePermission(auth, PhantomData))
                    } else {
                        Err(ApiError::Forbidden(P::NAME))
                    }
                }),
        )
    }
}

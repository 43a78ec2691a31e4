//! `CurrentUser`: a handler that takes one is only reached by a signed-in browser (401 JSON
//! otherwise).

use std::future::{ready, Ready};

use actix_session::SessionExt;
use actix_web::{dev::Payload, FromRequest, HttpRequest};

use crate::{
    error::ApiError,
    session::{AuthSession, TypedSession},
};

pub struct CurrentUser(pub AuthSession);

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let session = TypedSession::new(req.get_session());
        ready(
            session
                .auth()
                .and_then(|auth| auth.map(CurrentUser).ok_or(ApiError::Unauthenticated)),
        )
    }
}

//! `GET /api/auth/me`: the signed-in user's chosen claims; never a token.
//!
//! `CurrentSession` does the work: a cache hit costs no database round trip; with
//! `AUTH0_REFRESH_TOKENS` on, a due access token is refreshed first, so a session whose
//! refresh token the provider refuses ends here (401) and the SPA never shows a session that
//! looks alive with dead tokens. A provider outage does not end it.
//!
//! A visitor gets 401 JSON `unauthenticated`, as every API route answers one. With
//! `?visitor=204` (what the SPA's own "who is signed in?" checks send) a visitor gets
//! `204 No Content` instead: being signed out is an answer there, not a failure, and the
//! browser's console stays free of a red 401 on every signed-out page.

use actix_web::{HttpRequest, HttpResponse};

use crate::{error::ApiError, session::CurrentSession};

pub async fn me(
    req: HttpRequest,
    session: Result<CurrentSession, ApiError>,
) -> Result<HttpResponse, ApiError> {
    match session {
        // Serialised straight from the (shared, cached) session: no copy of the user.
        Ok(session) => Ok(HttpResponse::Ok().json(session.user())),
        Err(ApiError::Unauthenticated) if asks_no_content_for_visitors(&req) => {
            Ok(HttpResponse::NoContent().finish())
        }
        Err(err) => Err(err),
    }
}

fn asks_no_content_for_visitors(req: &HttpRequest) -> bool {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(name, value)| name == shared::ME_VISITOR_PARAM.0 && value == shared::ME_VISITOR_PARAM.1)
}

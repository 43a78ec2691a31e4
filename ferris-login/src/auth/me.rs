//! `GET /api/auth/me`: the signed-in user's chosen claims; never a token.
//!
//! `CurrentSession` does the work: a cache hit costs no database round trip; with
//! `AUTH0_REFRESH_TOKENS` on, a due access token is refreshed first, so a session whose
//! refresh token the provider refuses ends here (401) and the SPA never shows a session that
//! looks alive with dead tokens. A provider outage does not end it.

use actix_web::HttpResponse;

use crate::session::CurrentSession;

pub async fn me(session: CurrentSession) -> HttpResponse {
    // Serialised straight from the (shared, cached) session: no copy of the user.
    HttpResponse::Ok().json(session.user())
}

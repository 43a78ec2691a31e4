//! `/api/admin/*` (role `admin`): every live session, and revoking all sessions of a user
//! (effective on that user's next request, on every replica: the rows are gone and every
//! cache hears of it).

use actix_web::web;
use uuid::Uuid;

use crate::{
    auth::guards::{Admin, RequireRole},
    error::ApiError,
    session::Sessions,
};

/// At most this many sessions are listed.
const MAX_LISTED: usize = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("/sessions", web::get().to(list_sessions))
            .route(
                "/users/{user_id}/revoke-sessions",
                web::post().to(revoke_user_sessions),
            ),
    );
}

async fn list_sessions(
    admin: RequireRole<Admin>,
    sessions: web::Data<Sessions>,
) -> Result<web::Json<Vec<shared::SessionInfo>>, ApiError> {
    let current = admin.session().id();
    let listed = sessions.list_live(MAX_LISTED).await?;
    Ok(web::Json(
        listed
            .into_iter()
            .map(|s| shared::SessionInfo {
                id: s.id.as_uuid(),
                user_id: s.user_id,
                sub: s.user.sub,
                issuer: s.user.issuer,
                name: s.user.name,
                email: s.user.email,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                user_agent: s.user_agent,
                current: s.id == current,
            })
            .collect(),
    ))
}

async fn revoke_user_sessions(
    admin: RequireRole<Admin>,
    path: web::Path<String>,
    sessions: web::Data<Sessions>,
) -> Result<web::Json<shared::RevokeResult>, ApiError> {
    let user_id: Uuid = path
        .parse()
        .map_err(|_| ApiError::BadRequest("user id is not a UUID"))?;
    let revoked = sessions.end_all_for_user(user_id, None).await?;
    tracing::info!(
        admin_session = %admin.session().id(),
        %user_id,
        revoked,
        "sessions revoked"
    );
    Ok(web::Json(shared::RevokeResult { revoked }))
}

//! `/api/admin/*` (role `admin`): every live session, and revoking all sessions of a user
//! (effective on that user's next request everywhere: the rows are gone).

use actix_web::{web, HttpRequest};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use uuid::Uuid;

use crate::{
    auth::guards::{Admin, RequireRole},
    crypto::sha256,
    error::ApiError,
    session::cookie_guard::SessionCookieKeys,
    state::AppState,
};

/// At most this many sessions are listed.
const MAX_LISTED: i64 = 1000;

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

type SessionRow = (
    Vec<u8>,
    Uuid,
    String,
    String,
    Option<String>,
    Option<String>,
    OffsetDateTime,
    OffsetDateTime,
    Option<String>,
);

async fn list_sessions(
    _admin: RequireRole<Admin>,
    req: HttpRequest,
    state: web::Data<AppState>,
    keys: web::Data<SessionCookieKeys>,
) -> Result<web::Json<Vec<shared::SessionInfo>>, ApiError> {
    let now = state.clock.now();
    let current = keys
        .session_key(&req)
        .map(|key| sha256(key.as_bytes()).to_vec());
    let rows: Vec<SessionRow> = sqlx::query_as(
        "SELECT s.id_hash, u.id, u.subject, u.issuer, u.name, u.email, \
                s.created_at, s.last_seen_at, s.user_agent \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.idle_expires_at > $1 AND s.absolute_expires_at > $1 \
         ORDER BY u.name NULLS LAST, u.subject, s.created_at DESC \
         LIMIT $2",
    )
    .bind(now)
    .bind(MAX_LISTED)
    .fetch_all(&state.pool)
    .await?;
    let rfc3339 = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    Ok(web::Json(
        rows.into_iter()
            .map(
                |(hash, user_id, sub, issuer, name, email, created, seen, agent)| {
                    shared::SessionInfo {
                        user_id: user_id.to_string(),
                        sub,
                        issuer,
                        name,
                        email,
                        created_at: rfc3339(created),
                        last_seen_at: rfc3339(seen),
                        user_agent: agent,
                        current: current.as_deref() == Some(hash.as_slice()),
                    }
                },
            )
            .collect(),
    ))
}

async fn revoke_user_sessions(
    admin: RequireRole<Admin>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<shared::RevokeResult>, ApiError> {
    let user_id: Uuid = path
        .parse()
        .map_err(|_| ApiError::BadRequest("user id is not a UUID"))?;
    let revoked = state.store.delete_for_user(user_id).await?;
    tracing::info!(admin = %admin.session().user_id, %user_id, revoked, "sessions revoked");
    Ok(web::Json(shared::RevokeResult { revoked }))
}

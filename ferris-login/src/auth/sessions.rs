//! A person's own sessions: `GET /api/auth/sessions` lists them (by public id, with a readable
//! device and a coarse network), `DELETE /api/auth/sessions/{id}` ends one (404 for anyone
//! else's), `DELETE /api/auth/sessions?others=true` ends all but this one. `GET
//! /api/auth/session` tells this session's deadlines without extending anything; `POST
//! /api/auth/session/extend` slides the idle deadline (never past the absolute one).

use actix_web::{web, HttpRequest};

use crate::{
    client,
    error::ApiError,
    session::{CurrentSession, PeekSession, SessionCookie, SessionId, SessionView, Sessions},
    state::AppState,
};

pub async fn list(
    session: CurrentSession,
    sessions: web::Data<Sessions>,
) -> Result<web::Json<Vec<shared::MySession>>, ApiError> {
    let current = session.id();
    let mine = sessions.list_for_user(session.user_id()).await?;
    Ok(web::Json(
        mine.into_iter()
            .map(|s| shared::MySession {
                id: s.id.as_uuid(),
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                device: client::device_of(s.user_agent.as_deref()),
                network: s.client_network,
                current: s.id == current,
            })
            .collect(),
    ))
}

pub async fn end_one(
    session: CurrentSession,
    path: web::Path<String>,
    sessions: web::Data<Sessions>,
    cookie: SessionCookie,
) -> Result<web::Json<shared::RevokeResult>, ApiError> {
    // Not a UUID: not one of yours either.
    let id: SessionId = path.parse().map_err(|_| ApiError::NotFound)?;
    if !sessions.end_own(session.user_id(), id).await? {
        return Err(ApiError::NotFound);
    }
    if id == session.id() {
        cookie.end();
    }
    tracing::info!(ended = %id, "session ended by its owner");
    Ok(web::Json(shared::RevokeResult { revoked: 1 }))
}

pub async fn end_others(
    session: CurrentSession,
    req: HttpRequest,
    sessions: web::Data<Sessions>,
) -> Result<web::Json<shared::RevokeResult>, ApiError> {
    if super::login::first_param(req.query_string(), "others").as_deref() != Some("true") {
        return Err(ApiError::BadRequest(
            "say which sessions to end: ?others=true, or /api/auth/sessions/{id}",
        ));
    }
    let revoked = sessions
        .end_all_for_user(session.user_id(), Some(session.id()))
        .await?;
    tracing::info!(revoked, "other sessions ended by their owner");
    Ok(web::Json(shared::RevokeResult { revoked }))
}

pub async fn status(
    PeekSession(view): PeekSession,
    state: web::Data<AppState>,
) -> Result<web::Json<shared::SessionStatus>, ApiError> {
    // The database's deadlines, not this replica's cached copy (another one may have slid
    // them); reading them slides nothing.
    let live = state
        .sessions
        .live(view.id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(web::Json(status_of(&live, &state)))
}

pub async fn extend(
    PeekSession(view): PeekSession,
    state: web::Data<AppState>,
) -> Result<web::Json<shared::SessionStatus>, ApiError> {
    let extended = state
        .sessions
        .extend(view.id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok(web::Json(status_of(&extended, &state)))
}

fn status_of(view: &SessionView, state: &AppState) -> shared::SessionStatus {
    shared::SessionStatus {
        id: view.id.as_uuid(),
        idle_expires_at: view.idle_expires_at,
        absolute_expires_at: view.absolute_expires_at,
        access_token_expires_at: view.access_expires_at,
        now: state.clock.now(),
    }
}

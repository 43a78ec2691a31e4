//! What handlers take: [`CurrentSession`] ("who is calling", 401 otherwise),
//! [`OptionalSession`] (for routes that also serve visitors), and [`SessionCookie`] to begin or
//! end the browser's session. No handler sees the cookie, its hash or actix-session's state.

use std::{
    future::{ready, Ready},
    sync::Arc,
};

use actix_session::{Session, SessionExt};
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use tracing_actix_web::RootSpan;
use uuid::Uuid;

use super::{
    cache::{hash_from_hex, CachedSession},
    model::{SessionId, SessionView},
    refresh::Refresher,
    sessions::{CreatedSession, Sessions},
    store::{CREATED, LIVE, LIVE_CACHED, UNAVAILABLE},
};
use crate::error::ApiError;

/// The signed-in session making this request: 401 JSON `unauthenticated` without one, 503
/// `store_unavailable` when the database cannot tell. Taking it slides the idle deadline (at
/// most once a minute) and, with refresh on, refreshes a due access token first.
#[derive(Debug, Clone)]
pub struct CurrentSession(CachedSession);

impl CurrentSession {
    /// The session's public id.
    pub fn id(&self) -> SessionId {
        self.0.id
    }

    /// The user's id in this app.
    pub fn user_id(&self) -> Uuid {
        self.0.user_id
    }

    /// The signed-in user (with the app's custom claims in `extra`).
    pub fn user(&self) -> &shared::User {
        &self.0.user
    }

    /// The user's roles.
    pub fn roles(&self) -> &[String] {
        &self.0.user.roles
    }

    /// The user's permissions.
    pub fn permissions(&self) -> &[String] {
        &self.0.user.permissions
    }

    /// The user, owned.
    pub fn into_user(self) -> shared::User {
        Arc::unwrap_or_clone(self.0).user
    }
}

fn sessions(req: &HttpRequest) -> Result<web::Data<Sessions>, ApiError> {
    req.app_data::<web::Data<Sessions>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("Sessions not registered")))
}

/// The session actix-session loaded for this request, as this module's store put it there:
/// from this replica's cache (no parsing), else from the view it carried.
async fn loaded(req: &HttpRequest) -> Result<Option<CachedSession>, ApiError> {
    let session = req.get_session();
    if session.contains_key(UNAVAILABLE) {
        return Err(ApiError::StoreUnavailable);
    }
    let view = if let Some(hash) = session
        .get::<String>(LIVE_CACHED)
        .ok()
        .flatten()
        .and_then(|hex| hash_from_hex(&hex))
    {
        // Dropped from the cache since the store found it (changed or ended meanwhile): the
        // database says which.
        sessions(req)?.by_hash(&hash).await?.map(|(view, _)| view)
    } else {
        // A state that no longer parses (written by another version) counts as signed out.
        session
            .get::<SessionView>(LIVE)
            .unwrap_or(None)
            .map(Arc::new)
    };
    if let Some(view) = &view {
        if let Some(span) = req.extensions().get::<RootSpan>() {
            span.record("session_id", tracing::field::display(view.id));
        }
    }
    Ok(view)
}

impl FromRequest for CurrentSession {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let view = loaded(&req).await?.ok_or(ApiError::Unauthenticated)?;
            let view = match sessions(&req)?.touch_if_due(view.clone()).await {
                Ok(Some(view)) => view,
                Ok(None) => return Err(ended(&req)),
                Err(e) => {
                    // The session is valid; only its idle deadline did not move this time.
                    tracing::warn!(error = %e, "the idle deadline could not slide");
                    view
                }
            };
            let view = match req.app_data::<web::Data<Refresher>>() {
                Some(refresher) => refresher
                    .clone()
                    .into_inner()
                    .keep_fresh(view)
                    .await
                    .ok_or_else(|| ended(&req))?,
                None => view,
            };
            Ok(CurrentSession(view))
        })
    }
}

/// The session ended under this request: clear the browser's cookie on the way out.
fn ended(req: &HttpRequest) -> ApiError {
    req.get_session().purge();
    ApiError::Unauthenticated
}

/// The signed-in session, without sliding or refreshing it (401 without one, 503 when the
/// database cannot tell): for reading its status.
#[derive(Debug, Clone)]
pub struct PeekSession(pub CachedSession);

impl FromRequest for PeekSession {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            loaded(&req)
                .await?
                .map(PeekSession)
                .ok_or(ApiError::Unauthenticated)
        })
    }
}

/// The caller's session if there is one, without sliding or refreshing it; 503 when the
/// database cannot tell (so a logout is never faked).
#[derive(Debug, Clone)]
pub struct OptionalSession(pub(crate) Option<CachedSession>);

impl OptionalSession {
    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&shared::User> {
        self.0.as_ref().map(|view| &view.user)
    }

    /// The session's public id, if signed in.
    pub fn id(&self) -> Option<SessionId> {
        self.0.as_ref().map(|view| view.id)
    }
}

impl FromRequest for OptionalSession {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { loaded(&req).await.map(OptionalSession) })
    }
}

/// The browser's session cookie: begin a session a login created, or end one.
pub struct SessionCookie(Session);

impl SessionCookie {
    /// Gives the browser the session `Sessions::create` made: a brand-new id in the cookie (any
    /// previous one is replaced).
    pub fn begin(&self, created: CreatedSession) -> Result<(), ApiError> {
        self.0.clear();
        self.0
            .insert(CREATED, created.key)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("session cookie: {e}")))?;
        self.0.renew();
        Ok(())
    }

    /// Clears the cookie (and ends what it names, if anything is left of it).
    pub fn end(&self) {
        self.0.purge();
    }
}

impl FromRequest for SessionCookie {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(Ok(SessionCookie(req.get_session())))
    }
}

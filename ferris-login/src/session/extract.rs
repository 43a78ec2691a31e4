//! What handlers take: [`CurrentSession`] ("who is calling", 401 otherwise),
//! [`OptionalSession`] (for routes that also serve visitors), and [`SessionCookie`] to begin or
//! end the browser's session. No handler sees the cookie, its hash or actix-session's state.

use std::{
    future::{ready, Ready},
    sync::Arc,
};

use actix_session::{Session, SessionExt};
use actix_web::{
    body::BoxBody, dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest,
    HttpResponse, Responder,
};
use futures_util::future::LocalBoxFuture;
use serde::{de::DeserializeOwned, Serialize};
use time::OffsetDateTime;
use tracing_actix_web::RootSpan;
use uuid::Uuid;

use super::{
    cache::{hash_from_hex, CachedSession},
    model::SessionId,
    refresh::Refresher,
    sessions::{CreatedSession, Sessions},
    actix_store::{app_data_of, AppDataError, Envelope, RESERVED_KEY},
};
use crate::{
    auth::{logout::Next, return_to::ReturnTo},
    error::ApiError,
    state::AppState,
};

/// The signed-in session making this request: 401 JSON `unauthenticated` without one, 503
/// `store_unavailable` when the database cannot tell. Taking it slides the idle deadline (at
/// most once a minute) and, with refresh on, refreshes a due access token first.
///
/// Beyond who is calling, it is the handler's way to the session:
/// - [`access_token`](Self::access_token): the user's access token, for calling an API;
/// - [`get`](Self::get) / [`insert`](Self::insert) / [`remove`](Self::remove): the app's own
///   data kept with the session (actix-session's `Session` reads and writes the same);
/// - [`logout`](Self::logout): end the session, and where the browser goes next.
#[derive(Clone)]
pub struct CurrentSession {
    view: CachedSession,
    session: Session,
    state: web::Data<AppState>,
}

impl std::fmt::Debug for CurrentSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentSession")
            .field("view", &self.view)
            .finish_non_exhaustive()
    }
}

impl CurrentSession {
    /// The session's public id.
    pub fn id(&self) -> SessionId {
        self.view.id
    }

    /// The user's id in this app.
    pub fn user_id(&self) -> Uuid {
        self.view.user_id
    }

    /// The signed-in user (with the app's custom claims in `extra`).
    pub fn user(&self) -> &shared::User {
        &self.view.user
    }

    /// The user's roles.
    pub fn roles(&self) -> &[String] {
        &self.view.user.roles
    }

    /// The user's permissions.
    pub fn permissions(&self) -> &[String] {
        &self.view.user.permissions
    }

    /// The user, owned.
    pub fn into_user(self) -> shared::User {
        Arc::unwrap_or_clone(self.view).user
    }

    /// When the idle and absolute deadlines fall, as of this request.
    pub fn expires_at(&self) -> (OffsetDateTime, OffsetDateTime) {
        (self.view.idle_expires_at, self.view.absolute_expires_at)
    }

    /// The user's access token for calling an API on their behalf (the one
    /// `AUTH0_AUDIENCE` names), fresh: with refresh on, a token due to expire was refreshed
    /// before this handler ran (through the same lease and back-off as every refresh). `None`
    /// when the session keeps no token (the provider gave none, or it was too large to keep).
    pub async fn access_token(&self) -> Result<Option<AccessToken>, ApiError> {
        let kept = self.state.sessions.tokens(self.view.id).await?;
        Ok(kept.and_then(|kept| kept.tokens).map(|tokens| AccessToken {
            expires_at: tokens.access_expires_at(),
            secret: tokens.access_token,
        }))
    }

    /// The app's value under `key` in this session, if any (JSON, as actix-session's
    /// `Session::get`). A value that does not parse as `T` is a 400.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        if key == RESERVED_KEY {
            return Ok(None);
        }
        self.session
            .get(key)
            .map_err(|_| ApiError::BadRequest("a session value has another shape"))
    }

    /// Keeps `value` under `key` with this session: stored with the session row when the
    /// response goes out, gone with the session. The app's data is capped at
    /// [`MAX_APP_DATA_BYTES`](crate::MAX_APP_DATA_BYTES) as JSON: a value that would pass the cap
    /// is refused here (413 `payload_too_large`), never dropped later.
    pub fn insert(&self, key: &str, value: impl Serialize) -> Result<(), ApiError> {
        if key == RESERVED_KEY {
            return Err(ApiError::BadRequest("this session key is reserved"));
        }
        let json = serde_json::to_string(&value)
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("session value").into()))?;
        let mut entries = self.session.entries().clone();
        entries.insert(key.to_owned(), json);
        app_data_of(&entries).map_err(|e| match e {
            AppDataError::TooLarge(_) => ApiError::SessionDataTooLarge,
            other => ApiError::internal(other),
        })?;
        self.session
            .insert(key, value)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("session value: {e}").into()))
    }

    /// Removes the app's value under `key`; returns whether there was one.
    pub fn remove(&self, key: &str) -> bool {
        key != RESERVED_KEY && self.session.remove(key).is_some()
    }

    /// Ends this session, as `/api/auth/logout` does: the row goes (a database failure is a
    /// 503 and nothing changes), the cookie is cleared, the refresh token is revoked (best
    /// effort). The [`LogoutRedirect`] it returns sends the browser through the provider's
    /// logout (when it has one) and back to `return_to` (a same-origin path; anything else
    /// means `/`).
    pub async fn logout(&self, return_to: &str) -> Result<LogoutRedirect, ApiError> {
        let state = &self.state;
        let next = crate::auth::logout::end(
            state,
            Some(&self.view),
            &SessionCookie(self.session.clone()),
            ReturnTo::for_app(Some(return_to), &state.config),
        )
        .await?;
        Ok(LogoutRedirect(next))
    }
}

/// Where the browser goes after [`CurrentSession::logout`]. As a response it is a
/// `303 See Other` there (after a form's `POST` too); [`redirect_to`](Self::redirect_to) gives
/// the address for a JSON answer. Either way, send the response it belongs to: it carries
/// the cookie that brings the browser back to its page after the provider's logout.
pub struct LogoutRedirect(Next);

impl LogoutRedirect {
    /// The address the browser should go to next.
    pub fn redirect_to(&self) -> &str {
        &self.0.redirect_to
    }
}

impl std::fmt::Debug for LogoutRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogoutRedirect")
            .field("redirect_to", &self.0.redirect_to)
            .finish_non_exhaustive()
    }
}

impl Responder for LogoutRedirect {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse<BoxBody> {
        let mut response = HttpResponse::SeeOther();
        response
            .insert_header((header::LOCATION, self.0.redirect_to))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(remember) = self.0.remember {
            response.cookie(remember);
        }
        response.finish()
    }
}

/// A user's access token, from [`CurrentSession::access_token`]. Its `Debug` shows no secret.
#[derive(Clone)]
pub struct AccessToken {
    secret: String,
    expires_at: Option<OffsetDateTime>,
}

impl AccessToken {
    /// The token, for an `Authorization: Bearer` header. A secret: never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When it expires, if the provider said.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_at
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

fn sessions(req: &HttpRequest) -> Result<web::Data<Sessions>, ApiError> {
    req.app_data::<web::Data<Sessions>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("Sessions not registered").into()))
}

/// The session actix-session loaded for this request, as this module's store put it in the
/// envelope: from this replica's cache (no parsing), else from the view it carried.
async fn loaded(req: &HttpRequest) -> Result<Option<CachedSession>, ApiError> {
    let session = req.get_session();
    // A state that no longer parses (written by another version) counts as signed out.
    let view = match session.get::<Envelope>(RESERVED_KEY).unwrap_or(None) {
        Some(Envelope::Unavailable) => return Err(ApiError::StoreUnavailable),
        Some(Envelope::Cached(hex)) => match hash_from_hex(&hex) {
            // Dropped from the cache since the store found it (changed or ended meanwhile):
            // the database says which.
            Some(hash) => sessions(req)?.by_hash(&hash).await?,
            None => None,
        },
        Some(Envelope::View(view)) => Some(Arc::new(*view)),
        Some(Envelope::Created(_)) | None => None,
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
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState not registered").into()))?;
            Ok(CurrentSession {
                view,
                session: req.get_session(),
                state,
            })
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
            .insert(RESERVED_KEY, Envelope::created(created.key))
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("session cookie: {e}").into()))?;
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

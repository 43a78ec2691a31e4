//! `PgSessionStore`: actix-session's [`SessionStore`] seam, on [`Sessions`].
//!
//! actix-session keeps doing what it does well: reading and verifying the signed cookie,
//! and setting or clearing it when a handler begins or ends a session. Its free-form state
//! map is used as a typed envelope between this module's two halves, never as storage:
//!
//! - `load` puts the live session's [`SessionView`](super::SessionView) in the map (from the
//!   cache or one indexed read). When the database cannot answer, it says so in the map
//!   instead of failing the request: `CurrentSession` then answers 503 `store_unavailable`,
//!   and routes that need no session still work. No task-local, no opaque 500.
//! - `save` writes nothing: the callback already created the row, typed and explicit, with
//!   `Sessions::create` (so a database failure there is the callback's own clear 503). `save`
//!   hands actix-session the new row's id for the cookie. Any other state is refused: nothing
//!   free-form is ever persisted.
//! - `delete` ends the session (actix-session calls it on `purge` and `renew`).

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;

use super::{cache::hex, sessions::Sessions};

/// The state-map entry holding the live session (JSON of `SessionView`), when it is not cached.
pub const LIVE: &str = "session";
/// The state-map entry naming the live session in this replica's cache (the hex of its
/// cookie's hash): the extractor takes it from there, without parsing anything.
pub const LIVE_CACHED: &str = "session.cached";
/// The state-map entry saying the store could not tell (the database failed).
pub const UNAVAILABLE: &str = "session.unavailable";
/// The state-map entry carrying the id of a session `Sessions::create` just made.
pub const CREATED: &str = "session.created";

type State = HashMap<String, String>;

#[derive(Clone)]
pub struct PgSessionStore {
    sessions: Sessions,
}

impl PgSessionStore {
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }

    /// The id of the session the handler created, which `save`/`update` give actix-session.
    fn created_key(state: &State) -> Result<SessionKey, anyhow::Error> {
        let key = state.get(CREATED).ok_or_else(|| {
            anyhow::anyhow!(
                "free-form session state is not stored: sessions are created with \
                 Sessions::create and begun with SessionCookie::begin"
            )
        })?;
        let key: String = serde_json::from_str(key)?;
        SessionKey::try_from(key).map_err(anyhow::Error::new)
    }
}

impl SessionStore for PgSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        match self.sessions.load(session_key.as_ref()).await {
            Ok(Some(loaded)) if loaded.cached => Ok(Some(HashMap::from([(
                LIVE_CACHED.to_owned(),
                format!("\"{}\"", hex(&loaded.hash)),
            )]))),
            Ok(Some(loaded)) => {
                let view = serde_json::to_string(&*loaded.view)
                    .map_err(|e| LoadError::Deserialization(e.into()))?;
                Ok(Some(HashMap::from([(LIVE.to_owned(), view)])))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::error!(error = %e, "session store unavailable");
                Ok(Some(HashMap::from([(
                    UNAVAILABLE.to_owned(),
                    "true".to_owned(),
                )])))
            }
        }
    }

    async fn save(&self, state: State, _ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        Self::created_key(&state).map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        if state.contains_key(CREATED) {
            return Self::created_key(&state).map_err(UpdateError::Other);
        }
        // Nothing free-form is stored; the row is unchanged.
        Ok(session_key)
    }

    async fn update_ttl(&self, _key: &SessionKey, _ttl: &CookieDuration) -> anyhow::Result<()> {
        // The idle deadline slides when a handler uses the session (`CurrentSession`),
        // throttled; actix-session is configured never to call this.
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        self.sessions
            .end_by_key(session_key.as_ref())
            .await
            .map_err(|e| anyhow::Error::new(e).context("ending the session"))
    }
}

//! `ActixSessionStore`: actix-session's [`SessionStore`] seam, on [`Sessions`].
//!
//! actix-session does what it does well: reading and verifying the signed cookie, setting or
//! clearing it when a handler begins or ends a session, and giving handlers a `Session` whose
//! entries (`insert`, `get`, `remove`) are **the app's own data**, stored here with the session
//! row ([`AppData`], at most [`MAX_APP_DATA_BYTES`] as JSON).
//!
//! One entry of that map belongs to this crate, under the reserved key [`RESERVED_KEY`]: a
//! typed [`Envelope`] between this module and the extractors. It is never stored and never
//! shown to the app as data:
//!
//! - `load` puts the live session there (a reference into this replica's cache, or the
//!   session's view) beside the app's entries. When the database cannot answer, the envelope
//!   says so instead of failing the request: `CurrentSession` then answers 503
//!   `store_unavailable`, and routes that need no session still work.
//! - `save` is for a session a login just created (`Sessions::create`, then
//!   `SessionCookie::begin`): it hands actix-session the new row's id for the cookie. Data a
//!   handler inserted for a visitor with no session is refused with an error, never dropped.
//! - `update` stores the app's entries on the row (a NOTIFY tells the other replicas); data
//!   over the cap, or for a session that ended meanwhile, is an error, never a silent `Ok`.
//! - `delete` ends the session (actix-session calls it on `purge` and `renew`).

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use serde::{Deserialize, Serialize};

use super::{
    cache::hex,
    model::{AppData, SessionView, MAX_APP_DATA_BYTES},
    sessions::Sessions,
};

/// The one key of actix-session's state map that this crate keeps for itself (the app's keys
/// are everything else).
pub const RESERVED_KEY: &str = "ferris_login";

/// What [`RESERVED_KEY`] holds: how the extractors find the session actix-session loaded.
/// `load` writes it with a borrowed view (no copy of the session); the extractors read it
/// back owned.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Envelope<V = Box<SessionView>> {
    /// The live session is in this replica's cache under this cookie hash (hex).
    Cached(String),
    /// The live session, when it is not cached.
    View(V),
    /// The store could not tell (the database failed).
    Unavailable,
    /// A session `Sessions::create` just made: its cookie value.
    Created(String),
}

impl Envelope {
    /// The envelope of a session a login just created, carrying its cookie value.
    pub fn created(key: String) -> Self {
        Envelope::Created(key)
    }
}

type State = HashMap<String, String>;

/// Why the app's session data could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum AppDataError {
    /// Over [`MAX_APP_DATA_BYTES`] as JSON.
    #[error("the app's session data is {0} bytes as JSON, over the {MAX_APP_DATA_BYTES}-byte cap")]
    TooLarge(usize),
    /// A value is not JSON (actix-session's `insert` always writes JSON).
    #[error("the session value under `{0}` is not JSON")]
    NotJson(String),
    /// There is no signed-in session to keep it with.
    #[error("no signed-in session to keep the app's data with")]
    NoSession,
    /// The session ended before its data could be stored.
    #[error("the session ended before its data could be stored")]
    Ended,
}

/// The app's entries of a state map (everything but [`RESERVED_KEY`]), checked against the
/// cap.
pub fn app_data_of<'a>(
    entries: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Result<AppData, AppDataError> {
    let mut data = AppData::new();
    for (key, value) in entries {
        if key == RESERVED_KEY {
            continue;
        }
        let value = serde_json::from_str(value).map_err(|_| AppDataError::NotJson(key.clone()))?;
        data.insert(key.clone(), value);
    }
    if !data.is_empty() {
        let size = serde_json::to_vec(&data).map_or(usize::MAX, |json| json.len());
        if size > MAX_APP_DATA_BYTES {
            return Err(AppDataError::TooLarge(size));
        }
    }
    Ok(data)
}

fn envelope<V: Serialize>(envelope: &Envelope<V>) -> Result<(String, String), serde_json::Error> {
    Ok((RESERVED_KEY.to_owned(), serde_json::to_string(envelope)?))
}

/// The state map of a loaded session: the app's entries and the envelope.
fn state_with<V: Serialize>(data: &AppData, env: &Envelope<V>) -> Result<State, serde_json::Error> {
    let mut state = State::with_capacity(data.len() + 1);
    for (key, value) in data {
        state.insert(key.clone(), value.to_string());
    }
    let (key, value) = envelope(env)?;
    state.insert(key, value);
    Ok(state)
}

#[derive(Clone)]
pub struct ActixSessionStore {
    sessions: Sessions,
}

impl ActixSessionStore {
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }

    /// The id of a session the handler just created (from its envelope), if that is what the
    /// state holds.
    fn created_key(state: &State) -> Option<String> {
        match serde_json::from_str::<Envelope>(state.get(RESERVED_KEY)?) {
            Ok(Envelope::Created(key)) => Some(key),
            _ => None,
        }
    }

    /// Stores the app's entries of `state` on the session `key` names.
    async fn store_app_data(&self, key: &str, state: &State) -> anyhow::Result<()> {
        let data = app_data_of(state)?;
        match self.sessions.set_app_data(key, &data).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(AppDataError::Ended.into()),
            Err(e) => Err(anyhow::Error::new(e).context("storing the app's session data")),
        }
    }
}

impl SessionStore for ActixSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let state = match self.sessions.load(session_key.as_ref()).await {
            Ok(Some(loaded)) if loaded.cached => state_with(
                &loaded.view.app_data,
                &Envelope::<&SessionView>::Cached(hex(&loaded.hash)),
            ),
            Ok(Some(loaded)) => state_with(
                &loaded.view.app_data,
                &Envelope::View(&*loaded.view),
            ),
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::error!(error = %e, "session store unavailable");
                state_with(&AppData::new(), &Envelope::<&SessionView>::Unavailable)
            }
        };
        state
            .map(Some)
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: State, _ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let key = Self::created_key(&state).ok_or_else(|| SaveError::Other(AppDataError::NoSession.into()))?;
        if state.len() > 1 {
            self.store_app_data(&key, &state)
                .await
                .map_err(SaveError::Other)?;
        }
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        if Self::created_key(&state).is_some() {
            return self.save(state, ttl).await.map_err(|e| match e {
                SaveError::Serialization(e) => UpdateError::Serialization(e),
                SaveError::Other(e) => UpdateError::Other(e),
            });
        }
        self.store_app_data(session_key.as_ref(), &state)
            .await
            .map_err(UpdateError::Other)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn state(entries: &[(&str, &str)]) -> State {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_apps_data_is_every_entry_but_the_reserved_one() {
        let data = app_data_of(&state(&[
            ("cart", r#"["book"]"#),
            (RESERVED_KEY, r#"{"cached":"00"}"#),
        ]))
        .unwrap();
        assert_eq!(serde_json::Value::Object(data), serde_json::json!({"cart": ["book"]}));
    }

    #[test]
    fn data_over_the_cap_is_refused_not_truncated() {
        let big = format!("\"{}\"", "x".repeat(MAX_APP_DATA_BYTES));
        let err = app_data_of(&state(&[("note", big.as_str())])).unwrap_err();
        assert!(matches!(err, AppDataError::TooLarge(n) if n > MAX_APP_DATA_BYTES));
        let fits = format!("\"{}\"", "x".repeat(MAX_APP_DATA_BYTES - 20));
        assert!(app_data_of(&state(&[("note", fits.as_str())])).is_ok());
    }

    #[test]
    fn a_value_that_is_not_json_is_refused_by_name() {
        let err = app_data_of(&state(&[("raw", "not json")])).unwrap_err();
        assert_eq!(err.to_string(), "the session value under `raw` is not JSON");
    }

    #[test]
    fn a_loaded_state_round_trips_the_apps_values() {
        let mut data = AppData::new();
        data.insert("theme".into(), serde_json::json!("dark"));
        let loaded = state_with(&data, &Envelope::<&SessionView>::Unavailable).unwrap();
        assert_eq!(loaded["theme"], r#""dark""#);
        assert_eq!(app_data_of(&loaded).unwrap(), data);
    }
}

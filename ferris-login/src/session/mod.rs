//! Server-side sessions: the one owner of the `sessions` table and of the session cookie.
//!
//! - [`repository`]: every SQL statement on the table (typed rows), notifying changes.
//! - [`Sessions`]: the typed API (create, end, list, tokens, refresh lease), in front of
//!   [`cache`] (in-process, bounded, revoked across replicas by [`invalidation`]).
//! - [`store`]: actix-session's `SessionStore` seam; [`cookie`]: the cookie's name and
//!   attributes, the middleware, and the duplicate/rotation guard.
//! - [`extract`]: `CurrentSession`, `OptionalSession`, `SessionCookie` for handlers.
//! - [`refresh`]: keeping access tokens fresh (lease, single flight, back-off).

pub mod cache;
pub mod cookie;
pub mod extract;
pub mod invalidation;
pub mod model;
pub mod refresh;
mod repository;
pub mod sessions;
pub mod store;

pub use cache::{CacheSettings, SessionCache};
pub use cookie::SessionCookieConfig;
pub use extract::{
    AccessToken, CurrentSession, LogoutRedirect, OptionalSession, PeekSession, SessionCookie,
};
pub use model::{NewSession, SessionId, SessionView, StoredTokens, MAX_APP_DATA_BYTES};
pub use refresh::Refresher;
pub use sessions::{Sessions, Timeouts};
pub use store::PgSessionStore;

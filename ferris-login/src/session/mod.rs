//! Server-side sessions: the one owner of the `sessions` table and of the session cookie.
//!
//! - [`Sessions`]: the typed API (create, end, list, tokens, refresh lease), over a
//!   [`store::Store`]: PostgreSQL (the default; every SQL statement in [`repository`]),
//!   memory, Redis, or any of them under [`store::CachedStore`] ([`cache`], in-process,
//!   bounded, revoked across replicas by the store's change feed: [`invalidation`] for
//!   PostgreSQL).
//! - [`actix_store`]: actix-session's `SessionStore` seam; [`cookie`]: the cookie's name and
//!   attributes, the middleware, and the duplicate/rotation guard.
//! - [`extract`]: `CurrentSession`, `OptionalSession`, `SessionCookie` for handlers.
//! - [`refresh`]: keeping access tokens fresh (lease, single flight, back-off).

pub mod actix_store;
pub mod cache;
pub mod cookie;
pub mod extract;
pub mod invalidation;
pub mod model;
pub mod refresh;
mod repository;
pub mod sessions;
pub mod store;

#[cfg_attr(not(feature = "prometheus"), allow(unused_imports))]
pub use cache::{CacheSettings, SessionCache};
pub use cookie::SessionCookieConfig;
pub use extract::{
    AccessToken, CurrentSession, LogoutRedirect, OptionalSession, PeekSession, SessionCookie,
};
pub use model::{NewSession, SessionId, SessionView, StoredTokens, MAX_APP_DATA_BYTES};
pub use refresh::Refresher;
pub use sessions::{Sessions, Timeouts};
pub use actix_store::ActixSessionStore;
pub use store::{CachedStore, MemoryStore, PostgresStore, Store, StoreError};

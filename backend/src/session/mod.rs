//! Server-side sessions in PostgreSQL.

pub mod cookie_guard;
pub mod data;
pub mod store;
pub mod sweeper;

pub use data::{AuthSession, StoredTokens, TypedSession};
pub use store::{PgSessionStore, Timeouts};

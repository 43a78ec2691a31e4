//! Server-side sessions in PostgreSQL.

pub mod data;
pub mod key_rotation;
pub mod store;
pub mod sweeper;

pub use data::{AuthSession, TypedSession};
pub use store::{PgSessionStore, Timeouts};

//! The worked example of a resource guarded by permissions: `/api/messages`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest message body, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// One message (`GET /api/messages`, newest first; `POST` answers the created one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: Uuid,
    /// The author's display name when they wrote it.
    pub author: String,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The caller wrote it (and, with `write:messages`, may delete it).
    pub mine: bool,
}

/// Body of `POST /api/messages`: plain text, 1 to [`MAX_MESSAGE_CHARS`] characters after
/// trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub body: String,
}

/// The permissions the messages API checks.
pub mod permissions {
    pub const READ: &str = "read:messages";
    pub const WRITE: &str = "write:messages";
}

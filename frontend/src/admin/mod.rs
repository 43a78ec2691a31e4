//! The admin sessions page, the pure part: timestamp and user-agent formatting, grouping by
//! user, and the page's state machine. Nothing here touches the browser, so it is tested
//! natively (`cargo test -p frontend`).

pub mod format;
pub mod sessions;

pub use format::{describe_user_agent, format_timestamp, timestamp_parts};
pub use sessions::{
    group_by_user, AdminAction, AdminModel, AdminNotice, AdminNoticeKind, ListState, UserSessions,
};

//! The admin sessions page, the pure part: grouping by user and the page's state machine.
//! Nothing here touches the browser, so it is tested natively (`cargo test -p frontend`).

pub mod sessions;

pub use sessions::{group_by_user, AdminAction, AdminFocus, AdminModel, UserSessions};

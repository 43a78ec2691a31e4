//! Authentication, the pure part: the state machine, the guard's decision, login URLs and the
//! sentences for error codes. Nothing here touches the browser, so it is tested natively
//! (`cargo test -p frontend`).

pub mod guard;
pub mod messages;
pub mod state;
pub mod urls;

pub use guard::{guard_decision, GuardDecision, Requirement};
pub use state::{AnonymousReason, AuthAction, AuthModel, AuthState, Notice, NoticeKind};
pub use urls::{login_url, safe_navigation_target, safe_return_to};

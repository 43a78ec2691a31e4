//! Authentication, the pure part: the state machine, the guard's decision, login URLs, the
//! advice for error codes, the cross-tab events and the focus re-check gate. Nothing here
//! touches the browser, so it is tested natively (`cargo test -p frontend`).

pub mod advice;
pub mod expiry;
pub mod guard;
pub mod recheck;
pub mod state;
pub mod tab_event;
pub mod urls;

pub use advice::{Advice, NextStep};
pub use guard::{guard_decision, GuardDecision, Requirement};
pub use state::{
    AnonymousReason, AuthAction, AuthModel, AuthState, Notice, NoticeAction, NoticeKind,
    NoticeTopic, StartUp,
};
pub use urls::{login_url, logout_path, safe_navigation_target, safe_return_to, signup_url};

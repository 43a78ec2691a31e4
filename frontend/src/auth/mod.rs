//! What the demo says about authentication, pure: the advice for error codes and the banner's
//! words for what the auth state machine noticed. The state machine, the guard, the login URLs,
//! the expiry timing and the cross-tab events are `ferris-login-yew`'s. Tested natively
//! (`cargo test -p frontend`).

pub mod advice;
pub mod notice;

pub use advice::{Advice, ErrorAdvice, NextStep};
pub use ferris_login_yew::{AnonymousReason, AuthState, LoginOptions, Requirement, StartUp};
pub use notice::{Notice, NoticeAction, NoticeKind, NoticeTopic};

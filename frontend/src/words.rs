//! The words for the actions, one set used everywhere: the bar, the banners, the cards, the
//! dialogs and the list pages.
//!
//! - **Log in** / **Log out** / **Sign up**: this browser's own session with the provider.
//! - **Sign out**: ending a session somewhere else (another device of yours, or, for an
//!   administrator, every session of a user).

/// Starts a sign-in at the provider.
pub const LOG_IN: &str = "Log in";
/// Starts a sign-in after a session ended, back to the same page.
pub const LOG_IN_AGAIN: &str = "Log in again";
/// Ends this browser's session (and the provider's).
pub const LOG_OUT: &str = "Log out";
/// Starts a sign-up at the provider.
pub const SIGN_UP: &str = "Sign up";
/// Ends a session elsewhere (a device of yours, or all of a user's as an administrator).
pub const SIGN_OUT: &str = "Sign out";

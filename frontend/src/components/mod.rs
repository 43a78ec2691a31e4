//! Building blocks shared by the pages.

pub mod auth_provider;
pub mod avatar;
pub mod footer;
pub mod guard;
pub mod loading;
pub mod nav;
pub mod notice;
pub mod session_table;

pub use auth_provider::AuthProvider;
pub use guard::RequireAuth;

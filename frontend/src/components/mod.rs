//! Building blocks shared by the pages.

pub mod avatar;
pub mod confirm;
pub mod expiry;
pub mod footer;
pub mod guard;
pub mod loading;
pub mod nav;
pub mod notice;
pub mod page_notice;
pub mod refresh_button;
pub mod route_focus;
pub mod session_table;
pub mod skip_link;
pub mod time;
pub mod user_menu;

pub use ferris_login_yew::AuthProvider;
pub use guard::Guard;

//! The Yew side of Ferris Login: sign-in state for a single-page app whose backend does the
//! OpenID Connect login (a Backend-for-Frontend). The browser holds nothing but an HttpOnly
//! session cookie; the app asks `GET {api_prefix}/auth/me` who is signed in.
//!
//! - [`AuthProvider`] runs the one auth state machine ([`AuthState`]) and keeps it current:
//!   a 401 from any call, other tabs signing in or out, focus and visibility.
//! - [`use_auth`] gives the state and the actions: sign in ([`LoginOptions`]), sign out,
//!   check again, the [`AuthNotice`] to tell the person about.
//! - [`RequireAuth`] renders its children only for a [`Requirement`], with your views for
//!   loading, forbidden, signed out and unavailable.
//! - [`use_api`] gives the [`ApiClient`]: JSON with the anti-forgery header and typed
//!   [`ApiError`]s.
//! - [`use_session_expiry`] says when the session is about to end and extends it.
//!
//! No text of its own: every sentence on the screen is the app's.
//!
//! ```
//! use ferris_login_yew::{use_auth, AuthProvider, LoginOptions, RequireAuth};
//! use yew::prelude::*;
//!
//! #[component]
//! fn App() -> Html {
//!     html! {
//!         <AuthProvider>
//!             <Corner />
//!             <RequireAuth loading={html! { "Loading…" }}>
//!                 <p>{ "Only for signed-in users." }</p>
//!             </RequireAuth>
//!         </AuthProvider>
//!     }
//! }
//!
//! #[component]
//! fn Corner() -> Html {
//!     let auth = use_auth();
//!     match auth.user() {
//!         Some(user) => html! {
//!             <>{ user.display_name() }<button onclick={auth.on_logout("/")}>{ "Log out" }</button></>
//!         },
//!         None => html! { <button onclick={auth.on_login(LoginOptions::default())}>{ "Log in" }</button> },
//!     }
//! }
//! ```
//!
//! The app's own claims travel in [`User::extra`], read through a [`Claim`] type.

#![deny(missing_docs)]

mod api;
mod browser;
mod error;
mod expiry;
mod guard;
mod provider;
mod recheck;
mod state;
mod tab_event;
mod tabs;
mod urls;
mod watch;

pub use api::{use_api, ApiClient};
pub use error::ApiError;
pub use guard::{RequireAuth, RequireAuthProps, Requirement, SignedOut};
pub use provider::{use_auth, use_auth_if_provided, AuthHandle, AuthProvider, AuthProviderProps};
pub use shared::{Claim, ErrorCode, ErrorDetail, Extra, OffsetDateTime, User};
pub use state::{AnonymousReason, AuthNotice, AuthState, StartUp};
pub use urls::LoginOptions;
pub use watch::{use_session_expiry, SessionExpiry};

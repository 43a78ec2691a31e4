//! The wire types both sides of the Backend-for-Frontend speak.
//!
//! The backend serialises these; the Yew SPA deserialises them. Closed sets are enums
//! ([`ErrorCode`]), instants are [`time::OffsetDateTime`] (RFC 3339 in UTC on the wire), ids
//! are [`uuid::Uuid`]: neither side parses them by hand, and neither can fall out of step
//! with the other. Tests in `backend/tests/api` decode live responses into these types.

mod error;
mod extra;
pub mod messages;
mod session;
mod user;

pub mod routes;

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use extra::{Claim, Extra};
pub use messages::{Message, NewMessage};
pub use session::{LogoutResponse, MySession, RevokeResult, SessionInfo, SessionStatus};
pub use time::OffsetDateTime;
pub use user::User;
pub use uuid::Uuid;

/// Name of the anti-forgery header every SPA call to `/api` carries (value [`CSRF_HEADER_VALUE`]).
pub const CSRF_HEADER: &str = "X-CSRF";
/// Value of the anti-forgery header.
pub const CSRF_HEADER_VALUE: &str = "1";

/// Query parameter the SPA reads after a failed login (`/?login_error=<code>`, an
/// [`ErrorCode`]).
pub const LOGIN_ERROR_PARAM: &str = "login_error";

/// `GET /api/auth/me?visitor=204`: a visitor gets `204 No Content` instead of a 401 (the SPA's
/// own session checks ask this way, so signed-out pages log no failed request).
pub const ME_VISITOR_PARAM: (&str, &str) = ("visitor", "204");

/// Query parameter beside [`LOGIN_ERROR_PARAM`] when the app refused the login
/// ([`ErrorCode::LoginRefused`]): the app's own reason, a slug of at most 64 characters from
/// `[a-z0-9_-]`. The SPA maps it to text; it is never shown as sent.
pub const LOGIN_ERROR_REASON_PARAM: &str = "login_error_reason";

//! Sessions as the API shows them: by their public id (a UUID, never the cookie).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Answer of `POST /api/auth/logout`: where the browser should go next (the provider's
/// logout endpoint, or the app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutResponse {
    pub redirect_to: String,
}

/// One live session, as the admin page lists it (`GET /api/admin/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session's public id.
    pub id: Uuid,
    /// The user's id in this app, for revocation.
    pub user_id: Uuid,
    pub sub: String,
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// One of the caller's own live sessions (`GET /api/auth/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MySession {
    /// The session's public id (`DELETE /api/auth/sessions/{id}` ends it).
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// A readable device, from the user agent ("Firefox on Linux"; "Unknown device").
    pub device: String,
    /// A coarse network: the address with its host part cut off ("203.0.113.0/24",
    /// "2001:db8:1:2::/64"), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// This is the session making the request.
    pub current: bool,
}

/// The caller's session deadlines (`GET /api/auth/session`, `POST /api/auth/session/extend`).
/// Reading it never extends anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStatus {
    /// The session's public id.
    pub id: Uuid,
    /// The session ends at this instant unless it is used (or extended) before.
    #[serde(with = "time::serde::rfc3339")]
    pub idle_expires_at: OffsetDateTime,
    /// The session ends at this instant, however active.
    #[serde(with = "time::serde::rfc3339")]
    pub absolute_expires_at: OffsetDateTime,
    /// When the access token the session keeps expires (it is refreshed before then when
    /// refresh is on).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub access_token_expires_at: Option<OffsetDateTime>,
    /// The server's clock when it answered, so the SPA can correct for a skewed device clock.
    #[serde(with = "time::serde::rfc3339")]
    pub now: OffsetDateTime,
}

/// Answer of `POST /api/admin/users/{user_id}/revoke-sessions` and of the `DELETE`s of
/// `/api/auth/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeResult {
    /// How many sessions ended.
    pub revoked: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_travel_as_rfc3339_in_utc_and_ids_as_uuids() {
        let info = SessionInfo {
            id: Uuid::from_u128(1),
            user_id: Uuid::from_u128(2),
            sub: "s".into(),
            issuer: "i".into(),
            name: None,
            email: None,
            created_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            last_seen_at: OffsetDateTime::from_unix_timestamp(1_700_000_060).unwrap(),
            user_agent: None,
            current: true,
        };
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["created_at"], "2023-11-14T22:13:20Z");
        assert_eq!(json["id"], "00000000-0000-0000-0000-000000000001");
        assert_eq!(
            serde_json::from_value::<SessionInfo>(json).unwrap(),
            info,
            "round trip"
        );
    }
}

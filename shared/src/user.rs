//! The signed-in user.

use serde::{Deserialize, Serialize};

use crate::Extra;

/// The signed-in user as `/api/auth/me` reports it: chosen claims only, never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The provider's subject identifier (unique per issuer).
    pub sub: String,
    /// The issuer that vouched for this user.
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Absolute `https:` (or `http:` in development) URL of the user's picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Roles from the configured roles claim (empty when the provider sends none).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Permissions (Auth0 RBAC `permissions`), empty when the provider sends none.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The app's own claims, added at login by its after-callback hook and read on either
    /// side through a [`crate::Claim`] type (absent on the wire when empty).
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl User {
    /// What to greet the user with: the name, else the email, else the subject.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or(&self.sub)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_without_optional_claims_round_trips() {
        let json = r#"{"sub":"abc","issuer":"https://idp.example/"}"#;
        let user: User = serde_json::from_str(json).unwrap();
        assert_eq!(user.display_name(), "abc");
        assert!(user.roles.is_empty());
        let back = serde_json::to_string(&user).unwrap();
        assert_eq!(serde_json::from_str::<User>(&back).unwrap(), user);
    }

    #[test]
    fn display_name_prefers_name_then_email() {
        let mut user: User = serde_json::from_str(r#"{"sub":"s","issuer":"i"}"#).unwrap();
        user.email = Some("a@example.com".into());
        assert_eq!(user.display_name(), "a@example.com");
        user.name = Some("Ada".into());
        assert_eq!(user.display_name(), "Ada");
    }

    #[test]
    fn roles_and_permissions_match_exactly() {
        let user: User = serde_json::from_str(
            r#"{"sub":"s","issuer":"i","roles":["admin"],"permissions":["read:messages"]}"#,
        )
        .unwrap();
        assert!(user.has_role("admin") && !user.has_role("Admin"));
        assert!(user.has_permission("read:messages") && !user.has_permission("read"));
    }
}

//! The app's say in a login: [`AuthBuilder::after_callback`](crate::AuthBuilder::after_callback)
//! sees each verified login before anything is stored, and may refuse it or add custom claims;
//! [`AuthBuilder::before_session_saved`](crate::AuthBuilder::before_session_saved) edits the
//! user each time a session is written from the provider's tokens (login and refresh).
//!
//! Neither may change who the user is: `sub` and `issuer` are the provider's, and what
//! back-channel logout and every refresh check the session against. A hook's change to either
//! is undone (and logged as a warning); everything else in [`User`] is the app's to edit.

use std::{future::Future, pin::Pin, sync::Arc};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use shared::User;

/// A login that passed every check (state, PKCE, the ID token's signature, issuer, audience,
/// nonce, expiry), before its session exists.
///
/// Change the user through [`Login::user_mut`]: custom claims go in
/// [`User::extra`](shared::User::extra) and reach the SPA typed.
pub struct Login {
    user: User,
    claims: Map<String, Value>,
    access_token: SecretString,
}

impl Login {
    pub(crate) fn new(user: User, claims: Map<String, Value>, access_token: SecretString) -> Self {
        Self {
            user,
            claims,
            access_token,
        }
    }

    /// The user the session will hold.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The user, to add custom claims or adjust roles and permissions. A change to `sub` or
    /// `issuer` is undone before the session is stored.
    pub fn user_mut(&mut self) -> &mut User {
        &mut self.user
    }

    /// Every claim of the verified ID token, as the provider sent it.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// One claim of the verified ID token.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// The access token the provider issued (kept server-side; never send it to the browser).
    pub fn access_token(&self) -> &str {
        self.access_token.expose_secret()
    }

    pub(crate) fn into_user(self) -> User {
        self.user
    }
}

/// Why the app turns a login away. The SPA gets `?login_error=login_refused` and, when the
/// reason is a slug (`[a-z0-9_-]`, 1 to 64 characters), `&login_error_reason=<reason>` to map
/// to its own text; anything else is logged and left out of the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    reason: String,
}

impl Refusal {
    /// A refusal with the app's reason, for example `"not_invited"`.
    ///
    /// ```
    /// let refusal = ferris_login::Refusal::new("not_invited");
    /// assert_eq!(refusal.reason(), Some("not_invited"));
    /// assert_eq!(ferris_login::Refusal::new("<b>no</b>").reason(), None);
    /// ```
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The reason, if it is a slug that may travel in the address.
    pub fn reason(&self) -> Option<&str> {
        let slug = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
        (!self.reason.is_empty() && self.reason.len() <= 64 && self.reason.chars().all(slug))
            .then_some(self.reason.as_str())
    }

    pub(crate) fn raw(&self) -> &str {
        &self.reason
    }
}

/// Why a session is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaveCause {
    /// A login finished (after the `after_callback` hook).
    Login,
    /// A refresh brought new tokens (and, with a new ID token, new roles and permissions);
    /// the custom claims the login added are carried over first.
    Refresh,
}

/// The user about to be stored with a session.
pub struct SessionUpdate<'a> {
    /// Why the session is written.
    pub cause: SaveCause,
    /// The user it will hold; change it in place (but not its `sub` or `issuer`: a change to
    /// either is undone).
    pub user: &'a mut User,
}

type AfterCallbackFn =
    dyn Fn(Login) -> Pin<Box<dyn Future<Output = Result<Login, Refusal>> + Send>> + Send + Sync;
type BeforeSavedFn = dyn Fn(&mut SessionUpdate<'_>) + Send + Sync;

/// The app's hooks, as the builder collected them.
#[derive(Clone, Default)]
pub struct Hooks {
    after_callback: Option<Arc<AfterCallbackFn>>,
    before_session_saved: Option<Arc<BeforeSavedFn>>,
}

impl Hooks {
    pub(crate) fn set_after_callback<F, Fut>(&mut self, hook: F)
    where
        F: Fn(Login) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Login, Refusal>> + Send + 'static,
    {
        self.after_callback = Some(Arc::new(move |login| Box::pin(hook(login))));
    }

    pub(crate) fn set_before_session_saved(
        &mut self,
        hook: impl Fn(&mut SessionUpdate<'_>) + Send + Sync + 'static,
    ) {
        self.before_session_saved = Some(Arc::new(hook));
    }

    /// Runs the after-callback hook (if any), then the before-saved one for a login.
    pub(crate) async fn on_login(&self, login: Login) -> Result<User, Refusal> {
        let identity = Identity::of(login.user());
        let login = match &self.after_callback {
            Some(hook) => hook(login).await?,
            None => login,
        };
        let mut user = login.into_user();
        identity.restore(&mut user, "after_callback");
        self.before_saved(SaveCause::Login, &mut user);
        Ok(user)
    }

    /// Runs the before-saved hook (if any).
    pub(crate) fn before_saved(&self, cause: SaveCause, user: &mut User) {
        if let Some(hook) = &self.before_session_saved {
            let identity = Identity::of(user);
            hook(&mut SessionUpdate { cause, user });
            identity.restore(user, "before_session_saved");
        }
    }
}

/// Who a user is, as the provider said: what no hook may change.
struct Identity {
    sub: String,
    issuer: String,
}

impl Identity {
    fn of(user: &User) -> Self {
        Self {
            sub: user.sub.clone(),
            issuer: user.issuer.clone(),
        }
    }

    /// Undoes a hook's change to `sub` or `issuer`.
    fn restore(self, user: &mut User, hook: &str) {
        if user.sub != self.sub || user.issuer != self.issuer {
            tracing::warn!(hook, "a hook changed the user's sub or issuer: undone");
            user.sub = self.sub;
            user.issuer = self.issuer;
        }
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("after_callback", &self.after_callback.is_some())
            .field("before_session_saved", &self.before_session_saved.is_some())
            .finish()
    }
}

/// The claims of a JWT whose signature was already verified (its middle part, decoded).
pub(crate) fn verified_claims(jwt: &str) -> Map<String, Value> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    jwt.split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|json| serde_json::from_slice(&json).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        serde_json::from_str(r#"{"sub":"s","issuer":"i","roles":["admin"]}"#).unwrap()
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Plan(String);
    impl shared::Claim for Plan {
        const KEY: &'static str = "plan";
    }

    fn login() -> Login {
        let claims = serde_json::json!({"sub": "s", "org": "acme"});
        Login::new(
            user(),
            claims.as_object().unwrap().clone(),
            SecretString::from("at"),
        )
    }

    #[tokio::test]
    async fn without_hooks_the_verified_user_is_kept() {
        assert_eq!(Hooks::default().on_login(login()).await.unwrap(), user());
    }

    #[tokio::test]
    async fn after_callback_adds_claims_then_before_saved_sees_them() {
        let mut hooks = Hooks::default();
        hooks.set_after_callback(|mut login: Login| async move {
            let org = login
                .claim("org")
                .and_then(Value::as_str)
                .unwrap()
                .to_owned();
            login.user_mut().extra.insert(&Plan(org)).unwrap();
            Ok(login)
        });
        hooks.set_before_session_saved(|update: &mut SessionUpdate<'_>| {
            assert_eq!(update.cause, SaveCause::Login);
            update.user.roles.clear();
        });
        let saved = hooks.on_login(login()).await.unwrap();
        assert_eq!(
            saved.extra.get::<Plan>().unwrap(),
            Some(Plan("acme".into()))
        );
        assert!(saved.roles.is_empty());
    }

    #[tokio::test]
    async fn a_refusal_stops_the_login_before_saving() {
        let mut hooks = Hooks::default();
        hooks.set_after_callback(|_: Login| async { Err(Refusal::new("not_invited")) });
        hooks.set_before_session_saved(|_: &mut SessionUpdate<'_>| panic!("must not run"));
        let refusal = hooks.on_login(login()).await.unwrap_err();
        assert_eq!(refusal.reason(), Some("not_invited"));
    }

    #[tokio::test]
    async fn hooks_cannot_change_who_the_user_is() {
        let mut hooks = Hooks::default();
        hooks.set_after_callback(|mut login: Login| async move {
            login.user_mut().sub = "someone-else".into();
            login.user_mut().issuer = "https://evil.example".into();
            Ok(login)
        });
        hooks.set_before_session_saved(|update: &mut SessionUpdate<'_>| {
            update.user.sub = "another-one".into();
            update.user.issuer = "https://other.example".into();
            update.user.roles.push("edited".into());
        });
        let saved = hooks.on_login(login()).await.unwrap();
        assert_eq!((saved.sub.as_str(), saved.issuer.as_str()), ("s", "i"));
        assert!(
            saved.roles.contains(&"edited".to_owned()),
            "the rest is the app's"
        );

        let mut refreshed = user();
        hooks.before_saved(SaveCause::Refresh, &mut refreshed);
        assert_eq!(
            (refreshed.sub.as_str(), refreshed.issuer.as_str()),
            ("s", "i")
        );
    }

    #[test]
    fn only_slugs_travel_as_reasons() {
        for ok in ["not_invited", "a", "seat-limit-2"] {
            assert_eq!(Refusal::new(ok).reason(), Some(ok));
        }
        for bad in ["", "Not invited", "a&b=c", "é", &"x".repeat(65)] {
            assert_eq!(Refusal::new(bad).reason(), None, "{bad}");
        }
    }

    #[test]
    fn claims_come_from_the_payload_and_nothing_else() {
        let payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"sub":"s","org":"acme"}"#,
        );
        let claims = verified_claims(&format!("h.{payload}.sig"));
        assert_eq!(claims["org"], "acme");
        assert!(verified_claims("not a jwt").is_empty());
    }
}

//! Signed-in sessions for your own tests, with no provider running (feature `testing`).
//!
//! [`TestUser`] describes who is signed in; [`Auth::sign_in_for_test`] creates their session in
//! the app's store, exactly as a login would (the user's row, a session with a new id, tokens
//! sealed if given), and returns the session cookie to send with `actix_web::test` requests
//! or any HTTP client.
//!
//! ```no_run
//! # async fn run(auth: ferris_login::Auth) -> anyhow::Result<()> {
//! use actix_web::{test, App};
//! use ferris_login::testing::TestUser;
//!
//! let cookie = auth
//!     .sign_in_for_test(TestUser::new("alice").permissions(["read:reports"]))
//!     .await?;
//! let app = test::init_service(App::new().service(auth.api())).await;
//! let req = test::TestRequest::get()
//!     .uri("/api/auth/me")
//!     .insert_header(("X-CSRF", "1"))
//!     .cookie(cookie)
//!     .to_request();
//! assert!(test::call_service(&app, req).await.status().is_success());
//! # Ok(())
//! # }
//! ```
//!
//! Never turn the feature on in a production build: it mints sessions for anyone.

use actix_web::cookie::Cookie;
use shared::{Claim, User};

use crate::{
    server::Auth,
    session::{NewSession, SessionId, StoredTokens},
    users,
};

/// Who [`Auth::sign_in_for_test`] signs in: a subject at the app's issuer, with what you
/// give.
#[derive(Debug, Clone)]
pub struct TestUser {
    user: User,
    access_token: Option<String>,
}

impl TestUser {
    /// The user with this subject (also their name, until [`name`](Self::name) says
    /// otherwise).
    pub fn new(sub: impl Into<String>) -> Self {
        let sub = sub.into();
        Self {
            user: User {
                name: Some(sub.clone()),
                sub,
                issuer: String::new(),
                email: None,
                email_verified: None,
                picture: None,
                roles: Vec::new(),
                permissions: Vec::new(),
                extra: Default::default(),
            },
            access_token: None,
        }
    }

    /// Their display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.user.name = Some(name.into());
        self
    }

    /// Their email (verified).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.user.email = Some(email.into());
        self.user.email_verified = Some(true);
        self
    }

    /// Their roles.
    pub fn roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.user.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Their permissions.
    pub fn permissions<S: Into<String>>(
        mut self,
        permissions: impl IntoIterator<Item = S>,
    ) -> Self {
        self.user.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// One of the app's custom claims, as an after-callback hook would have added it.
    pub fn claim<C: Claim>(mut self, claim: &C) -> Self {
        self.user
            .extra
            .insert(claim)
            .expect("a custom claim serialises to JSON");
        self
    }

    /// An access token the session keeps (what
    /// [`CurrentSession::access_token`](crate::CurrentSession::access_token) gives), valid for
    /// an hour.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(token.into());
        self
    }
}

/// A session minted by [`Auth::sign_in_for_test`].
#[derive(Debug, Clone)]
pub struct TestSession {
    /// The session cookie, as the browser would hold it.
    pub cookie: Cookie<'static>,
    /// The session's public id.
    pub id: SessionId,
}

/// Why a test session could not be created.
#[derive(Debug, thiserror::Error)]
#[error("creating a test session: {0}")]
pub struct TestSessionError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl Auth {
    /// Signs `user` in without a provider and returns the session cookie (see the
    /// [`testing`](crate::testing) module).
    pub async fn sign_in_for_test(
        &self,
        user: TestUser,
    ) -> Result<Cookie<'static>, TestSessionError> {
        Ok(self.test_session(user).await?.cookie)
    }

    /// [`sign_in_for_test`](Self::sign_in_for_test), also giving the session's id.
    pub async fn test_session(&self, user: TestUser) -> Result<TestSession, TestSessionError> {
        let (state, cookie_config) = (&self.inner.state, &self.inner.session_cookie);
        let now = state.clock.now();
        let mut profile = user.user;
        profile.issuer = state.config.issuer.as_str().to_owned();
        let user_id = users::upsert_on_login(&state.pool, &profile, now)
            .await
            .map_err(|e| TestSessionError(e.into()))?;
        let tokens = user.access_token.map(|access_token| StoredTokens {
            access_token,
            refresh_token: None,
            expires_at: Some(now.unix_timestamp() + 3600),
        });
        let created = state
            .sessions
            .create(
                NewSession {
                    user_id,
                    user: profile,
                    provider_sid: None,
                    user_agent: Some("ferris-login tests".into()),
                    client_network: None,
                    id_token: None,
                    tokens,
                    authenticated_at: now,
                },
                &[],
            )
            .await
            .map_err(|e| TestSessionError(e.into()))?;
        Ok(TestSession {
            cookie: cookie_config.cookie(cookie_config.sign(created.key().to_owned())),
            id: created.view.id,
        })
    }
}

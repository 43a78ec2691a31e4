//! `use_auth()`: what components know and can do about authentication.

use std::rc::Rc;

use shared::User;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::auth::{
    messages, safe_navigation_target, AuthAction, AuthModel, AuthState, Notice, NoticeKind,
};
use crate::browser;
use crate::services::{self, ApiError};

impl Reducible for AuthModel {
    type Action = AuthAction;

    fn reduce(self: Rc<Self>, action: AuthAction) -> Rc<Self> {
        Rc::new(AuthModel::reduce(&self, action))
    }
}

/// The handle [`use_auth`] returns; the `AuthProvider` shares it through a context.
#[derive(Clone, PartialEq)]
pub struct AuthHandle {
    model: UseReducerHandle<AuthModel>,
}

impl AuthHandle {
    pub(crate) fn new(model: UseReducerHandle<AuthModel>) -> Self {
        Self { model }
    }

    /// Who is using the app, as far as the SPA knows.
    pub fn state(&self) -> &AuthState {
        &self.model.state
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        self.model.user()
    }

    /// The message currently shown, if any.
    pub fn notice(&self) -> Option<&Notice> {
        self.model.notice.as_ref()
    }

    /// Starts a login: a full-page navigation to `/api/auth/login?returnTo=<return_to>`.
    pub fn login(&self, return_to: &str) {
        browser::navigate(&crate::auth::login_url(return_to));
    }

    /// Logs out: `POST /api/auth/logout`, then a full-page navigation to where the backend says
    /// (the provider's logout page). Resolves only when that did not happen; a 401 (the session
    /// was already gone) is handled by the request function like any other.
    pub async fn logout(self) -> Result<(), ApiError> {
        let dispatcher = self.model.dispatcher();
        match services::logout().await {
            Ok(answer) => {
                dispatcher.dispatch(AuthAction::SignedOut);
                browser::navigate(safe_navigation_target(&answer.redirect_to).unwrap_or("/"));
                Ok(())
            }
            Err(ApiError::Unauthenticated) => Err(ApiError::Unauthenticated),
            Err(error) => {
                browser::log(&format!("logout failed: {error}"));
                dispatcher.dispatch(AuthAction::Notify(Notice::new(
                    NoticeKind::Error,
                    messages::LOGOUT_FAILED,
                    error.code(),
                )));
                Err(error)
            }
        }
    }

    /// Checks the session again after a failed check ("Try again").
    pub fn retry(&self) {
        self.model.dispatch(AuthAction::Recheck);
        spawn_local(check_session(self.model.dispatcher()));
    }

    /// Asks `/api/auth/me` again in the background (e.g. after a 403: the user's roles may have
    /// changed). The state only changes when the answer does.
    pub fn recheck(&self) {
        spawn_local(check_session(self.model.dispatcher()));
    }

    /// Closes the current message.
    pub fn dismiss_notice(&self) {
        self.model.dispatch(AuthAction::DismissNotice);
    }
}

/// Asks `/api/auth/me` and feeds the answer to the state machine. A 401 needs nothing here:
/// the request function already reported it.
pub(crate) async fn check_session(dispatcher: UseReducerDispatcher<AuthModel>) {
    match services::fetch_me().await {
        Ok(user) => dispatcher.dispatch(AuthAction::Loaded(user)),
        Err(ApiError::Unauthenticated) => {}
        Err(error) => {
            browser::log(&format!("session check failed: {error}"));
            dispatcher.dispatch(AuthAction::LoadFailed(error));
        }
    }
}

/// The auth handle of the surrounding `AuthProvider`.
#[hook]
pub fn use_auth() -> AuthHandle {
    use_context::<AuthHandle>().expect("use_auth() needs an <AuthProvider> above it")
}

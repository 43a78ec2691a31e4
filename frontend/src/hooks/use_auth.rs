//! `use_auth()`: what components know and can do about authentication.

use std::cell::RefCell;
use std::rc::Rc;

use shared::User;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::auth::recheck::RecheckGate;
use crate::auth::tab_event::TabEvent;
use crate::auth::{
    login_url, safe_navigation_target, signup_url, AuthAction, AuthModel, AuthState, Notice,
};
use crate::browser;
use crate::services::{self, tabs, ApiError};

impl Reducible for AuthModel {
    type Action = AuthAction;

    fn reduce(self: Rc<Self>, action: AuthAction) -> Rc<Self> {
        Rc::new(AuthModel::reduce(&self, action))
    }
}

/// What a 401 from a session check means beyond "no session".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After401 {
    /// Nothing more (the request function already reported the 401).
    Nothing,
    /// Another tab signed out.
    SignedOutElsewhere,
    /// The session ran out.
    Expired,
}

/// The handle [`use_auth`] returns; the `AuthProvider` shares it through a context.
#[derive(Clone)]
pub struct AuthHandle {
    model: UseReducerHandle<AuthModel>,
    gate: Rc<RefCell<RecheckGate>>,
}

impl PartialEq for AuthHandle {
    fn eq(&self, other: &Self) -> bool {
        self.model == other.model && Rc::ptr_eq(&self.gate, &other.gate)
    }
}

impl AuthHandle {
    pub(crate) fn new(model: UseReducerHandle<AuthModel>, gate: Rc<RefCell<RecheckGate>>) -> Self {
        Self { model, gate }
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

    /// Starts a sign-in that returns to `return_to`: a full-page navigation to
    /// `/api/auth/login?returnTo=...`.
    pub fn login(&self, return_to: &str) {
        browser::start_login(&login_url(return_to));
    }

    /// Starts a sign-up (the provider's sign-up form first).
    pub fn signup(&self, return_to: &str) {
        browser::start_login(&signup_url(return_to));
    }

    /// Logs out: `POST /api/auth/logout?returnTo=<return_to>`, tells the other tabs, then a
    /// full-page navigation to where the backend says (the provider's logout page, which comes
    /// back to `return_to?signed_out=1`). Resolves only when that did not happen; a 401 (the
    /// session was already gone) is handled by the request function like any other.
    pub async fn logout(self, return_to: String) -> Result<(), ApiError> {
        let dispatcher = self.model.dispatcher();
        match services::logout(&return_to).await {
            Ok(answer) => {
                tabs::publish(TabEvent::SignedOut);
                dispatcher.dispatch(AuthAction::SignedOut);
                browser::navigate(safe_navigation_target(&answer.redirect_to).unwrap_or("/"));
                Ok(())
            }
            Err(ApiError::Unauthenticated) => Err(ApiError::Unauthenticated),
            Err(error) => {
                browser::log(&format!("logout failed: {error}"));
                dispatcher.dispatch(AuthAction::Notify(Notice::logout_failed(&error)));
                Err(error)
            }
        }
    }

    /// Checks the session again after a failed check ("Try again").
    pub fn retry(&self) {
        self.model.dispatch(AuthAction::Recheck);
        self.check(After401::Nothing);
    }

    /// Asks `/api/auth/me` again in the background (e.g. after a 403: the user's roles may have
    /// changed). The state only changes when the answer does.
    pub fn recheck(&self) {
        self.check(After401::Nothing);
    }

    /// The session ran out: confirm with `/api/auth/me` (its 401 signs the page out and says
    /// why) and tell the other tabs.
    pub fn expired(&self) {
        tabs::publish(TabEvent::Expired);
        self.check(After401::Expired);
    }

    /// Closes the current message.
    pub fn dismiss_notice(&self) {
        self.model.dispatch(AuthAction::DismissNotice);
    }

    /// Asks `/api/auth/me` now (another tab said something changed).
    pub(crate) fn check(&self, after_401: After401) {
        self.gate.borrow_mut().start(browser::now_ms());
        self.spawn_check(after_401);
    }

    /// A background check after the tab regained focus or visibility, unless one runs or ran
    /// moments ago.
    pub(crate) fn revalidate(&self) {
        if self.gate.borrow_mut().try_start(browser::now_ms()) {
            self.spawn_check(After401::Nothing);
        }
    }

    /// A background check after a route change, unless one runs: a session ended elsewhere
    /// shows on the next click.
    pub(crate) fn revalidate_after_navigation(&self) {
        if self
            .gate
            .borrow_mut()
            .try_start_navigation(browser::now_ms())
        {
            self.spawn_check(After401::Nothing);
        }
    }

    fn spawn_check(&self, after_401: After401) {
        let (dispatcher, gate) = (self.model.dispatcher(), self.gate.clone());
        spawn_local(async move {
            check_session(dispatcher, gate, after_401).await;
        });
    }
}

/// Asks `/api/auth/me` and feeds the answer to the state machine. The request function already
/// reported a 401; `after_401` adds why. Returns the user, if signed in.
pub(crate) async fn check_session(
    dispatcher: UseReducerDispatcher<AuthModel>,
    gate: Rc<RefCell<RecheckGate>>,
    after_401: After401,
) -> Option<User> {
    let result = services::fetch_me().await;
    gate.borrow_mut().finish();
    match result {
        Ok(user) => {
            dispatcher.dispatch(AuthAction::Loaded(user.clone()));
            Some(user)
        }
        Err(ApiError::Unauthenticated) => {
            match after_401 {
                After401::Nothing => {}
                After401::SignedOutElsewhere => dispatcher.dispatch(AuthAction::SignedOutElsewhere),
                After401::Expired => dispatcher.dispatch(AuthAction::Expired),
            }
            None
        }
        Err(error) => {
            browser::log(&format!("session check failed: {error}"));
            dispatcher.dispatch(AuthAction::LoadFailed(error));
            None
        }
    }
}

/// The auth handle of the surrounding `AuthProvider`.
#[hook]
pub fn use_auth() -> AuthHandle {
    use_context::<AuthHandle>().expect("use_auth() needs an <AuthProvider> above it")
}

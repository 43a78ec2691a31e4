//! `<AuthProvider>` and `use_auth()`: the auth state, shared with everything below.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use shared::{LogoutResponse, User};
use wasm_bindgen_futures::spawn_local;
use web_sys::VisibilityState;
use yew::prelude::*;

use crate::api::ApiClient;
use crate::browser;
use crate::error::ApiError;
use crate::recheck::RecheckGate;
use crate::state::{Action, AuthNotice, AuthState, Model, StartUp};
use crate::tab_event::TabEvent;
use crate::tabs::TabChannel;
use crate::urls::{logout_path, normalize_prefix, safe_navigation_target, LoginOptions};

/// The properties of [`AuthProvider`].
#[derive(Properties, PartialEq)]
pub struct AuthProviderProps {
    /// Where the backend's API is mounted: the auth routes are `{api_prefix}/auth/me`,
    /// `{api_prefix}/auth/login`, ... (default `/api`).
    #[prop_or(AttrValue::Static("/api"))]
    pub api_prefix: AttrValue,
    /// What the page was opened with. Default: [`StartUp::take`] on the first render; pass
    /// one taken before a router starts if the app has one.
    #[prop_or_default]
    pub start: Option<StartUp>,
    /// The app.
    #[prop_or_default]
    pub children: Html,
}

/// Runs the auth state machine and shares it through [`use_auth`] and [`use_api`](crate::use_api).
///
/// On mount it asks `GET {api_prefix}/auth/me` who is signed in (a tab back from a sign-in it
/// started tells the other tabs). It asks again, once per event:
/// - when another tab says someone signed in or out, or the session expired (a
///   `BroadcastChannel`, or `storage` events where there is none);
/// - when the tab regains focus or becomes visible (at most once every few seconds, never
///   while a check runs).
///
/// ```
/// use ferris_login_yew::{use_auth, AuthProvider};
/// use yew::prelude::*;
///
/// #[component]
/// fn App() -> Html {
///     html! {
///         <AuthProvider api_prefix="/api">
///             <Greeting />
///         </AuthProvider>
///     }
/// }
///
/// #[component]
/// fn Greeting() -> Html {
///     let auth = use_auth();
///     match auth.user() {
///         Some(user) => html! { <p>{ format!("Hello, {}", user.display_name()) }</p> },
///         None => html! {},
///     }
/// }
/// ```
#[component]
pub fn AuthProvider(props: &AuthProviderProps) -> Html {
    let start = use_mut_ref(|| props.start.clone().unwrap_or_else(StartUp::take));
    let model = {
        let start = start.clone();
        use_reducer(move || Model::starting(&start.borrow()))
    };
    let gate = use_mut_ref(RecheckGate::default);
    let tabs = use_mut_ref(|| None::<TabChannel>);
    let api = {
        let dispatcher = model.dispatcher();
        use_memo((), move |_| {
            ApiClient::new(Callback::from(move |()| {
                dispatcher.dispatch(Action::Unauthenticated)
            }))
        })
    };
    let handle = AuthHandle {
        model: model.clone(),
        inner: Rc::new(Inner {
            gate,
            tabs,
            api: (*api).clone(),
            prefix: normalize_prefix(&props.api_prefix).into(),
            login_started: start.borrow().login_started,
        }),
    };

    {
        let handle = handle.clone();
        let login_started = start.borrow().login_started;
        use_effect_with((), move |_| {
            let channel = {
                let handle = handle.clone();
                TabChannel::open(Callback::from(move |event: TabEvent| match event {
                    TabEvent::SignedIn => handle.check(After401::Nothing),
                    TabEvent::SignedOut => handle.check(After401::SignedOutElsewhere),
                    TabEvent::Expired => handle.check(After401::Expired),
                    TabEvent::Extended => handle.model.dispatch(Action::ExtendedElsewhere),
                }))
            };
            *handle.inner.tabs.borrow_mut() = Some(channel);

            handle.inner.gate.borrow_mut().start(browser::now_ms());
            {
                let handle = handle.clone();
                spawn_local(async move {
                    let user = handle.check_session(After401::Nothing).await;
                    if login_started && user.is_some() {
                        handle.publish(TabEvent::SignedIn);
                    }
                });
            }

            let on_visible = browser::document().map(|document| {
                let target = document.clone();
                let handle = handle.clone();
                EventListener::new(&target, "visibilitychange", move |_| {
                    if document.visibility_state() == VisibilityState::Visible {
                        handle.revalidate();
                    }
                })
            });
            let on_focus = web_sys::window().map(|window| {
                let handle = handle.clone();
                EventListener::new(&window, "focus", move |_| handle.revalidate())
            });

            move || {
                drop(on_focus);
                drop(on_visible);
                handle.inner.tabs.borrow_mut().take();
            }
        });
    }

    html! {
        <ContextProvider<AuthHandle> context={handle}>
            { props.children.clone() }
        </ContextProvider<AuthHandle>>
    }
}

/// What a 401 from a session check means beyond "no session".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After401 {
    /// Nothing more (the client already reported the 401).
    Nothing,
    /// Another tab signed out.
    SignedOutElsewhere,
    /// The session ran out.
    Expired,
}

/// What stays the same for the provider's lifetime.
struct Inner {
    gate: Rc<RefCell<RecheckGate>>,
    tabs: Rc<RefCell<Option<TabChannel>>>,
    api: ApiClient,
    prefix: String,
    /// This page load is the return from a sign-in started in this tab.
    login_started: bool,
}

/// What [`use_auth`] returns: the auth state and what can be done about it.
#[derive(Clone)]
pub struct AuthHandle {
    model: UseReducerHandle<Model>,
    inner: Rc<Inner>,
}

impl PartialEq for AuthHandle {
    fn eq(&self, other: &Self) -> bool {
        self.model == other.model
            && Rc::ptr_eq(&self.inner.gate, &other.inner.gate)
            && self.inner.prefix == other.inner.prefix
    }
}

impl std::fmt::Debug for AuthHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthHandle")
            .field("state", self.state())
            .field("notice", &self.notice())
            .finish()
    }
}

impl AuthHandle {
    /// Who is using the app, as far as it knows.
    pub fn state(&self) -> &AuthState {
        &self.model.state
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        self.model.user()
    }

    /// Whether this page load came back signed in from a sign-in started in this tab: the
    /// moment to tell the person it worked ("Signed in as Ada", politely).
    pub fn just_signed_in(&self) -> bool {
        self.inner.login_started && self.user().is_some()
    }

    /// What the app should tell the person about the session, if anything.
    pub fn notice(&self) -> Option<&AuthNotice> {
        self.model.notice.as_ref()
    }

    /// Closes the current notice.
    pub fn dismiss_notice(&self) {
        self.model.dispatch(Action::DismissNotice);
    }

    /// Where the API is mounted (`/api`, no trailing slash).
    pub fn api_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The API client bound to this provider (as [`use_api`](crate::use_api) returns it).
    pub fn api(&self) -> ApiClient {
        self.inner.api.clone()
    }

    /// The URL of a sign-in with `options`, for a link (give the link
    /// [`AuthHandle::on_login_link`] as its `onclick`).
    pub fn login_url(&self, options: &LoginOptions) -> String {
        options.to_url(self.api_prefix())
    }

    /// The `onclick` of a link to [`AuthHandle::login_url`]: notes that this tab starts a
    /// sign-in (it tells the other tabs once it comes back signed in).
    pub fn on_login_link<E: 'static>(&self) -> Callback<E> {
        Callback::from(|_| browser::mark_login_started())
    }

    /// Starts a sign-in now: a full-page navigation to `{api_prefix}/auth/login?...`.
    pub fn login(&self, options: &LoginOptions) {
        browser::start_login(&self.login_url(options));
    }

    /// A callback (e.g. a button's `onclick`) that starts a sign-in with `options`.
    pub fn on_login<E: 'static>(&self, options: LoginOptions) -> Callback<E> {
        let auth = self.clone();
        Callback::from(move |_| auth.login(&options))
    }

    /// Logs out: `POST {api_prefix}/auth/logout?returnTo=<return_to>`, tells the other tabs,
    /// then a full-page navigation to where the backend says (the provider's logout page,
    /// which comes back to `return_to?signed_out=1`). Resolves with an error only when that
    /// did not happen; the error is also the current [`AuthNotice::LogoutFailed`] (a 401, the
    /// session already gone, signs the page out instead).
    pub async fn logout(self, return_to: String) -> Result<(), ApiError> {
        let path = logout_path(self.api_prefix(), &return_to);
        match self.inner.api.post::<LogoutResponse>(&path).await {
            Ok(answer) => {
                self.publish(TabEvent::SignedOut);
                self.model.dispatch(Action::SignedOut);
                let target = safe_navigation_target(&answer.redirect_to, self.api_prefix());
                browser::navigate(target.unwrap_or("/"));
                Ok(())
            }
            Err(ApiError::Unauthenticated) => Err(ApiError::Unauthenticated),
            Err(error) => {
                browser::log(&format!("logout failed: {error}"));
                self.model.dispatch(Action::LogoutFailed(error.clone()));
                Err(error)
            }
        }
    }

    /// A callback (e.g. a button's `onclick`) that logs out and comes back to `return_to`
    /// (a failure becomes the current notice).
    pub fn on_logout<E: 'static>(&self, return_to: impl Into<String>) -> Callback<E> {
        let auth = self.clone();
        let return_to = return_to.into();
        Callback::from(move |_| {
            let (auth, return_to) = (auth.clone(), return_to.clone());
            spawn_local(async move {
                // A failure is the notice.
                let _ = auth.logout(return_to).await;
            });
        })
    }

    /// Asks `{api_prefix}/auth/me` again: after a failed check ("Try again", the state goes
    /// back to loading), or in the background (e.g. after a 403: the roles may have changed;
    /// the state only changes when the answer does).
    pub fn recheck(&self) {
        self.model.dispatch(Action::Recheck);
        self.check(After401::Nothing);
    }

    /// Asks `{api_prefix}/auth/me` after a route change, unless a check is running: a session
    /// ended elsewhere shows on the next click.
    pub fn recheck_after_navigation(&self) {
        if self
            .inner
            .gate
            .borrow_mut()
            .try_start_navigation(browser::now_ms())
        {
            self.spawn_check(After401::Nothing);
        }
    }

    /// How many times another tab extended the session.
    pub(crate) fn extended_elsewhere(&self) -> u64 {
        self.model.extended_elsewhere
    }

    /// The session ran out: confirm with `/auth/me` (its 401 signs the page out and says why)
    /// and tell the other tabs.
    pub(crate) fn expired(&self) {
        self.publish(TabEvent::Expired);
        self.check(After401::Expired);
    }

    /// Tells the other tabs.
    pub(crate) fn publish(&self, event: TabEvent) {
        if let Some(channel) = self.inner.tabs.borrow().as_ref() {
            channel.publish(event);
        }
    }

    /// Asks `/auth/me` now (another tab said something changed).
    fn check(&self, after_401: After401) {
        self.inner.gate.borrow_mut().start(browser::now_ms());
        self.spawn_check(after_401);
    }

    /// A background check after the tab regained focus or visibility, unless one runs or ran
    /// moments ago.
    fn revalidate(&self) {
        if self.inner.gate.borrow_mut().try_start(browser::now_ms()) {
            self.spawn_check(After401::Nothing);
        }
    }

    fn spawn_check(&self, after_401: After401) {
        let handle = self.clone();
        spawn_local(async move {
            handle.check_session(after_401).await;
        });
    }

    /// Asks `/auth/me` and feeds the answer to the state machine. The client already reported
    /// a 401; `after_401` adds why. Returns the user, if signed in.
    async fn check_session(&self, after_401: After401) -> Option<User> {
        let (name, value) = shared::ME_VISITOR_PARAM;
        let path = format!("{}/auth/me?{name}={value}", self.api_prefix());
        // A visitor is a `204` here, not a 401: signed out is an answer, and the console
        // shows no failed request. It is reported to the state exactly as a 401 would be.
        let result = match self.inner.api.get::<Option<User>>(&path).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => self.inner.api.report(Err(ApiError::Unauthenticated)),
            Err(error) => Err(error),
        };
        self.inner.gate.borrow_mut().finish();
        match result {
            Ok(user) => {
                self.model.dispatch(Action::Loaded(user.clone()));
                Some(user)
            }
            Err(ApiError::Unauthenticated) => {
                match after_401 {
                    After401::Nothing => {}
                    After401::SignedOutElsewhere => self.model.dispatch(Action::SignedOutElsewhere),
                    After401::Expired => self.model.dispatch(Action::Expired),
                }
                None
            }
            Err(error) => {
                browser::log(&format!("session check failed: {error}"));
                self.model.dispatch(Action::LoadFailed(error));
                None
            }
        }
    }
}

/// The auth state of the surrounding [`AuthProvider`], and what can be done about it.
///
/// Never panics. Without an [`AuthProvider`] above the component it writes a console error
/// naming the mistake and returns a detached handle: its state is
/// [`AuthState::Unavailable`] (so [`RequireAuth`](crate::RequireAuth) shows its "unavailable"
/// view and never sends the browser round a login loop), and it watches nothing. Use
/// [`use_auth_if_provided`] to tell the two cases apart.
///
/// ```
/// use ferris_login_yew::{use_auth, LoginOptions};
/// use yew::prelude::*;
///
/// #[component]
/// fn SessionButton() -> Html {
///     let auth = use_auth();
///     match auth.user() {
///         Some(_) => html! { <button onclick={auth.on_logout("/")}>{ "Log out" }</button> },
///         None => html! {
///             <button onclick={auth.on_login(LoginOptions::return_to("/"))}>{ "Log in" }</button>
///         },
///     }
/// }
/// ```
#[hook]
pub fn use_auth() -> AuthHandle {
    let context = use_context::<AuthHandle>();
    // Hooks run in the same order on every render: the stand-in's state always exists.
    let detached = use_reducer(|| {
        Model::fixed(AuthState::Unavailable(ApiError::Network(
            NO_PROVIDER.to_string(),
        )))
    });
    let warned = use_mut_ref(|| false);
    match context {
        Some(handle) => handle,
        None => {
            if !std::mem::replace(&mut *warned.borrow_mut(), true) {
                browser::error(NO_PROVIDER);
            }
            AuthHandle {
                model: detached,
                inner: Rc::new(Inner {
                    gate: Rc::default(),
                    tabs: Rc::default(),
                    api: ApiClient::new(Callback::noop()),
                    prefix: "/api".into(),
                    login_started: false,
                }),
            }
        }
    }
}

/// The auth state of the surrounding [`AuthProvider`], or `None` without one.
#[hook]
pub fn use_auth_if_provided() -> Option<AuthHandle> {
    use_context::<AuthHandle>()
}

/// What [`use_auth`] says when there is no provider.
const NO_PROVIDER: &str = "use_auth() was called in a component with no <AuthProvider> above it: \
wrap the app (inside the router, around everything that signs in or out) in <AuthProvider>";

//! `use_session_expiry()`: the deadlines of the signed-in session, and "stay signed in". The
//! timing is [`crate::expiry`] (pure, tested natively); what to show is the app's.
//!
//! While signed in it reads `GET {prefix}/auth/session` (which extends nothing) after sign-in,
//! again at each moment the timing names, when another tab extended the session, and when the
//! tab becomes visible again. At the end, the `401` of the next read signs the page out as
//! expired, and the other tabs hear of it.

use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use shared::{OffsetDateTime, SessionStatus};
use time::Duration;
use wasm_bindgen_futures::spawn_local;
use web_sys::VisibilityState;
use yew::prelude::*;

use crate::browser;
use crate::error::ApiError;
use crate::expiry::{Assessment, ExpiryTracker};
use crate::provider::use_auth;
use crate::tab_event::TabEvent;

/// What [`use_session_expiry`] knows about the signed-in session's end. All `None` while
/// nobody is signed in or nothing is near.
#[derive(Clone, PartialEq)]
pub struct SessionExpiry {
    /// The session is about to end for inactivity, at this instant (on this device's clock):
    /// ask whether to stay signed in ([`SessionExpiry::extend`]). Comes two minutes ahead, or
    /// a quarter of the idle timeout when that is shorter (at least 30 seconds, or half a
    /// shorter timeout).
    pub idle_warning: Option<OffsetDateTime>,
    /// The session ends at this instant (its absolute deadline, on this device's clock) and
    /// cannot be extended.
    pub ending_at: Option<OffsetDateTime>,
    /// [`SessionExpiry::extend`] is running.
    pub extending: bool,
    /// Why the last [`SessionExpiry::extend`] failed.
    pub extend_error: Option<ApiError>,
    extend: Callback<()>,
    activity: Callback<()>,
}

impl std::fmt::Debug for SessionExpiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionExpiry")
            .field("idle_warning", &self.idle_warning)
            .field("ending_at", &self.ending_at)
            .field("extending", &self.extending)
            .field("extend_error", &self.extend_error)
            .finish()
    }
}

impl SessionExpiry {
    /// "Stay signed in": `POST {prefix}/auth/session/extend` pushes the idle deadline back
    /// (the other tabs hear of it). Does nothing while one runs.
    pub fn extend(&self) {
        self.extend.emit(());
    }

    /// The person did something on the page (typed, say): when the idle warning is near, the
    /// session is extended quietly, so the warning does not interrupt them; otherwise nothing
    /// is sent. Call it from your input handlers.
    pub fn activity(&self) {
        self.activity.emit(());
    }
}

/// What the watch knows.
#[derive(Debug, Clone, Default, PartialEq)]
struct Watch {
    /// Bumped for each signed-in user: answers for an earlier one are dropped.
    generation: u64,
    /// Someone is signed in.
    active: bool,
    tracker: Option<ExpiryTracker>,
    assessment: Option<Assessment>,
    /// Bumped to ask for a fresh read of the status.
    looks: u64,
    extending: bool,
    extend_error: Option<ApiError>,
}

enum WatchAction {
    Reset { active: bool },
    Look,
    Observed(u64, SessionStatus, OffsetDateTime),
    ExtendStarted,
    ExtendFailed(u64, ApiError),
}

impl Reducible for Watch {
    type Action = WatchAction;

    fn reduce(self: Rc<Self>, action: WatchAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            WatchAction::Reset { active } => {
                next = Watch {
                    generation: self.generation + 1,
                    active,
                    looks: self.looks + 1,
                    ..Watch::default()
                };
            }
            WatchAction::Look => next.looks += 1,
            WatchAction::Observed(generation, status, received_at) => {
                if generation != self.generation || !self.active {
                    return self;
                }
                let tracker = ExpiryTracker::observe(self.tracker.as_ref(), &status, received_at);
                next.assessment = Some(tracker.assess(received_at));
                next.tracker = Some(tracker);
                next.extending = false;
                next.extend_error = None;
            }
            WatchAction::ExtendStarted => {
                next.extending = true;
                next.extend_error = None;
            }
            WatchAction::ExtendFailed(generation, error) => {
                if generation != self.generation {
                    return self;
                }
                next.extending = false;
                next.extend_error = Some(error);
            }
        }
        Rc::new(next)
    }
}

/// Watches the signed-in session's deadlines (under an [`AuthProvider`](crate::AuthProvider)).
///
/// Render the warnings your way; the watch signs the page out as expired at the end.
///
/// ```
/// use ferris_login_yew::use_session_expiry;
/// use yew::prelude::*;
///
/// #[component]
/// fn StillThere() -> Html {
///     let expiry = use_session_expiry();
///     let stay = {
///         let expiry = expiry.clone();
///         Callback::from(move |_: MouseEvent| expiry.extend())
///     };
///     match expiry.idle_warning {
///         Some(_) => html! {
///             <div role="alertdialog">
///                 <p>{ "You will be signed out soon." }</p>
///                 <button onclick={stay}>{ "Stay signed in" }</button>
///             </div>
///         },
///         None => html! {},
///     }
/// }
/// ```
#[hook]
pub fn use_session_expiry() -> SessionExpiry {
    let auth = use_auth();
    let watch = use_reducer(Watch::default);
    let session_path = format!("{}/auth/session", auth.api_prefix());
    let extend_path = format!("{}/auth/session/extend", auth.api_prefix());

    // Start afresh for each signed-in user (and stop when nobody is).
    {
        let dispatcher = watch.dispatcher();
        let signed_in_as = auth.user().map(|u| (u.issuer.clone(), u.sub.clone()));
        use_effect_with(signed_in_as, move |who| {
            dispatcher.dispatch(WatchAction::Reset {
                active: who.is_some(),
            })
        });
    }

    // Read the status whenever a look is asked for.
    {
        let dispatcher = watch.dispatcher();
        let auth = auth.clone();
        let (active, generation, tracker) = (watch.active, watch.generation, watch.tracker);
        use_effect_with(watch.looks, move |_| {
            if !active {
                return;
            }
            spawn_local(async move {
                match auth.api().get::<SessionStatus>(&session_path).await {
                    Ok(status) => dispatcher.dispatch(WatchAction::Observed(
                        generation,
                        status,
                        browser::now(),
                    )),
                    // The end has come (or passed): say "expired", and tell the other tabs.
                    Err(ApiError::Unauthenticated) => {
                        let ended = tracker.is_some_and(|t| {
                            t.deadlines.end() <= browser::now() + Duration::seconds(5)
                        });
                        if ended {
                            auth.expired();
                        }
                    }
                    Err(error) => {
                        // Look again a little later; nothing to show for a hiccup.
                        browser::log(&format!("reading the session's deadlines failed: {error}"));
                        Timeout::new(30_000, move || dispatcher.dispatch(WatchAction::Look))
                            .forget();
                    }
                }
            });
        });
    }

    // Sleep until the next moment that matters.
    {
        let dispatcher = watch.dispatcher();
        let wake_at = watch.assessment.filter(|_| watch.active).map(|a| a.wake_at);
        use_effect_with(wake_at, move |wake_at| {
            let timer = wake_at.map(|at| {
                let millis = (at - browser::now())
                    .whole_milliseconds()
                    .clamp(0, i128::from(u32::MAX));
                Timeout::new(millis as u32, move || {
                    dispatcher.dispatch(WatchAction::Look)
                })
            });
            move || drop(timer)
        });
    }

    // Another tab extended the session: look.
    {
        let dispatcher = watch.dispatcher();
        use_effect_with(auth.extended_elsewhere(), move |count| {
            if *count > 0 {
                dispatcher.dispatch(WatchAction::Look);
            }
        });
    }

    // This tab is visible again: look.
    {
        let dispatcher = watch.dispatcher();
        use_effect_with((), move |_| {
            let on_visible = browser::document().map(|document| {
                let target = document.clone();
                EventListener::new(&target, "visibilitychange", move |_| {
                    if document.visibility_state() == VisibilityState::Visible {
                        dispatcher.dispatch(WatchAction::Look);
                    }
                })
            });
            move || drop(on_visible)
        });
    }

    let extend = {
        let dispatcher = watch.dispatcher();
        let (extending, generation) = (watch.extending, watch.generation);
        Callback::from(move |()| {
            if extending {
                return;
            }
            dispatcher.dispatch(WatchAction::ExtendStarted);
            let (dispatcher, auth, path) = (dispatcher.clone(), auth.clone(), extend_path.clone());
            spawn_local(async move {
                match auth.api().post::<SessionStatus>(&path).await {
                    Ok(status) => {
                        auth.publish(TabEvent::Extended);
                        dispatcher.dispatch(WatchAction::Observed(
                            generation,
                            status,
                            browser::now(),
                        ));
                    }
                    Err(ApiError::Unauthenticated) => auth.expired(),
                    Err(error) => {
                        browser::log(&format!("extending the session failed: {error}"));
                        dispatcher.dispatch(WatchAction::ExtendFailed(generation, error));
                    }
                }
            });
        })
    };

    let activity = {
        let extend = extend.clone();
        let tracker = watch.tracker.filter(|_| watch.active && !watch.extending);
        Callback::from(move |()| {
            if tracker.is_some_and(|t| t.activity_extends(browser::now())) {
                extend.emit(());
            }
        })
    };

    let shown = watch.assessment.zip(watch.tracker).filter(|_| watch.active);
    SessionExpiry {
        idle_warning: shown.and_then(|(a, t)| a.idle_warning.then_some(t.deadlines.idle)),
        ending_at: shown.and_then(|(a, t)| a.ending_soon.then_some(t.deadlines.absolute)),
        extending: watch.extending,
        extend_error: watch.extend_error.clone(),
        extend,
        activity,
    }
}

#[cfg(test)]
mod tests {
    use shared::Uuid;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-27 14:00:00 UTC);

    fn status(idle_in: Duration) -> SessionStatus {
        SessionStatus {
            id: Uuid::from_u128(7),
            idle_expires_at: NOW + idle_in,
            absolute_expires_at: NOW + Duration::days(7),
            access_token_expires_at: None,
            now: NOW,
        }
    }

    fn apply(watch: Watch, actions: impl IntoIterator<Item = WatchAction>) -> Watch {
        let mut watch = Rc::new(watch);
        for action in actions {
            watch = watch.reduce(action);
        }
        (*watch).clone()
    }

    #[test]
    fn a_sign_in_starts_a_fresh_watch_and_asks_for_a_look() {
        let watch = apply(
            Watch::default(),
            [
                WatchAction::Reset { active: true },
                WatchAction::Observed(1, status(Duration::seconds(60)), NOW),
            ],
        );
        assert!(watch.active && watch.tracker.is_some());
        assert_eq!(watch.looks, 1);
        assert_eq!(
            watch.assessment.unwrap().wake_at,
            NOW + Duration::seconds(30),
            "half a minute ahead (the shortest warning for a one-minute timeout)"
        );
        let again = apply(watch, [WatchAction::Reset { active: true }]);
        assert_eq!(again.tracker, None, "another user starts afresh");
        assert_eq!((again.generation, again.looks), (2, 2));
    }

    #[test]
    fn answers_for_an_earlier_user_or_after_sign_out_are_dropped() {
        let watch = apply(
            Watch::default(),
            [
                WatchAction::Reset { active: true },
                WatchAction::Reset { active: true },
                WatchAction::Observed(1, status(Duration::seconds(60)), NOW),
                WatchAction::ExtendFailed(1, ApiError::Network("x".into())),
            ],
        );
        assert_eq!(watch.tracker, None);
        assert_eq!(watch.extend_error, None);
        let signed_out = apply(
            Watch::default(),
            [
                WatchAction::Reset { active: false },
                WatchAction::Observed(1, status(Duration::seconds(60)), NOW),
            ],
        );
        assert_eq!(signed_out.assessment, None);
    }

    #[test]
    fn an_answer_ends_the_extension_and_a_failure_is_kept() {
        let watch = apply(
            Watch::default(),
            [
                WatchAction::Reset { active: true },
                WatchAction::ExtendStarted,
            ],
        );
        assert!(watch.extending);
        let failed = apply(
            watch.clone(),
            [WatchAction::ExtendFailed(1, ApiError::Network("x".into()))],
        );
        assert!(!failed.extending);
        assert_eq!(failed.extend_error, Some(ApiError::Network("x".into())));
        let done = apply(
            failed,
            [WatchAction::Observed(1, status(Duration::minutes(30)), NOW)],
        );
        assert!(!done.extending && done.extend_error.is_none());
        assert!(!done.assessment.unwrap().idle_warning);
    }
}

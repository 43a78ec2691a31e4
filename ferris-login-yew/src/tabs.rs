//! The cross-tab channel: what one tab publishes, every other open tab of the app hears within
//! milliseconds, without polling.
//!
//! A `BroadcastChannel` named [`CHANNEL`] carries the event's name. Where the browser has no
//! `BroadcastChannel`, the event is written as `name@timestamp` to the `localStorage` key
//! [`STORAGE_KEY`] and removed at once: the other tabs get a `storage` event for the write
//! (the removal, and the writing tab itself, hear nothing). No user data, no token, nothing
//! left in storage.
//!
//! One channel per `AuthProvider` (a `BroadcastChannel` does not deliver to the object that
//! posted), owned by it: no global state.

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent, StorageEvent};
use yew::Callback;

use crate::browser;
use crate::tab_event::{TabEvent, CHANNEL, STORAGE_KEY};

/// This tab's end of the channel, with its listener; dropping it stops listening.
pub(crate) struct TabChannel {
    channel: Option<BroadcastChannel>,
    _listener: Option<EventListener>,
}

impl TabChannel {
    /// Opens the channel; `on_event` hears what the other tabs publish.
    pub(crate) fn open(on_event: Callback<TabEvent>) -> Self {
        match BroadcastChannel::new(CHANNEL) {
            Ok(channel) => {
                let listener = EventListener::new(&channel, "message", move |event| {
                    let text = event
                        .dyn_ref::<MessageEvent>()
                        .and_then(|m| m.data().as_string());
                    if let Some(event) = text.as_deref().and_then(TabEvent::parse) {
                        on_event.emit(event);
                    }
                });
                TabChannel {
                    channel: Some(channel),
                    _listener: Some(listener),
                }
            }
            Err(_) => {
                browser::log("no BroadcastChannel: tabs talk through storage events");
                let listener = web_sys::window().map(|window| {
                    EventListener::new(&window, "storage", move |event| {
                        let Some(event) = event.dyn_ref::<StorageEvent>() else {
                            return;
                        };
                        if event.key().as_deref() != Some(STORAGE_KEY) {
                            return;
                        }
                        if let Some(event) =
                            TabEvent::from_storage_value(event.new_value().as_deref())
                        {
                            on_event.emit(event);
                        }
                    })
                });
                TabChannel {
                    channel: None,
                    _listener: listener,
                }
            }
        }
    }

    /// Tells every other open tab of the app.
    pub(crate) fn publish(&self, event: TabEvent) {
        match &self.channel {
            Some(channel) => {
                if channel
                    .post_message(&JsValue::from_str(event.as_str()))
                    .is_err()
                {
                    browser::log("could not post on the tab channel");
                }
            }
            None => {
                let Some(storage) = browser::local_storage() else {
                    return;
                };
                let written = storage
                    .set_item(STORAGE_KEY, &event.storage_value(browser::now_ms()))
                    .is_ok();
                // Leave nothing behind (the other tabs already have their event).
                let removed = storage.remove_item(STORAGE_KEY).is_ok();
                if !(written && removed) {
                    browser::log("could not tell the other tabs through storage");
                }
            }
        }
    }
}

impl Drop for TabChannel {
    fn drop(&mut self) {
        if let Some(channel) = &self.channel {
            channel.close();
        }
    }
}

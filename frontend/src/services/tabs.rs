//! The cross-tab channel: what one tab publishes, every other open tab of the app hears within
//! milliseconds, without polling.
//!
//! A `BroadcastChannel` named [`CHANNEL`] carries the event's name. Where the browser has no
//! `BroadcastChannel`, the event is written as `name@timestamp` to the `localStorage` key
//! [`STORAGE_KEY`] and removed at once: the other tabs get a `storage` event for the write
//! (the removal, and the writing tab itself, hear nothing). No user data, no token, nothing
//! left in storage.
//!
//! One channel object per tab (a `BroadcastChannel` also delivers to the other objects of the
//! same tab), shared by every subscriber through a thread-local hub.

use std::cell::{Cell, RefCell};

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent, StorageEvent};
use yew::Callback;

use crate::auth::tab_event::{TabEvent, CHANNEL, STORAGE_KEY};
use crate::browser;

thread_local! {
    static HUB: RefCell<Option<Hub>> = const { RefCell::new(None) };
    static SUBSCRIBERS: RefCell<Vec<(u64, Callback<TabEvent>)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// The tab's end of the channel, with its listener.
struct Hub {
    channel: Option<BroadcastChannel>,
    _listener: Option<EventListener>,
}

impl Hub {
    fn open() -> Self {
        match BroadcastChannel::new(CHANNEL) {
            Ok(channel) => {
                let listener = EventListener::new(&channel, "message", |event| {
                    let text = event
                        .dyn_ref::<MessageEvent>()
                        .and_then(|m| m.data().as_string());
                    if let Some(event) = text.as_deref().and_then(TabEvent::parse) {
                        deliver(event);
                    }
                });
                Hub {
                    channel: Some(channel),
                    _listener: Some(listener),
                }
            }
            Err(_) => {
                browser::log("no BroadcastChannel: tabs talk through storage events");
                let listener = web_sys::window().map(|window| {
                    EventListener::new(&window, "storage", |event| {
                        let Some(event) = event.dyn_ref::<StorageEvent>() else {
                            return;
                        };
                        if event.key().as_deref() != Some(STORAGE_KEY) {
                            return;
                        }
                        if let Some(event) =
                            TabEvent::from_storage_value(event.new_value().as_deref())
                        {
                            deliver(event);
                        }
                    })
                });
                Hub {
                    channel: None,
                    _listener: listener,
                }
            }
        }
    }
}

fn with_hub<R>(f: impl FnOnce(&Hub) -> R) -> R {
    HUB.with(|hub| {
        let mut hub = hub.borrow_mut();
        f(hub.get_or_insert_with(Hub::open))
    })
}

fn deliver(event: TabEvent) {
    // Clone out first: a subscriber may subscribe or unsubscribe while handling it.
    let subscribers: Vec<Callback<TabEvent>> =
        SUBSCRIBERS.with(|s| s.borrow().iter().map(|(_, cb)| cb.clone()).collect());
    for subscriber in subscribers {
        subscriber.emit(event);
    }
}

/// Tells every other open tab of the app.
pub fn publish(event: TabEvent) {
    let posted = with_hub(|hub| {
        hub.channel.as_ref().map(|channel| {
            channel
                .post_message(&JsValue::from_str(event.as_str()))
                .is_ok()
        })
    });
    match posted {
        Some(true) => {}
        Some(false) => browser::log("could not post on the tab channel"),
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

/// Keeps a subscription; dropping it unsubscribes.
#[must_use = "the subscription ends as soon as this is dropped"]
pub struct Subscription {
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        SUBSCRIBERS.with(|s| s.borrow_mut().retain(|(id, _)| *id != self.id));
    }
}

/// Hears what the other tabs publish.
pub fn subscribe(callback: Callback<TabEvent>) -> Subscription {
    with_hub(|_| ());
    let id = NEXT_ID.with(|next| {
        let id = next.get();
        next.set(id + 1);
        id
    });
    SUBSCRIBERS.with(|s| s.borrow_mut().push((id, callback)));
    Subscription { id }
}

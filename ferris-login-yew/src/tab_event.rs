//! What one tab tells the others about the session, and how it travels: the event's name on
//! a `BroadcastChannel`, or (where that is missing) `name@timestamp` written to one
//! `localStorage` key, whose `storage` event the other tabs receive. Never user data, never a
//! token: the receiving tab asks `/api/auth/me` itself.

/// The `BroadcastChannel` name.
pub(crate) const CHANNEL: &str = "ferris-login-auth";
/// The `localStorage` key of the fallback (removed again right after the write).
pub(crate) const STORAGE_KEY: &str = "ferris-login-auth";

/// Something that changed the session, in some tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TabEvent {
    /// Someone signed in.
    SignedIn,
    /// Someone signed out.
    SignedOut,
    /// The session ran out.
    Expired,
    /// The session's idle deadline was pushed back ("Stay signed in").
    Extended,
}

impl TabEvent {
    pub(crate) const ALL: [TabEvent; 4] = [
        TabEvent::SignedIn,
        TabEvent::SignedOut,
        TabEvent::Expired,
        TabEvent::Extended,
    ];

    /// The message posted on the channel.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TabEvent::SignedIn => "signed-in",
            TabEvent::SignedOut => "signed-out",
            TabEvent::Expired => "expired",
            TabEvent::Extended => "extended",
        }
    }

    /// A message from the channel; anything else is ignored.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }

    /// The value written to [`STORAGE_KEY`]: the time makes every write a change, so the same
    /// event twice still fires `storage` in the other tabs.
    pub(crate) fn storage_value(self, now_ms: f64) -> String {
        // Whole milliseconds as an integer: formatting an `f64` would pull the float printer
        // (about 10 KiB of wasm) into every app for this one line.
        let millis = now_ms.max(0.0) as u64;
        format!("{}@{millis}", self.as_str())
    }

    /// The event in a [`TabEvent::storage_value`]; the removal (no value) and anything
    /// foreign are `None`.
    pub(crate) fn from_storage_value(value: Option<&str>) -> Option<Self> {
        let (name, time) = value?.split_once('@')?;
        time.parse::<u64>().ok()?;
        Self::parse(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_on_the_channel() {
        for event in TabEvent::ALL {
            assert_eq!(TabEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(TabEvent::parse("signed-in "), None);
        assert_eq!(TabEvent::parse("{\"user\":\"x\"}"), None);
    }

    #[test]
    fn events_round_trip_through_storage_with_a_timestamp() {
        for event in TabEvent::ALL {
            let value = event.storage_value(1_733_150_000_123.7);
            assert!(value.ends_with("@1733150000123"), "{value}");
            assert_eq!(TabEvent::from_storage_value(Some(&value)), Some(event));
        }
        assert_ne!(
            TabEvent::SignedOut.storage_value(1.0),
            TabEvent::SignedOut.storage_value(2.0),
            "each write is a change"
        );
    }

    #[test]
    fn removals_and_foreign_values_are_ignored() {
        assert_eq!(TabEvent::from_storage_value(None), None);
        assert_eq!(TabEvent::from_storage_value(Some("signed-out")), None);
        assert_eq!(TabEvent::from_storage_value(Some("signed-out@x")), None);
        assert_eq!(TabEvent::from_storage_value(Some("hello@1")), None);
    }
}

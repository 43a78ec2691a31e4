//! The app's own claims on the user: a typed extension map.
//!
//! An app defines each claim once, as a type implementing [`Claim`], in a crate both of its
//! sides depend on. The backend's after-callback hook inserts it; the SPA reads it back as the
//! same type. On the wire it is one JSON object under `"extra"`, keyed by [`Claim::KEY`].

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// A custom claim: a serde type with the key it travels under.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use ferris_login_types::{Claim, Extra};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// struct Plan {
///     tier: String,
/// }
///
/// impl Claim for Plan {
///     const KEY: &'static str = "plan";
/// }
///
/// let mut extra = Extra::default();
/// extra.insert(&Plan { tier: "pro".into() }).unwrap();
/// assert_eq!(extra.get::<Plan>().unwrap(), Some(Plan { tier: "pro".into() }));
/// ```
pub trait Claim: Serialize + DeserializeOwned {
    /// The claim's key in the map (and in the JSON object).
    const KEY: &'static str;
}

/// The app's custom claims, keyed by [`Claim::KEY`]. Empty unless the app adds some.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extra(BTreeMap<String, serde_json::Value>);

impl Extra {
    /// The claim of type `C`: `Ok(None)` when absent, an error when present in another shape.
    pub fn get<C: Claim>(&self) -> Result<Option<C>, serde_json::Error> {
        self.0
            .get(C::KEY)
            .map(|value| C::deserialize(value))
            .transpose()
    }

    /// Sets the claim of type `C`, replacing any earlier value.
    pub fn insert<C: Claim>(&mut self, claim: &C) -> Result<(), serde_json::Error> {
        self.0
            .insert(C::KEY.to_owned(), serde_json::to_value(claim)?);
        Ok(())
    }

    /// Removes the claim of type `C`; whether it was there.
    pub fn remove<C: Claim>(&mut self) -> bool {
        self.0.remove(C::KEY).is_some()
    }

    /// Whether no claim is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys that are set, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Plan {
        tier: String,
        seats: u32,
    }
    impl Claim for Plan {
        const KEY: &'static str = "plan";
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Beta(bool);
    impl Claim for Beta {
        const KEY: &'static str = "beta";
    }

    #[test]
    fn a_claim_reads_back_as_the_type_it_was_inserted_as() {
        let mut extra = Extra::default();
        let plan = Plan {
            tier: "pro".into(),
            seats: 5,
        };
        extra.insert(&plan).unwrap();
        extra.insert(&Beta(true)).unwrap();
        assert_eq!(extra.get::<Plan>().unwrap(), Some(plan));
        assert_eq!(extra.get::<Beta>().unwrap(), Some(Beta(true)));
        assert_eq!(extra.keys().collect::<Vec<_>>(), ["beta", "plan"]);
    }

    #[test]
    fn absent_is_none_and_another_shape_is_an_error() {
        let extra: Extra = serde_json::from_str(r#"{"plan":"not an object"}"#).unwrap();
        assert!(extra.get::<Beta>().unwrap().is_none());
        assert!(extra.get::<Plan>().is_err());
    }

    #[test]
    fn it_is_one_json_object_keyed_by_claim() {
        let mut extra = Extra::default();
        extra.insert(&Beta(false)).unwrap();
        assert_eq!(
            serde_json::to_value(&extra).unwrap(),
            serde_json::json!({"beta": false})
        );
        assert!(extra.remove::<Beta>());
        assert!(extra.is_empty() && !extra.remove::<Beta>());
    }
}

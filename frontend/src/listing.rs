//! What the list pages (admin sessions, your sessions, messages) have in common, pure: a list
//! fetched by numbered requests (only the latest answer counts, the old list stays visible while
//! a refresh runs), the result notice above it, and where the focus goes after an action.

use crate::auth::ErrorAdvice;
use crate::services::ApiError;

/// What the list area shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListState<T> {
    Loading,
    Loaded(T),
    /// The last fetch failed (not with a 401: that ends the page through the auth state).
    Failed(ApiError),
}

/// A fetched list and its refresh bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    pub state: ListState<T>,
    /// A fetch runs while the (previous) list stays visible.
    pub refreshing: bool,
    /// The number of the latest fetch; answers of older fetches are ignored.
    latest: u64,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Self {
            state: ListState::Loading,
            refreshing: false,
            latest: 0,
        }
    }
}

impl<T> Listing<T> {
    /// Fetch number `n` started.
    pub fn start(&mut self, n: u64) {
        self.latest = n;
        match self.state {
            ListState::Loaded(_) => self.refreshing = true,
            _ => self.state = ListState::Loading,
        }
    }

    /// Fetch number `n` answered. Returns `false` (and changes nothing) for a superseded
    /// fetch. A 401 keeps what is shown: the auth state takes the page over.
    pub fn finish(&mut self, n: u64, result: Result<T, ApiError>) -> bool {
        if n != self.latest {
            return false;
        }
        self.refreshing = false;
        match result {
            Ok(items) => self.state = ListState::Loaded(items),
            Err(ApiError::Unauthenticated) => {}
            Err(error) => self.state = ListState::Failed(error),
        }
        true
    }

    /// The first load (or a retry after a failure) is running: nothing to show yet.
    pub fn is_loading(&self) -> bool {
        matches!(self.state, ListState::Loading)
    }

    /// Any fetch runs.
    pub fn is_busy(&self) -> bool {
        self.refreshing || self.is_loading()
    }

    pub fn loaded(&self) -> Option<&T> {
        match &self.state {
            ListState::Loaded(items) => Some(items),
            _ => None,
        }
    }
}

/// The outcome of an action, shown above the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageNotice {
    pub kind: PageNoticeKind,
    pub message: String,
    /// `revoked`, `posted`, ..., or the API error's reference.
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageNoticeKind {
    Success,
    Error,
}

impl PageNotice {
    pub fn success(message: impl Into<String>, code: &str) -> Self {
        Self {
            kind: PageNoticeKind::Success,
            message: message.into(),
            code: code.to_string(),
        }
    }

    /// `what` failed: `"{what} {the error's sentence}"`, never the server's text.
    pub fn failure(what: &str, error: &ApiError) -> Self {
        Self {
            kind: PageNoticeKind::Error,
            message: format!("{what} {}", error.user_message()),
            code: error.reference().to_string(),
        }
    }
}

/// Where the page should put the focus once it has rendered (the element that had it may be
/// gone). `seq` makes a repeated request for the same place a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusRequest<F> {
    pub seq: u64,
    pub target: F,
}

impl<F> FocusRequest<F> {
    /// The request after `previous` (if any), for `target`.
    pub fn after(previous: &Option<FocusRequest<F>>, target: F) -> Option<Self> {
        let seq = previous.as_ref().map_or(1, |p| p.seq + 1);
        Some(Self { seq, target })
    }
}

#[cfg(test)]
mod tests {
    use shared::{ErrorCode, ErrorDetail};

    use super::*;

    fn started(n: u64, listing: Listing<Vec<u8>>) -> Listing<Vec<u8>> {
        let mut listing = listing;
        listing.start(n);
        listing
    }

    #[test]
    fn first_fetch_loads_and_refreshes_keep_the_list() {
        let mut listing = started(1, Listing::default());
        assert!(listing.is_loading() && listing.is_busy());
        assert!(listing.finish(1, Ok(vec![1, 2])));
        assert_eq!(listing.loaded(), Some(&vec![1, 2]));
        assert!(!listing.is_busy());

        listing.start(2);
        assert!(listing.refreshing);
        assert_eq!(listing.loaded(), Some(&vec![1, 2]), "kept while refreshing");
        assert!(listing.finish(2, Ok(vec![])));
        assert_eq!(listing.loaded(), Some(&vec![]));
        assert!(!listing.refreshing);
    }

    #[test]
    fn answers_of_superseded_fetches_are_ignored() {
        let mut listing = started(3, started(2, Listing::default()));
        let before = listing.clone();
        assert!(!listing.finish(2, Ok(vec![9])));
        assert_eq!(listing, before);
        assert!(listing.finish(3, Ok(vec![])));
    }

    #[test]
    fn failures_show_the_error_and_a_retry_loads_again() {
        let mut listing = started(1, Listing::default());
        listing.finish(1, Ok(vec![1]));
        listing.start(2);
        listing.finish(2, Err(ApiError::Network("offline".into())));
        assert!(matches!(
            listing.state,
            ListState::Failed(ApiError::Network(_))
        ));
        assert!(!listing.refreshing);
        listing.start(3);
        assert!(listing.is_loading());
        assert!(!listing.refreshing);
    }

    #[test]
    fn a_401_leaves_the_page_to_the_auth_state() {
        let mut listing = started(1, Listing::default());
        listing.finish(1, Ok(vec![1]));
        listing.start(2);
        listing.finish(2, Err(ApiError::Unauthenticated));
        assert_eq!(listing.loaded(), Some(&vec![1]));
        assert!(!listing.refreshing);
    }

    #[test]
    fn failure_notices_use_our_sentence_and_the_reference() {
        let error = ApiError::Server {
            status: 503,
            error: Some(ErrorDetail {
                code: ErrorCode::StoreUnavailable,
                message: "db down at 10.0.0.7".into(),
            }),
        };
        let notice = PageNotice::failure("Couldn't post.", &error);
        assert_eq!(notice.kind, PageNoticeKind::Error);
        assert_eq!(
            notice.message,
            "Couldn't post. The service is temporarily unavailable."
        );
        assert_eq!(notice.code, "store_unavailable");
    }

    #[test]
    fn focus_requests_are_numbered() {
        let first = FocusRequest::after(&None, "a");
        assert_eq!(first.as_ref().map(|f| f.seq), Some(1));
        let again = FocusRequest::after(&first, "a");
        assert_eq!(again.as_ref().map(|f| f.seq), Some(2));
        assert_ne!(first, again, "the same target again is a new request");
    }
}

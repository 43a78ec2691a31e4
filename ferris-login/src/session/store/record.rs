//! One session as the stores that keep whole records ([`MemoryStore`](super::MemoryStore),
//! `RedisStore`) hold it, and the rules every store applies to it: the same rules the
//! PostgreSQL store writes in SQL, so the contract suite holds each to the same behaviour.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Backoff, Ending, LeaseTerms, NewRecord, NoLease, RefreshedRecord, Sealed};
use crate::session::{
    cache::KeyHash,
    model::{SessionId, SessionListing, SessionView},
};

/// A whole session: its view, its secrets and its refresh bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub hash: KeyHash,
    pub view: SessionView,
    pub provider_sid: Option<String>,
    pub user_agent: Option<String>,
    pub client_network: Option<String>,
    pub id_token_sealed: Option<String>,
    pub tokens_sealed: Option<String>,
    pub token_version: i64,
    #[serde(with = "time::serde::timestamp::microseconds")]
    pub authenticated_at: OffsetDateTime,
    #[serde(with = "time::serde::timestamp::microseconds::option", default)]
    pub refresh_lease_until: Option<OffsetDateTime>,
    #[serde(default)]
    pub refresh_failures: u32,
}

fn to_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

impl Record {
    pub fn new(new: NewRecord) -> Self {
        Record {
            hash: new.hash,
            view: SessionView {
                id: new.id,
                user_id: new.user_id,
                user: new.user,
                created_at: new.now,
                last_seen_at: new.now,
                idle_expires_at: new.idle_expires_at,
                absolute_expires_at: new.absolute_expires_at,
                access_expires_at: new.access_expires_at,
                can_refresh: new.can_refresh,
                refresh_retry_at: None,
                access_issued_at: new.access_issued_at,
                app_data: Default::default(),
            },
            provider_sid: new.provider_sid,
            user_agent: new.user_agent,
            client_network: new.client_network,
            id_token_sealed: new.id_token_sealed,
            tokens_sealed: new.tokens_sealed,
            token_version: 0,
            authenticated_at: new.authenticated_at,
            refresh_lease_until: None,
            refresh_failures: 0,
        }
    }

    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.view.is_live(now)
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    /// When the record may be forgotten: its idle deadline (never past the absolute one).
    pub fn expires_at(&self) -> OffsetDateTime {
        self.view.idle_expires_at.min(self.view.absolute_expires_at)
    }

    pub fn id(&self) -> SessionId {
        self.view.id
    }

    pub fn sealed(&self) -> Sealed {
        Sealed {
            id_token: self.id_token_sealed.clone(),
            tokens: self.tokens_sealed.clone(),
            version: self.token_version,
        }
    }

    pub fn listing(&self) -> SessionListing {
        SessionListing {
            id: self.view.id,
            user_id: self.view.user_id,
            user: self.view.user.clone(),
            created_at: self.view.created_at,
            last_seen_at: self.view.last_seen_at,
            user_agent: self.user_agent.clone(),
            client_network: self.client_network.clone(),
        }
    }

    /// Whether `which` names this record.
    pub fn is_named_by(&self, which: &Ending<'_>) -> bool {
        let user = &self.view.user;
        match *which {
            Ending::ByHash(hash) => &self.hash == hash,
            Ending::ById(id) => self.view.id == id,
            Ending::AtVersion(id, version) => self.view.id == id && self.token_version == version,
            Ending::Own { user_id, id } => self.view.user_id == user_id && self.view.id == id,
            Ending::AllOfUser { user_id, keep } => {
                self.view.user_id == user_id && keep != Some(self.view.id)
            }
            Ending::ProviderSession {
                issuer,
                sid,
                subject,
            } => {
                user.issuer == issuer
                    && self.provider_sid.as_deref() == Some(sid)
                    && subject.is_none_or(|s| user.sub == s)
            }
            Ending::Subject {
                issuer,
                subject,
                created_before,
            } => {
                user.issuer == issuer
                    && user.sub == subject
                    && self.view.created_at <= created_before
            }
        }
    }

    /// Slides the idle deadline (never back, never past the absolute deadline).
    pub fn touch(&mut self, now: OffsetDateTime, idle_deadline: OffsetDateTime) {
        self.view.last_seen_at = now;
        self.view.idle_expires_at = self
            .view
            .idle_expires_at
            .max(idle_deadline.min(self.view.absolute_expires_at));
    }

    /// Claims the refresh lease, timed by `lease_clock` (the clock every process shares: the
    /// store's, where it has one). The same conditions as the PostgreSQL store's.
    pub fn claim_refresh(
        &mut self,
        terms: &LeaseTerms,
        lease_clock: OffsetDateTime,
    ) -> Result<Sealed, NoLease> {
        let now = terms.now;
        if !self.is_live(now) {
            return Err(NoLease::Ended);
        }
        if let Some(until) = self.refresh_lease_until.filter(|until| *until > lease_clock) {
            return Err(NoLease::Leased(until));
        }
        if let Some(at) = self.view.refresh_retry_at.filter(|at| *at > now) {
            return Err(NoLease::BackingOff(at));
        }
        // `refresh_due` also checks the back-off, already handled above.
        if !self.view.refresh_due(now, terms.buffer) {
            return Err(NoLease::NotDue);
        }
        self.refresh_lease_until = Some(lease_clock + to_time(terms.lease));
        Ok(self.sealed())
    }

    /// Stores a refresh if the tokens are still at `version`; whether it did.
    pub fn store_refreshed(&mut self, version: i64, refreshed: &RefreshedRecord) -> bool {
        if self.token_version != version {
            return false;
        }
        self.tokens_sealed = Some(refreshed.tokens_sealed.clone());
        self.view.access_expires_at = refreshed.access_expires_at;
        self.view.access_issued_at = refreshed.access_issued_at;
        self.view.can_refresh = refreshed.can_refresh;
        self.view.user = refreshed.user.clone();
        if let Some(id_token) = &refreshed.id_token_sealed {
            self.id_token_sealed = Some(id_token.clone());
        }
        self.token_version += 1;
        self.refresh_lease_until = None;
        self.refresh_failures = 0;
        self.view.refresh_retry_at = None;
        true
    }

    /// Records a failed refresh if the tokens are still at `version`; whether it did.
    pub fn record_refresh_failure(&mut self, version: i64, backoff: &Backoff) -> bool {
        if self.token_version != version {
            return false;
        }
        self.refresh_failures = self.refresh_failures.saturating_add(1);
        self.refresh_lease_until = None;
        self.view.refresh_retry_at =
            Some(backoff.now + to_time(backoff.wait_after(self.refresh_failures)));
        true
    }
}

/// Live listings in the order `list_live` promises: by user name (none last), subject, then
/// newest login first; at most `limit`.
pub fn order_for_admin(mut listings: Vec<SessionListing>, limit: usize) -> Vec<SessionListing> {
    listings.sort_by(|a, b| {
        let name = |l: &SessionListing| l.user.name.clone();
        match (name(a), name(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.user.sub.cmp(&b.user.sub))
        .then_with(|| b.created_at.cmp(&a.created_at))
    });
    listings.truncate(limit);
    listings
}

/// A user's listings, most recently used first.
pub fn order_for_user(mut listings: Vec<SessionListing>) -> Vec<SessionListing> {
    listings.sort_by(|a, b| {
        b.last_seen_at
            .cmp(&a.last_seen_at)
            .then_with(|| b.created_at.cmp(&a.created_at))
    });
    listings
}

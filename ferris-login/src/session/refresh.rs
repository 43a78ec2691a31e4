//! Keeping a session's access token fresh with its refresh token, without ever holding the
//! database while the provider is asked.
//!
//! - **A lease, not a lock.** One `UPDATE … RETURNING` claims the session's refresh for a
//!   bounded time (longer than a provider call may take); the result is written back with a
//!   compare-and-swap on the tokens' version. No transaction or pooled connection is held
//!   across the provider call, so a hanging provider cannot starve anyone else.
//! - **Single flight.** Concurrent requests of one session in this process share one refresh
//!   (a spawned task: a client that goes away cannot drop a rotated refresh token halfway);
//!   other processes see the lease and carry on with what they have.
//! - **Back-off.** A failed refresh (provider down, timeout) leaves the session alone and
//!   backs off, per session, exponentially (5 s, 10 s, … at most 5 min).
//! - **Terminal failures end the session**: `invalid_grant`, a refreshed ID token naming
//!   another `iss`, `sub` or `azp`, or tokens that no key of `AUTH0_SECRET` opens; but only
//!   while its tokens are still the ones this refresh started from (`token_version`): a
//!   replica whose lease ran out mid-call gets `invalid_grant` for a refresh token another
//!   replica already rotated, and must not end the session that one just refreshed.
//! - **A panic ends nothing else**: a refresh that panics (in an app's hook) leaves the
//!   single-flight map; the lease it held runs out by itself.
//! - **Claims follow the tokens.** Roles and permissions from the refreshed tokens replace the
//!   old ones (a demoted admin loses the role at the next refresh), on every replica at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::{
    future::{BoxFuture, Shared},
    FutureExt,
};
use openidconnect::{
    core::{CoreErrorResponseType, CoreJwsSigningAlgorithm},
    OAuth2TokenResponse, RefreshToken, RequestTokenError, TokenResponse as _,
};

use super::{
    cache::CachedSession,
    model::{SessionId, SessionView, StoredTokens},
    sessions::{NoLease, Refreshed, Sessions},
};
use crate::{
    hooks::{Hooks, SaveCause},
    clock::SharedClock,
    config::Config,
    oidc::{
        access_token,
        http::FetchError,
        id_token::{self, Expectations, IdTokenError},
        Provider, ProviderHandle,
    },
};

/// First back-off after a failed refresh; it doubles with each failure in a row.
pub const BACKOFF_BASE: Duration = Duration::from_secs(5);
/// Longest back-off.
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// How a refresh ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// New tokens (and claims) are stored: the session as it now is.
    Refreshed(Box<SessionView>),
    /// Nothing changed here (not due, refreshed elsewhere, provider failure: backing off).
    Unchanged,
    /// The session is over (ended meanwhile, or a terminal refresh failure ended it).
    Ended,
}

/// How many refreshes ended which way (for metrics and tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RefreshStats {
    pub refreshed: u64,
    pub failed: u64,
    pub ended: u64,
}

pub struct Refresher {
    config: Arc<Config>,
    provider: Arc<ProviderHandle>,
    sessions: Sessions,
    clock: SharedClock,
    allowed_algs: Vec<CoreJwsSigningAlgorithm>,
    hooks: Hooks,
    inflight: Mutex<HashMap<SessionId, Shared<BoxFuture<'static, Outcome>>>>,
    stats: Mutex<RefreshStats>,
}

impl Refresher {
    pub fn new(
        config: Arc<Config>,
        provider: Arc<ProviderHandle>,
        sessions: Sessions,
        clock: SharedClock,
        allowed_algs: Vec<CoreJwsSigningAlgorithm>,
        hooks: Hooks,
    ) -> Self {
        Self {
            config,
            provider,
            sessions,
            clock,
            allowed_algs,
            hooks,
            inflight: Mutex::default(),
            stats: Mutex::default(),
        }
    }

    #[cfg_attr(not(feature = "prometheus"), allow(dead_code))]
    pub fn stats(&self) -> RefreshStats {
        *self.stats.lock().expect("stats lock")
    }

    fn count(&self, outcome: &Outcome, failed: bool) {
        let mut stats = self.stats.lock().expect("stats lock");
        match outcome {
            Outcome::Refreshed(_) => stats.refreshed += 1,
            Outcome::Ended => stats.ended += 1,
            Outcome::Unchanged if failed => stats.failed += 1,
            Outcome::Unchanged => {}
        }
    }

    /// The session with fresh tokens and claims: refreshed first when refresh is on and its
    /// access token is due. `None`: the session is over.
    pub async fn keep_fresh(self: Arc<Self>, view: CachedSession) -> Option<CachedSession> {
        let now = self.clock.now();
        if !self.config.refresh_tokens || !view.refresh_due(now, self.config.refresh_buffer) {
            return Some(view);
        }
        match self.single_flight(SessionView::clone(&view)).await {
            Outcome::Refreshed(fresh) => Some(Arc::new(*fresh)),
            Outcome::Unchanged => Some(view),
            Outcome::Ended => None,
        }
    }

    /// Joins the refresh of this session already running in this process, or starts one.
    fn single_flight(self: Arc<Self>, view: SessionView) -> Shared<BoxFuture<'static, Outcome>> {
        let id = view.id;
        let mut inflight = self.inflight.lock().expect("inflight lock");
        if let Some(running) = inflight.get(&id) {
            return running.clone();
        }
        let this = self.clone();
        let task = tokio::spawn(async move {
            // Leaves the map however the refresh ends, a panic (in an app's hook, say)
            // included: else every later request would join the dead one and the session would
            // never refresh again in this process.
            let _done = InflightGuard {
                refresher: &this,
                id,
            };
            let (outcome, failed) = this.refresh(view).await;
            this.count(&outcome, failed);
            outcome
        });
        let shared = async move { task.await.unwrap_or(Outcome::Unchanged) }
            .boxed()
            .shared();
        inflight.insert(id, shared.clone());
        shared
    }

    /// Ends the session after a terminal failure, unless its tokens moved past `version`
    /// meanwhile (another replica refreshed it after this one's lease ran out: this one's
    /// refresh token was the rotated, spent one).
    async fn end_at(&self, id: SessionId, version: i64) -> Outcome {
        match self.sessions.end_at_version(id, version).await {
            Ok(true) => Outcome::Ended,
            Ok(false) => match self.sessions.live(id).await {
                Ok(Some(_)) => {
                    tracing::info!(session = %id, "refreshed elsewhere meanwhile: kept");
                    Outcome::Unchanged
                }
                Ok(None) => Outcome::Ended,
                Err(e) => {
                    tracing::error!(session = %id, error = %e, "reading the session failed");
                    Outcome::Unchanged
                }
            },
            Err(e) => {
                // It stays in back-off territory: the next due request tries again.
                tracing::error!(session = %id, error = %e, "ending the session failed");
                Outcome::Ended
            }
        }
    }

    /// One refresh: claim the lease, ask the provider (holding nothing), write back. The flag
    /// says whether the provider failed.
    async fn refresh(&self, view: SessionView) -> (Outcome, bool) {
        let id = view.id;
        let lease = self.config.http_timeout * 2 + Duration::from_secs(5);
        let claimed = match self
            .sessions
            .claim_refresh(id, self.config.refresh_buffer, lease)
            .await
        {
            Ok(Ok(claimed)) => claimed,
            Ok(Err(NoLease::Ended)) => return (Outcome::Ended, false),
            Ok(Err(why)) => {
                tracing::debug!(session = %id, ?why, "refresh not claimed");
                return (Outcome::Unchanged, false);
            }
            Err(e) => {
                tracing::warn!(session = %id, error = %e, "refresh deferred: database");
                return (Outcome::Unchanged, false);
            }
        };
        let version = claimed.version;
        let Some(current) = claimed.tokens.filter(|t| t.refresh_token.is_some()) else {
            tracing::warn!(session = %id, "kept tokens cannot be opened: ending the session");
            return (self.end_at(id, version).await, false);
        };
        match self.ask_provider(&view, &current).await {
            Ok(fresh) => {
                let stored = self
                    .sessions
                    .store_refreshed(
                        id,
                        version,
                        Refreshed {
                            tokens: &fresh.tokens,
                            user: &fresh.user,
                            id_token: fresh.id_token.as_deref(),
                        },
                    )
                    .await;
                match stored {
                    Ok(true) => {
                        tracing::info!(session = %id, "access token refreshed");
                        let mut view = view;
                        view.user = fresh.user;
                        view.access_expires_at = fresh.tokens.access_expires_at();
                        view.access_issued_at = Some(fresh.obtained_at);
                        view.can_refresh = fresh.tokens.refresh_token.is_some();
                        view.refresh_retry_at = None;
                        (Outcome::Refreshed(Box::new(view)), false)
                    }
                    Ok(false) => (Outcome::Unchanged, false),
                    Err(e) => {
                        tracing::error!(session = %id, error = %e, "refreshed tokens not stored");
                        (Outcome::Unchanged, true)
                    }
                }
            }
            Err(Failure::Terminal(why)) => {
                tracing::info!(session = %id, why, "refresh refused: ending the session");
                (self.end_at(id, version).await, false)
            }
            Err(Failure::Transient(why)) => {
                tracing::warn!(session = %id, error = %why, "refresh failed: backing off");
                if let Err(e) = self
                    .sessions
                    .record_refresh_failure(id, version, BACKOFF_BASE, BACKOFF_CAP)
                    .await
                {
                    tracing::warn!(session = %id, error = %e, "refresh back-off not stored");
                }
                (Outcome::Unchanged, true)
            }
        }
    }

    async fn ask_provider(
        &self,
        view: &SessionView,
        current: &StoredTokens,
    ) -> Result<FreshTokens, Failure> {
        let provider = self
            .provider
            .get()
            .await
            .map_err(|e| Failure::Transient(format!("discovery: {e}")))?;
        let refresh_token = RefreshToken::new(current.refresh_token.clone().unwrap_or_default());
        let request = provider
            .client
            .exchange_refresh_token(&refresh_token)
            .map_err(|e| Failure::Transient(e.to_string()))?;
        let response = match request.request_async(self.provider.http()).await {
            Ok(response) => response,
            Err(RequestTokenError::ServerResponse(err))
                if *err.error() == CoreErrorResponseType::InvalidGrant =>
            {
                return Err(Failure::Terminal("invalid_grant"));
            }
            Err(RequestTokenError::Request(FetchError::Timeout)) => {
                return Err(Failure::Transient("the provider timed out".into()))
            }
            Err(e) => return Err(Failure::Transient(e.to_string())),
        };
        let now = self.clock.now();
        let mut user = self.refreshed_user(&provider, &response, view, now)?;
        if let Some(audience) = &self.config.audience {
            // Permissions now come from the new tokens only.
            if response.id_token().is_none() {
                user.permissions.clear();
            }
            access_token::merge_permissions(
                &mut user,
                response.access_token().secret(),
                &provider,
                &self.allowed_algs,
                &access_token::Expectations {
                    audience,
                    now: now.unix_timestamp(),
                    leeway_secs: self.config.id_token_leeway.as_secs() as i64,
                },
            );
        }
        // The app's custom claims came from its login hook, not the provider: keep them.
        user.extra = view.user.extra.clone();
        self.hooks.before_saved(SaveCause::Refresh, &mut user);
        let tokens = StoredTokens {
            access_token: response.access_token().secret().clone(),
            // Rotation: the new refresh token replaces the old; without one, the old stays.
            refresh_token: response
                .refresh_token()
                .map(|t| t.secret().clone())
                .or_else(|| current.refresh_token.clone()),
            expires_at: response
                .expires_in()
                .map(|d| now.unix_timestamp() + d.as_secs() as i64),
        };
        Ok(FreshTokens {
            tokens,
            obtained_at: now,
            user,
            id_token: response.id_token().map(|t| t.to_string()),
        })
    }

    /// The user as the refreshed ID token describes them (OpenID Connect Core 12.2: same `iss`
    /// and `sub`, `azp` if present is us, verified like a login's but without a nonce). Without
    /// a new ID token, the claims stay as they were.
    fn refreshed_user(
        &self,
        provider: &Provider,
        response: &crate::oidc::provider::TokenResponse,
        view: &SessionView,
        now: time::OffsetDateTime,
    ) -> Result<shared::User, Failure> {
        let expect = Expectations {
            nonce: None,
            now,
            leeway: self.config.id_token_leeway,
            login_started_at: None,
            max_age: None,
            allowed_algs: &self.allowed_algs,
            roles_claim: &self.config.roles_claim,
            // Checked at login; a refresh keeps the same subject and issuer.
            organization: None,
        };
        match id_token::verify(provider, response, &expect) {
            Ok(verified) => {
                let user = verified.user;
                if user.issuer != view.user.issuer {
                    return Err(Failure::Terminal("the refreshed ID token changed iss"));
                }
                if user.sub != view.user.sub {
                    return Err(Failure::Terminal("the refreshed ID token changed sub"));
                }
                Ok(user)
            }
            Err(IdTokenError::Missing) => Ok(view.user.clone()),
            Err(IdTokenError::UnknownKey) => Err(Failure::Transient(
                "the refreshed ID token is signed by an unknown key".into(),
            )),
            Err(IdTokenError::Invalid(_)) => {
                Err(Failure::Terminal("the refreshed ID token does not verify"))
            }
        }
    }
}

/// Takes a refresh out of the in-flight map when it ends, however it ends.
struct InflightGuard<'a> {
    refresher: &'a Refresher,
    id: SessionId,
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        // Never poisoned: nothing panics while holding it.
        if let Ok(mut inflight) = self.refresher.inflight.lock() {
            inflight.remove(&self.id);
        }
    }
}

struct FreshTokens {
    tokens: StoredTokens,
    /// When the provider answered (the new access token's start).
    obtained_at: time::OffsetDateTime,
    user: shared::User,
    id_token: Option<String>,
}

enum Failure {
    /// The provider refused the refresh token or vouched for someone else: the session ends.
    Terminal(&'static str),
    /// The provider could not be asked: try again later.
    Transient(String),
}

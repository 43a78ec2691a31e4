//! Prometheus metrics (`metrics` + `metrics-exporter-prometheus`), served at `/metrics` on a
//! listener of their own (`METRICS_ADDR`), never on the public origin. Unset: no listener, and
//! the request-timing middleware is not even installed.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `bff_logins_total` | counter | `outcome` (`success`, `failure`), `reason` (an error code, or `ok`) |
//! | `bff_sessions_active` | gauge | |
//! | `bff_http_request_duration_seconds` | histogram | `method`, `route` (the route's pattern), `status` |
//! | `bff_db_pool_connections` | gauge | `state` (`in_use`, `idle`) |
//! | `bff_provider_request_duration_seconds` | histogram | `endpoint` (the last path segment) |
//! | `bff_provider_errors_total` | counter | `endpoint`, `kind` |
//! | `bff_session_cache_hits_total`, `_misses_total`, `_invalidations_total`, `_flushes_total` | counter | |
//! | `bff_session_cache_entries` | gauge | |
//! | `bff_session_cache_listening` | gauge | (1 while invalidations are heard) |
//! | `bff_token_refreshes_total` | counter | `outcome` (`refreshed`, `failed`, `ended`) |
//! | `bff_rate_limited_total` | counter | |
//!
//! Label values are bounded sets (route patterns, error codes), never paths, ids or users.
//!
//! The counters go through the `metrics` facade (nothing is recorded without a recorder); the
//! Prometheus exporter and its listener are the `prometheus` feature (on by default): an app
//! with metrics of its own turns it off and installs its own recorder.

#[cfg(feature = "prometheus")]
use std::{
    net::TcpListener,
    sync::{Arc, OnceLock},
};
use std::time::Instant;

#[cfg(feature = "prometheus")]
use ::metrics::gauge;
use ::metrics::{counter, histogram};
#[cfg(feature = "prometheus")]
use actix_web::{dev::Server, web, App, HttpResponse, HttpServer};
use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};
#[cfg(feature = "prometheus")]
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
#[cfg(feature = "prometheus")]
use sqlx::PgPool;

#[cfg(feature = "prometheus")]
use crate::session::{Refresher, SessionCache, Sessions};

/// Request and provider latencies: 1 ms to 10 s.
#[cfg(feature = "prometheus")]
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's recorder, installed the first time metrics are asked for (a process has one
/// global recorder; several apps in one process, as in tests, share it).
#[cfg(feature = "prometheus")]
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .expect("buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// What a scrape reads at the moment it happens.
#[cfg(feature = "prometheus")]
#[derive(Clone)]
pub struct Sources {
    pub sessions: Sessions,
    pub pool: PgPool,
    pub refresher: Arc<Refresher>,
}

#[cfg(feature = "prometheus")]
impl Sources {
    async fn observe(&self) {
        match self.sessions.count_live().await {
            Ok(count) => gauge!("bff_sessions_active").set(count as f64),
            Err(e) => tracing::warn!(error = %e, "counting active sessions for metrics"),
        }
        let idle = self.pool.num_idle() as f64;
        let size = f64::from(self.pool.size());
        gauge!("bff_db_pool_connections", "state" => "idle").set(idle);
        gauge!("bff_db_pool_connections", "state" => "in_use").set(size - idle);

        let disabled = SessionCache::disabled();
        let cache = self.sessions.cache().map_or(&disabled, |cache| &**cache);
        let stats = cache.stats();
        counter!("bff_session_cache_hits_total").absolute(stats.hits);
        counter!("bff_session_cache_misses_total").absolute(stats.misses);
        counter!("bff_session_cache_invalidations_total").absolute(stats.invalidations);
        counter!("bff_session_cache_flushes_total").absolute(stats.flushes);
        gauge!("bff_session_cache_entries").set(cache.entry_count() as f64);
        gauge!("bff_session_cache_listening").set(if cache.is_listening() { 1.0 } else { 0.0 });

        let refreshes = self.refresher.stats();
        counter!("bff_token_refreshes_total", "outcome" => "refreshed")
            .absolute(refreshes.refreshed);
        counter!("bff_token_refreshes_total", "outcome" => "failed").absolute(refreshes.failed);
        counter!("bff_token_refreshes_total", "outcome" => "ended").absolute(refreshes.ended);
    }
}

#[cfg(feature = "prometheus")]
async fn scrape(sources: web::Data<Sources>) -> HttpResponse {
    sources.observe().await;
    let handle = handle();
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

/// The metrics listener: `GET /metrics` and nothing else.
#[cfg(feature = "prometheus")]
pub fn server(listener: TcpListener, sources: Sources) -> std::io::Result<Server> {
    handle();
    let sources = web::Data::new(sources);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(sources.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .listen(listener)?
    .shutdown_timeout(1)
    .run())
}

/// Times every `/api` request by its route's pattern.
pub async fn time_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let result = next.call(req).await;
    let (route, status) = match &result {
        Ok(res) => (
            res.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
            res.status().as_u16(),
        ),
        Err(err) => (
            "unmatched".to_owned(),
            err.as_response_error().status_code().as_u16(),
        ),
    };
    histogram!(
        "bff_http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "status" => status.to_string(),
    )
    .record(started.elapsed().as_secs_f64());
    result
}

/// One login finished: `reason` is `ok` or the error code.
pub fn login(success: bool, reason: &'static str) {
    counter!(
        "bff_logins_total",
        "outcome" => if success { "success" } else { "failure" },
        "reason" => reason,
    )
    .increment(1);
}

/// One call to the provider: its endpoint (the last path segment: `token`, `jwks`, ...), how
/// long it took, and how it failed if it did.
pub fn provider_call(url: &str, started: Instant, failure: Option<&'static str>) {
    let endpoint = endpoint_of(url);
    histogram!("bff_provider_request_duration_seconds", "endpoint" => endpoint.clone())
        .record(started.elapsed().as_secs_f64());
    if let Some(kind) = failure {
        counter!("bff_provider_errors_total", "endpoint" => endpoint, "kind" => kind).increment(1);
    }
}

/// A request over a rate limit.
pub fn rate_limited() {
    counter!("bff_rate_limited_total").increment(1);
}

/// The last path segment, bounded and plain (a provider's endpoints are a small fixed set).
fn endpoint_of(url: &str) -> String {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    if clean.is_empty() {
        "root".to_owned()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_endpoints_are_named_by_their_last_segment() {
        assert_eq!(
            endpoint_of("https://t.eu.auth0.com/.well-known/openid-configuration"),
            "openid-configuration"
        );
        assert_eq!(endpoint_of("https://t.eu.auth0.com/oauth/token"), "token");
        assert_eq!(endpoint_of("http://127.0.0.1:4000/jwks"), "jwks");
        assert_eq!(endpoint_of("http://127.0.0.1:4000/"), "root");
        assert_eq!(endpoint_of("not a url"), "root");
        assert_eq!(
            endpoint_of(&format!("https://x/{}", "a".repeat(100))).len(),
            40
        );
    }
}

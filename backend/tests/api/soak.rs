//! The soak driver behind `cargo xtask soak` (an ignored test: `cargo xtask soak` runs it with
//! its settings in `SOAK_*` variables, and turns what it writes into a report).
//!
//! The backend binary runs as a process of its own (so its memory is its own) against a
//! database the caller made (`SOAK_DATABASE_URL`), with refresh on and short access tokens,
//! behind the controllable fake provider, which rotates its signing key half-way through.
//! `SOAK_SESSIONS` sessions are signed in first; then `SOAK_CLIENTS` clients send
//! `SOAK_RATE` requests a second in all, for `SOAK_DURATION_SECS`: `/api/auth/me`, the
//! session's status and list, the demo API (`/api/messages`), the proxy, logouts, admin
//! revocations and "sign out my other sessions", each logout or revocation followed by a new
//! login so the number of sessions stays put. Every `SOAK_BUCKET_SECS` it records the
//! backend's RSS, latencies, errors, pool use, cache entries, connections and the writes on
//! the `sessions` table; the whole run goes to `SOAK_OUT` as JSON.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use rand::{rngs::StdRng, Rng, SeedableRng};
use reqwest::{cookie::CookieStore, header, Method, StatusCode, Url};
use serde_json::{json, Value};
use sqlx::{postgres::PgPoolOptions, PgPool};

use crate::{
    fake_idp::{jwk, keys, FakeIdp, Knobs, Signing},
    helpers::*,
    processes::BackendProcess,
    upstream::Upstream,
};

struct Settings {
    duration: Duration,
    sessions: usize,
    clients: usize,
    rate: f64,
    bucket: Duration,
    token_lifetime: Duration,
    database_url: String,
    out: String,
}

impl Settings {
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let number = |name: &str, default: u64| -> u64 {
            var(name).map_or(default, |v| {
                v.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: not a number"))
            })
        };
        let duration = Duration::from_secs(number("SOAK_DURATION_SECS", 120));
        Self {
            duration,
            sessions: number("SOAK_SESSIONS", 5000) as usize,
            clients: number("SOAK_CLIENTS", 16).max(1) as usize,
            rate: number("SOAK_RATE", 150).max(1) as f64,
            bucket: Duration::from_secs(number("SOAK_BUCKET_SECS", 60).max(1)),
            token_lifetime: Duration::from_secs(number("SOAK_TOKEN_LIFETIME_SECS", 300)),
            database_url: var("SOAK_DATABASE_URL")
                .expect("SOAK_DATABASE_URL: a fresh database (cargo xtask soak makes one)"),
            out: var("SOAK_OUT").unwrap_or_else(|| "soak-samples.json".to_owned()),
        }
    }
}

/// One signed-in browser: its cookies (the HTTP client is shared).
struct Session {
    jar: Arc<reqwest::cookie::Jar>,
}

impl Session {
    fn new() -> Self {
        Self {
            jar: Arc::new(reqwest::cookie::Jar::default()),
        }
    }
}

/// What one bucket of time saw.
#[derive(Default)]
struct Bucket {
    latencies_us: Vec<u64>,
    errors: u64,
    by_op: BTreeMap<&'static str, u64>,
}

struct Driver {
    client: reqwest::Client,
    base: String,
    sessions: Mutex<Vec<Session>>,
    bucket: Mutex<Bucket>,
    error_samples: Mutex<Vec<String>>,
    errors_total: AtomicU64,
    db: PgPool,
}

/// Per thousand operations.
const MIX: &[(&str, u32)] = &[
    ("me", 500),
    ("session_status", 60),
    ("my_sessions", 40),
    ("messages", 150),
    ("proxy", 150),
    ("end_others", 20),
    ("logout", 50),
    ("revoke", 30),
];

fn choose(rng: &mut StdRng) -> &'static str {
    let total: u32 = MIX.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (op, weight) in MIX {
        if pick < *weight {
            return op;
        }
        pick -= weight;
    }
    unreachable!()
}

/// The `q`-quantile (0..=1) of sorted values, nearest rank.
fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Driver {
    fn record(&self, op: &'static str, took: Duration, error: Option<String>) {
        let mut bucket = self.bucket.lock().unwrap();
        bucket.latencies_us.push(took.as_micros() as u64);
        *bucket.by_op.entry(op).or_default() += 1;
        if let Some(error) = error {
            bucket.errors += 1;
            self.errors_total.fetch_add(1, Ordering::Relaxed);
            let mut samples = self.error_samples.lock().unwrap();
            if samples.len() < 50 {
                samples.push(error);
            }
        }
    }

    /// One request as the SPA sends it (same-origin, anti-forgery header), with `session`'s
    /// cookies; recorded; the response if its status is `expect`.
    async fn call(
        &self,
        op: &'static str,
        method: Method,
        url: &str,
        session: Option<&Session>,
        expect: StatusCode,
    ) -> Option<reqwest::Response> {
        let parsed = Url::parse(url).expect("URL");
        let mut request = self
            .client
            .request(method.clone(), parsed.clone())
            .header("X-CSRF", "1")
            .header("Sec-Fetch-Site", "same-origin");
        if let Some(cookies) = session.and_then(|s| s.jar.cookies(&parsed)) {
            request = request.header(header::COOKIE, cookies);
        }
        let started = Instant::now();
        let result = request.send().await;
        let took = started.elapsed();
        match result {
            Ok(response) => {
                if let Some(session) = session {
                    let mut set = response.headers().get_all(header::SET_COOKIE).iter();
                    session.jar.set_cookies(&mut set, &parsed);
                }
                if response.status() == expect {
                    self.record(op, took, None);
                    Some(response)
                } else {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    let body: String = body.chars().take(200).collect();
                    self.record(
                        op,
                        took,
                        Some(format!("{op} {method} {}: {status} {body}", parsed.path())),
                    );
                    None
                }
            }
            Err(e) => {
                let mut chain = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    chain.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                self.record(
                    op,
                    took,
                    Some(format!("{op} {method} {}: {chain}", parsed.path())),
                );
                None
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A whole login through the fake provider, then the SPA's first `/me`.
    async fn login(&self) -> Option<Session> {
        let session = Session::new();
        let start = self
            .call(
                "login",
                Method::GET,
                &self.url("/api/auth/login"),
                Some(&session),
                StatusCode::FOUND,
            )
            .await?;
        let authorize = location(&start);
        let provider = self
            .call("provider", Method::GET, &authorize, None, StatusCode::FOUND)
            .await?;
        let callback = absolute(&self.base, &location(&provider));
        self.call(
            "callback",
            Method::GET,
            &callback,
            Some(&session),
            StatusCode::FOUND,
        )
        .await?;
        self.call(
            "me",
            Method::GET,
            &self.url("/api/auth/me"),
            Some(&session),
            StatusCode::OK,
        )
        .await?;
        Some(session)
    }

    fn take(&self, rng: &mut StdRng) -> Option<Session> {
        let mut sessions = self.sessions.lock().unwrap();
        if sessions.is_empty() {
            return None;
        }
        let i = rng.gen_range(0..sessions.len());
        Some(sessions.swap_remove(i))
    }

    fn put(&self, session: Session) {
        self.sessions.lock().unwrap().push(session);
    }

    /// One operation; the sessions it uses are out of the shared set meanwhile, so no other
    /// client sees a session this one is ending.
    async fn operate(&self, op: &'static str, rng: &mut StdRng) {
        let Some(session) = self.take(rng) else {
            if let Some(new) = self.login().await {
                self.put(new);
            }
            return;
        };
        match op {
            "me" | "session_status" | "my_sessions" | "messages" | "proxy" => {
                let path = match op {
                    "me" => "/api/auth/me",
                    "session_status" => "/api/auth/session",
                    "my_sessions" => "/api/auth/sessions",
                    "messages" => "/api/messages",
                    _ => "/api/proxy/echo/items?limit=5",
                };
                let url = self.url(path);
                self.call(op, Method::GET, &url, Some(&session), StatusCode::OK)
                    .await;
            }
            "end_others" => {
                let url = self.url("/api/auth/sessions?others=true");
                self.call(
                    "end_others",
                    Method::DELETE,
                    &url,
                    Some(&session),
                    StatusCode::OK,
                )
                .await;
            }
            "logout" => {
                let url = self.url("/api/auth/logout");
                self.call("logout", Method::POST, &url, Some(&session), StatusCode::OK)
                    .await;
                // Signed out: the cookie is gone, and so is the session.
                self.call(
                    "me_after_logout",
                    Method::GET,
                    &self.url("/api/auth/me"),
                    Some(&session),
                    StatusCode::UNAUTHORIZED,
                )
                .await;
                if let Some(new) = self.login().await {
                    self.put(new);
                }
                return;
            }
            "revoke" => {
                // An admin (every soak user has the role) ends every session of another user.
                let Some(victim) = self.take(rng) else {
                    self.put(session);
                    return;
                };
                self.revoke(&session, &victim).await;
                if let Some(new) = self.login().await {
                    self.put(new);
                }
            }
            other => panic!("no operation {other}"),
        }
        self.put(session);
    }

    async fn revoke(&self, admin: &Session, victim: &Session) {
        let Some(me) = self
            .call(
                "me",
                Method::GET,
                &self.url("/api/auth/me"),
                Some(victim),
                StatusCode::OK,
            )
            .await
        else {
            return;
        };
        let user: Value = me.json().await.unwrap_or_default();
        let sub = user["sub"].as_str().unwrap_or_default().to_owned();
        let user_id: Option<uuid::Uuid> =
            sqlx::query_scalar("SELECT id FROM users WHERE subject = $1")
                .bind(&sub)
                .fetch_optional(&self.db)
                .await
                .unwrap_or(None);
        let Some(user_id) = user_id else {
            self.record(
                "revoke",
                Duration::ZERO,
                Some(format!("revoke: no user row for {sub:?}")),
            );
            return;
        };
        let url = self.url(&format!("/api/admin/users/{user_id}/revoke-sessions"));
        self.call("revoke", Method::POST, &url, Some(admin), StatusCode::OK)
            .await;
        self.call(
            "me_after_revoke",
            Method::GET,
            &self.url("/api/auth/me"),
            Some(victim),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
}

/// A few figures from the backend's `/metrics` (Prometheus text).
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (key, value) = l.rsplit_once(' ')?;
        (key == name).then(|| value.trim().parse().ok())?
    })
}

/// The resident set of `pid` in KiB (`VmRSS` in /proc).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `(inserts, updates, hot updates, deletes)` on `sessions` since the database was made.
async fn session_writes(db: &PgPool) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables \
         WHERE relname = 'sessions'",
    )
    .fetch_one(db)
    .await
    .expect("pg_stat_user_tables")
}

/// Connections to the soak database other than the driver's own.
async fn backend_connections(db: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(db)
    .await
    .expect("pg_stat_activity")
}

#[derive(Default)]
struct Gauges {
    rss_max_kib: u64,
    rss_last_kib: u64,
    pool_in_use_max: f64,
    pool_size_max: f64,
    connections_max: i64,
    cache_entries: f64,
    refreshed: f64,
    refresh_failed: f64,
    sessions_active: f64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the soak: run by `cargo xtask soak` (minutes to hours)"]
async fn soak() {
    let settings = Settings::from_env();
    let fake = FakeIdp::start_with(Knobs {
        unique_subjects: true,
        expires_in: settings.token_lifetime.as_secs(),
        claims: serde_json::from_value(json!({
            "roles": ["admin"],
            "permissions": ["read:messages", "write:messages"],
        }))
        .unwrap(),
        ..Default::default()
    })
    .await;
    let upstream = Upstream::echo().await;
    let port = quiet_port();
    let metrics_port = quiet_port();
    let base = format!("http://localhost:{port}");
    let env: Vec<(&str, String)> = vec![
        ("AUTH0_SECRET", TEST_SECRET.to_owned()),
        ("AUTH0_BASE_URL", base.clone()),
        ("AUTH0_ISSUER_BASE_URL", fake.issuer.clone()),
        ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("AUTH0_REFRESH_TOKENS", "true".to_owned()),
        ("DATABASE_URL", settings.database_url.clone()),
        ("FRONTEND_DIST", "/nonexistent-soak-dist".to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
        ("SESSION_IDLE_TIMEOUT", "1h".to_owned()),
        ("SESSION_ABSOLUTE_TIMEOUT", "8h".to_owned()),
        ("API_PROXY_UPSTREAMS", format!("echo={}", upstream.base)),
        ("METRICS_ADDR", format!("127.0.0.1:{metrics_port}")),
    ];
    let backend = BackendProcess::start(port, &env).await;
    let pid = backend.pid();
    let db = PgPoolOptions::new()
        .max_connections(1)
        .connect(&settings.database_url)
        .await
        .expect("the soak database");
    let driver = Arc::new(Driver {
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(settings.clients * 2)
            // Shorter than the servers' keep-alive (5 s), so a request never goes out on a
            // connection the server is closing.
            .pool_idle_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base: base.clone(),
        sessions: Mutex::new(Vec::with_capacity(settings.sessions)),
        bucket: Mutex::new(Bucket::default()),
        error_samples: Mutex::new(Vec::new()),
        errors_total: AtomicU64::new(0),
        db: db.clone(),
    });

    let rss_before_warm_up = rss_kib(pid).expect("the backend is running");
    // Warm-up: every session signed in (and its first `/me`), `clients` at a time.
    let warm_started = Instant::now();
    let warm: Vec<_> = (0..settings.clients)
        .map(|c| {
            let driver = driver.clone();
            let count = settings.sessions / settings.clients
                + usize::from(c < settings.sessions % settings.clients);
            tokio::spawn(async move {
                for _ in 0..count {
                    if let Some(session) = driver.login().await {
                        driver.put(session);
                    }
                }
            })
        })
        .collect();
    for task in warm {
        task.await.unwrap();
    }
    let warm_up = warm_started.elapsed();
    let warm_errors = driver.errors_total.load(Ordering::Relaxed);
    println!(
        "soak: {} sessions signed in in {:.1} s ({warm_errors} errors)",
        driver.sessions.lock().unwrap().len(),
        warm_up.as_secs_f64()
    );
    let metrics_url = format!("http://127.0.0.1:{metrics_port}/metrics");
    let scraper = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // The cache's count settles (its bookkeeping runs behind its writes).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cache_after_warm_up = match scraper.get(&metrics_url).send().await {
        Ok(response) => metric(
            &response.text().await.unwrap_or_default(),
            "bff_session_cache_entries",
        ),
        Err(_) => None,
    };
    let rss_after_warm_up = rss_kib(pid).expect("the backend is running");
    // The measured run starts now.
    *driver.bucket.lock().unwrap() = Bucket::default();
    driver.errors_total.store(0, Ordering::Relaxed);
    let warm_error_samples = std::mem::take(&mut *driver.error_samples.lock().unwrap());
    let writes_at_start = session_writes(&db).await;
    let started = Instant::now();
    let end = started + settings.duration;

    let clients: Vec<_> = (0..settings.clients)
        .map(|_| {
            let driver = driver.clone();
            let period = Duration::from_secs_f64(settings.clients as f64 / settings.rate);
            tokio::spawn(async move {
                let mut rng = StdRng::from_entropy();
                let mut tick = tokio::time::interval(period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                while Instant::now() < end {
                    tick.tick().await;
                    let op = choose(&mut rng);
                    driver.operate(op, &mut rng).await;
                }
            })
        })
        .collect();

    // The sampler: gauges every second, a row every bucket.
    let mut rows = Vec::new();
    let mut all_latencies: Vec<u64> = Vec::new();
    let mut gauges = Gauges::default();
    let mut rotated_at: Option<f64> = None;
    let jwks_before_rotation = fake.jwks_requests();
    let mut next_bucket = started + settings.bucket;
    let mut second = tokio::time::interval(Duration::from_secs(1));
    loop {
        second.tick().await;
        let now = Instant::now();
        if rotated_at.is_none() && now >= started + settings.duration / 2 {
            // The provider rotates its signing key: a new key (kid key-2) signs from now on,
            // the old one stays published.
            fake.set(|k| {
                k.jwks = Some(json!({"keys": [
                    jwk(&keys().good, Some("key-1")),
                    jwk(&keys().other, Some("key-2")),
                ]}));
                k.header.insert("kid".into(), json!("key-2"));
                k.signing = Signing::OtherKey;
            });
            rotated_at = Some(now.duration_since(started).as_secs_f64());
            println!("soak: the provider rotated its signing key");
        }
        let rss = rss_kib(pid).expect("the backend is running");
        gauges.rss_max_kib = gauges.rss_max_kib.max(rss);
        gauges.rss_last_kib = rss;
        if let Ok(text) = async { scraper.get(&metrics_url).send().await?.text().await }.await {
            let in_use = metric(&text, r#"bff_db_pool_connections{state="in_use"}"#);
            let idle = metric(&text, r#"bff_db_pool_connections{state="idle"}"#);
            gauges.pool_in_use_max = gauges.pool_in_use_max.max(in_use.unwrap_or(0.0));
            gauges.pool_size_max = gauges
                .pool_size_max
                .max(in_use.unwrap_or(0.0) + idle.unwrap_or(0.0));
            gauges.cache_entries = metric(&text, "bff_session_cache_entries").unwrap_or(0.0);
            gauges.refreshed =
                metric(&text, r#"bff_token_refreshes_total{outcome="refreshed"}"#).unwrap_or(0.0);
            gauges.refresh_failed =
                metric(&text, r#"bff_token_refreshes_total{outcome="failed"}"#).unwrap_or(0.0);
            gauges.sessions_active = metric(&text, "bff_sessions_active").unwrap_or(0.0);
        }
        gauges.connections_max = gauges.connections_max.max(backend_connections(&db).await);
        if now < next_bucket {
            continue;
        }
        let finished = now >= end;
        if finished {
            // Wait for the clients, and for PostgreSQL's statistics (a connection left idle
            // reports its counts within 10 s).
            for client in &clients {
                while !client.is_finished() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            tokio::time::sleep(Duration::from_secs(11)).await;
        }
        let bucket = std::mem::take(&mut *driver.bucket.lock().unwrap());
        let mut latencies = bucket.latencies_us;
        all_latencies.extend_from_slice(&latencies);
        latencies.sort_unstable();
        let (ins, upd, hot, del) = session_writes(&db).await;
        let row = json!({
            "t_secs": next_bucket.min(now).duration_since(started).as_secs_f64().round(),
            "requests": latencies.len(),
            "errors": bucket.errors,
            "p50_ms": quantile(&latencies, 0.50) as f64 / 1000.0,
            "p99_ms": quantile(&latencies, 0.99) as f64 / 1000.0,
            "max_ms": latencies.last().copied().unwrap_or(0) as f64 / 1000.0,
            "rss_kib": gauges.rss_last_kib,
            "rss_max_kib": gauges.rss_max_kib,
            "pool_in_use_max": gauges.pool_in_use_max,
            "pool_size_max": gauges.pool_size_max,
            "db_connections_max": gauges.connections_max,
            "cache_entries": gauges.cache_entries,
            "sessions_live": driver.sessions.lock().unwrap().len(),
            "sessions_active_metric": gauges.sessions_active,
            "refreshed_total": gauges.refreshed,
            "refresh_failed_total": gauges.refresh_failed,
            "session_inserts": ins - writes_at_start.0,
            "session_updates": upd - writes_at_start.1,
            "session_hot_updates": hot - writes_at_start.2,
            "session_deletes": del - writes_at_start.3,
            "by_op": bucket.by_op,
        });
        println!("soak: {row}");
        rows.push(row);
        gauges = Gauges {
            refreshed: gauges.refreshed,
            refresh_failed: gauges.refresh_failed,
            cache_entries: gauges.cache_entries,
            sessions_active: gauges.sessions_active,
            ..Gauges::default()
        };
        next_bucket += settings.bucket;
        if finished {
            break;
        }
    }
    for client in clients {
        client.await.unwrap();
    }
    let listening = backend.session_cache().await;
    all_latencies.sort_unstable();
    let output = json!({
        "settings": {
            "duration_secs": settings.duration.as_secs(),
            "sessions": settings.sessions,
            "clients": settings.clients,
            "rate_per_sec": settings.rate,
            "bucket_secs": settings.bucket.as_secs(),
            "access_token_lifetime_secs": settings.token_lifetime.as_secs(),
            "token_refresh_buffer_secs": 60,
            "session_idle_timeout_secs": 3600,
            "session_cache": listening,
            "database_max_connections": 10,
            "mix_per_thousand": MIX.iter().map(|(op, w)| (op.to_string(), *w)).collect::<BTreeMap<_, _>>(),
        },
        "warm_up_secs": warm_up.as_secs_f64(),
        "rss_before_warm_up_kib": rss_before_warm_up,
        "rss_after_warm_up_kib": rss_after_warm_up,
        "cache_entries_after_warm_up": cache_after_warm_up,
        "overall": {
            "requests": all_latencies.len(),
            "p50_ms": quantile(&all_latencies, 0.50) as f64 / 1000.0,
            "p99_ms": quantile(&all_latencies, 0.99) as f64 / 1000.0,
            "p999_ms": quantile(&all_latencies, 0.999) as f64 / 1000.0,
        },
        "warm_up_errors": warm_errors,
        "warm_up_error_samples": warm_error_samples,
        "key_rotated_at_secs": rotated_at,
        "jwks_fetches_after_rotation": fake.jwks_requests() - jwks_before_rotation,
        "provider_refresh_grants": fake.refresh_grants(),
        "errors": driver.errors_total.load(Ordering::Relaxed),
        "error_samples": driver.error_samples.lock().unwrap().clone(),
        "buckets": rows,
    });
    if let Some(dir) = std::path::Path::new(&settings.out).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(
        &settings.out,
        serde_json::to_string_pretty(&output).unwrap(),
    )
    .unwrap_or_else(|e| panic!("writing {}: {e}", settings.out));
    println!("soak: wrote {}", settings.out);
    drop(backend);
}

#[test]
fn quantiles_take_the_nearest_rank() {
    let values: Vec<u64> = (1..=100).collect();
    assert_eq!(quantile(&values, 0.5), 50);
    assert_eq!(quantile(&values, 0.99), 99);
    assert_eq!(quantile(&values, 1.0), 100);
    assert_eq!(quantile(&[7], 0.99), 7);
    assert_eq!(quantile(&[], 0.5), 0);
}

#[test]
fn the_mix_is_per_thousand_and_every_operation_is_picked() {
    assert_eq!(MIX.iter().map(|(_, w)| w).sum::<u32>(), 1000);
    let mut rng = StdRng::seed_from_u64(7);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20_000 {
        seen.insert(choose(&mut rng));
    }
    assert_eq!(seen.len(), MIX.len());
}

#[test]
fn metrics_are_read_by_name_and_labels() {
    let text = "# TYPE x gauge\nbff_db_pool_connections{state=\"in_use\"} 3\n\
                bff_db_pool_connections{state=\"idle\"} 7\nbff_session_cache_entries 4999\n";
    assert_eq!(
        metric(text, r#"bff_db_pool_connections{state="in_use"}"#),
        Some(3.0)
    );
    assert_eq!(metric(text, "bff_session_cache_entries"), Some(4999.0));
    assert_eq!(metric(text, "bff_sessions_active"), None);
}

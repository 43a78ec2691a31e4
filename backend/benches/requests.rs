//! What a server-side session costs, as ratios to a baseline measured in the same run.
//!
//! The whole app runs in this process (Actix, every middleware, the PostgreSQL session store)
//! on a fresh database, and a pool of keep-alive clients drives each scenario for a fixed time:
//!
//! - `GET /healthz`: the baseline (middleware only, no session, no database);
//! - `GET /api/auth/me` without a cookie: the anti-forgery check and a JSON 401;
//! - `GET /api/auth/me` signed in: the session cookie verified, the session row read from
//!   PostgreSQL (idle/absolute expiry checked in the query) and the user returned.
//!
//! Run: `cargo bench -p backend --bench requests` (PostgreSQL at `TEST_DATABASE_ADMIN_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`; `BENCH_SECONDS` per scenario,
//! default 5; `BENCH_CLIENTS`, default 16). Absolute numbers depend on the machine; the ratios
//! are what to compare between changes.

use std::{
    collections::HashMap,
    net::TcpListener,
    sync::Arc,
    time::{Duration, Instant},
};

use actix_session::storage::SessionStore;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, CookieJar};
use backend::{
    clock::{SharedClock, SystemClock},
    config::Config,
    crypto::Keyring,
    session::{
        data::AuthSession,
        store::{PgSessionStore, Timeouts, AUTH_KEY},
    },
    startup::{session_cookie_name, Application},
    users,
};
use secrecy::ExposeSecret;
use sqlx::{postgres::PgPoolOptions, Connection, PgConnection};
use uuid::Uuid;

const SECRET: &str = "benchmark-secret-0123456789abcdef-0123456789";

struct Scenario {
    name: &'static str,
    path: &'static str,
    signed_in: bool,
    expect: u16,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "GET /healthz (baseline)",
        path: "/healthz",
        signed_in: false,
        expect: 200,
    },
    Scenario {
        name: "GET /api/auth/me, anonymous",
        path: "/api/auth/me",
        signed_in: false,
        expect: 401,
    },
    Scenario {
        name: "GET /api/auth/me, signed in",
        path: "/api/auth/me",
        signed_in: true,
        expect: 200,
    },
];

struct Outcome {
    requests: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&mut self, p: f64) -> Duration {
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; a filter or `--list` from `cargo test --benches` means
    // "not now".
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return Ok(());
    }
    let seconds = env_number("BENCH_SECONDS", 5);
    let clients = env_number("BENCH_CLIENTS", 16) as usize;

    let database = BenchDatabase::create().await?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = format!("http://localhost:{}", listener.local_addr()?.port());
    let vars: HashMap<&str, String> = HashMap::from([
        ("AUTH0_SECRET", SECRET.to_owned()),
        ("AUTH0_BASE_URL", address.clone()),
        // No provider is needed to serve existing sessions; discovery fails once, quietly.
        ("AUTH0_ISSUER_BASE_URL", "http://127.0.0.1:9/".to_owned()),
        ("AUTH0_CLIENT_ID", "bench".to_owned()),
        ("AUTH0_CLIENT_SECRET", "bench-client-secret".to_owned()),
        ("DATABASE_URL", database.url.clone()),
        ("FRONTEND_DIST", "/nonexistent-bench-dist".to_owned()),
    ]);
    let config = Config::from_lookup(|name| vars.get(name).cloned())?;
    let clock: SharedClock = Arc::new(SystemClock);
    let app = Application::build_on(config.clone(), clock.clone(), listener).await?;
    tokio::spawn(app.run_until_stopped());

    let cookie = signed_in_cookie(&config, clock).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;

    println!(
        "{clients} clients, {seconds} s per scenario, release build: {}",
        !cfg!(debug_assertions)
    );
    println!(
        "{:<32} {:>10} {:>9} {:>9} {:>12}",
        "scenario", "req/s", "p50", "p99", "vs baseline"
    );
    let mut baseline = None;
    for scenario in SCENARIOS {
        let cookie = scenario.signed_in.then(|| cookie.clone());
        // Warm up connections and caches, then measure.
        drive(&client, &address, scenario, cookie.clone(), clients, 1).await?;
        let mut outcome = drive(&client, &address, scenario, cookie, clients, seconds).await?;
        let rate = outcome.per_second();
        let base = *baseline.get_or_insert(rate);
        println!(
            "{:<32} {:>10.0} {:>7.2}ms {:>7.2}ms {:>11.2}x",
            scenario.name,
            rate,
            outcome.percentile(0.5).as_secs_f64() * 1e3,
            outcome.percentile(0.99).as_secs_f64() * 1e3,
            base / rate,
        );
    }
    println!("(\"vs baseline\": how many times longer a request takes than GET /healthz)");
    Ok(())
}

/// A session as a login leaves it (user row, session row), and its signed cookie.
async fn signed_in_cookie(config: &Config, clock: SharedClock) -> anyhow::Result<String> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(config.database_url.expose_secret())
        .await?;
    let user = shared::User {
        sub: "bench|1".into(),
        issuer: "http://127.0.0.1:9/".into(),
        name: Some("Bench Mark".into()),
        email: Some("bench@example.com".into()),
        email_verified: Some(true),
        picture: None,
        roles: vec!["admin".into()],
        permissions: vec!["read:reports".into()],
    };
    let user_id = users::upsert_on_login(&pool, &user, clock.now()).await?;
    let keys = Keyring::from_secrets([SECRET]);
    let auth = AuthSession {
        user_id,
        user,
        sid: Some("bench-sid".into()),
        id_token_sealed: keys.seal(b"id_token", b"not a real token"),
        authenticated_at: clock.now().unix_timestamp(),
        user_agent: Some("bench".into()),
        tokens_sealed: None,
    };
    let store = PgSessionStore::new(
        pool,
        clock,
        Timeouts {
            idle: Duration::from_secs(3600),
            absolute: Duration::from_secs(8 * 3600),
        },
    );
    let state = HashMap::from([(AUTH_KEY.to_owned(), serde_json::to_string(&auth)?)]);
    let key = store
        .save(state, &CookieDuration::hours(8))
        .await
        .map_err(|e| anyhow::anyhow!("saving the session: {e}"))?;
    let name = session_cookie_name(false);
    let mut jar = CookieJar::new();
    jar.signed_mut(&keys.session_cookie_key())
        .add(Cookie::new(name, key.as_ref().to_owned()));
    let value = jar.get(name).expect("just added").value().to_owned();
    Ok(format!("{name}={value}"))
}

async fn drive(
    client: &reqwest::Client,
    address: &str,
    scenario: &Scenario,
    cookie: Option<String>,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<Outcome> {
    let url = format!("{address}{}", scenario.path);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
            let expect = scenario.expect;
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let mut request = client.get(&url).header("X-CSRF", "1");
                    if let Some(cookie) = &cookie {
                        request = request.header("Cookie", cookie);
                    }
                    let sent = Instant::now();
                    let response = request.send().await?;
                    let status = response.status().as_u16();
                    response.bytes().await?;
                    latencies.push(sent.elapsed());
                    anyhow::ensure!(status == expect, "{url}: {status}, expected {expect}");
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(Outcome {
        requests: latencies.len() as u64,
        elapsed: started.elapsed(),
        latencies,
    })
}

/// A fresh database, dropped at the end.
struct BenchDatabase {
    admin: String,
    name: String,
    url: String,
}

impl BenchDatabase {
    async fn create() -> anyhow::Result<Self> {
        let admin = std::env::var("TEST_DATABASE_ADMIN_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("bff_bench_{}", Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin).await?;
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut conn)
            .await?;
        let mut url = url::Url::parse(&admin)?;
        url.set_path(&name);
        Ok(Self {
            admin,
            name,
            url: url.to_string(),
        })
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ =
                        sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}

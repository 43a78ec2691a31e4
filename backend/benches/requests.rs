//! What a server-side session costs, as ratios to baselines measured in the same run.
//!
//! Every server runs as an OS process of its own, as in production: the real `backend`
//! binary for the app's scenarios, and this benchmark re-executed (`--serve-baseline`) for two
//! baselines on the same Actix settings. This process only drives the load: keep-alive
//! HTTP/1.1 clients written for the purpose (a fixed request, a `Content-Length` body), so the
//! servers, not the load generator, use the machine. Scenarios run interleaved, round after
//! round, so drift hits them all alike.
//!
//! Scenarios (each against a fresh server process):
//! - `bare route`: a bare Actix JSON route, no middleware (the floor);
//! - `one primary-key read`: a bare route doing one sqlx primary-key read of a session-sized
//!   row (what a signed-in request costs without a cache, at best);
//! - `/healthz`: the app's whole middleware stack, no session, no database;
//! - `/api/auth/me` signed in: with the session cache on, off, with token refresh on, and
//!   with 1,000,000 sessions in the table (cache on and off).
//!
//! For each: requests per second (median over rounds), p50 and p99 latency, the server's peak
//! RSS, its CPU time per request, and database writes per request (from `pg_stat_database`,
//! read after the server exited, so every write is counted).
//!
//! Run: `cargo bench -p backend --bench requests` (PostgreSQL at `TEST_DATABASE_ADMIN_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`). `BENCH_SECONDS` per scenario and
//! round (default 5), `BENCH_ROUNDS` (default 3), `BENCH_CLIENTS` (default 16),
//! `BENCH_BIG_TABLE` (default 1000000 sessions).

use std::{
    collections::HashMap,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::cookie::{Cookie, CookieJar};
use ferris_login::{
    clock::{SharedClock, SystemClock},
    crypto::Keyring,
    session::{NewSession, PostgresStore, Sessions, StoredTokens, Timeouts},
    users,
};
use sqlx::{postgres::PgPoolOptions, Connection, PgConnection, PgPool};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};
use uuid::Uuid;

const SECRET: &str = "benchmark-secret-0123456789abcdef-0123456789";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--serve-baseline") {
        let port: u16 = args[at + 1].parse()?;
        let database_url = args[at + 2].clone();
        return baseline_server::run(port, database_url);
    }
    // `cargo test --benches` lists or runs benches in test mode: nothing to do then.
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return Ok(());
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

/// Where a scenario's requests go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Bare,
    OneRead,
    Healthz,
    Me,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Small,
    Big,
}

struct Scenario {
    name: &'static str,
    target: Target,
    table: Table,
    cache: bool,
    refresh: bool,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "bare route (no middleware)",
        target: Target::Bare,
        table: Table::Small,
        cache: false,
        refresh: false,
    },
    Scenario {
        name: "one primary-key read",
        target: Target::OneRead,
        table: Table::Small,
        cache: false,
        refresh: false,
    },
    Scenario {
        name: "/healthz (whole middleware)",
        target: Target::Healthz,
        table: Table::Small,
        cache: true,
        refresh: false,
    },
    Scenario {
        name: "/me, cache on",
        target: Target::Me,
        table: Table::Small,
        cache: true,
        refresh: false,
    },
    Scenario {
        name: "/me, cache off",
        target: Target::Me,
        table: Table::Small,
        cache: false,
        refresh: false,
    },
    Scenario {
        name: "/me, cache on, refresh on",
        target: Target::Me,
        table: Table::Small,
        cache: true,
        refresh: true,
    },
    Scenario {
        name: "/me, cache on, 1M sessions",
        target: Target::Me,
        table: Table::Big,
        cache: true,
        refresh: false,
    },
    Scenario {
        name: "/me, cache off, 1M sessions",
        target: Target::Me,
        table: Table::Big,
        cache: false,
        refresh: false,
    },
];

/// One scenario's measurements over all rounds.
#[derive(Default)]
struct Results {
    rates: Vec<f64>,
    latencies: Vec<Duration>,
    peak_rss_kib: u64,
    /// Every request sent, warm-up included (writes are counted over all of them).
    requests: u64,
    /// Requests in the measured windows (CPU time is counted over these).
    measured: u64,
    writes: i64,
    cpu_ticks: u64,
}

impl Results {
    fn rate(&self) -> f64 {
        let mut rates = self.rates.clone();
        rates.sort_by(f64::total_cmp);
        rates.get(rates.len() / 2).copied().unwrap_or_default()
    }

    fn percentile(&mut self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i]
    }

    fn writes_per_request(&self) -> f64 {
        self.writes as f64 / self.requests.max(1) as f64
    }

    fn cpu_us_per_request(&self) -> f64 {
        let tick = 1e6 / clock_ticks_per_second() as f64;
        self.cpu_ticks as f64 * tick / self.measured.max(1) as f64
    }
}

async fn bench() -> anyhow::Result<()> {
    let seconds = env_number("BENCH_SECONDS", 5);
    let rounds = env_number("BENCH_ROUNDS", 3);
    let clients = env_number("BENCH_CLIENTS", 16) as usize;
    let big = env_number("BENCH_BIG_TABLE", 1_000_000);
    println!(
        "{} cores; {clients} keep-alive clients; {seconds} s per scenario and round; \
         {rounds} rounds; release build: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        !cfg!(debug_assertions)
    );

    let small = BenchDatabase::create().await?;
    let large = BenchDatabase::create().await?;
    eprintln!("preparing the databases ({big} sessions in the big one)...");
    let small_setup = Setup::prepare(&small, 1_000).await?;
    let large_setup = Setup::prepare(&large, big).await?;

    let mut results: HashMap<&str, Results> = HashMap::new();
    let started = Instant::now();
    for round in 1..=rounds {
        eprintln!("round {round} of {rounds}");
        for scenario in selected() {
            let (db, setup) = match scenario.table {
                Table::Small => (&small, &small_setup),
                Table::Big => (&large, &large_setup),
            };
            let entry = results.entry(scenario.name).or_default();
            run(scenario, db, setup, clients, seconds, entry).await?;
        }
    }
    if results.len() == SCENARIOS.len() {
        print_table(&mut results, started.elapsed());
    } else {
        for (name, r) in &mut results {
            println!(
                "{name}: {:.0} req/s, p99 {:?}",
                r.rate(),
                r.percentile(0.99)
            );
        }
    }
    Ok(())
}

/// The scenarios to run: all, or those whose name contains `BENCH_ONLY` (for profiling one).
fn selected() -> impl Iterator<Item = &'static Scenario> {
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    SCENARIOS.iter().filter(move |s| s.name.contains(&only))
}

/// Everything a scenario needs from its database: sessions and their cookies.
struct Setup {
    cookie: String,
    refresh_cookie: String,
    row_key: Vec<u8>,
}

impl Setup {
    async fn prepare(db: &BenchDatabase, sessions: u64) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(&db.url)
            .await?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        let clock: SharedClock = Arc::new(SystemClock);
        let keys = Arc::new(Keyring::from_secrets([SECRET]));
        let store = Sessions::new(
            Arc::new(PostgresStore::new(pool.clone())),
            clock.clone(),
            keys.clone(),
            Timeouts {
                idle: Duration::from_secs(3600),
                absolute: Duration::from_secs(8 * 3600),
            },
        );
        let user = shared::User {
            sub: "bench|1".into(),
            issuer: "http://127.0.0.1:9/".into(),
            name: Some("Bench Mark".into()),
            email: Some("bench@example.com".into()),
            email_verified: Some(true),
            picture: Some("https://example.com/avatar.png".into()),
            roles: vec!["admin".into()],
            permissions: vec!["read:messages".into(), "write:messages".into()],
            extra: Default::default(),
        };
        let user_id = users::upsert_on_login(&pool, &user, clock.now()).await?;
        let new = |tokens: Option<StoredTokens>| NewSession {
            user_id,
            user: user.clone(),
            provider_sid: Some("bench-sid".into()),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) bench".into()),
            client_network: Some("127.0.0.0/24".into()),
            id_token: Some("header.payload.signature".into()),
            tokens,
            authenticated_at: clock.now(),
        };
        let plain = store.create(new(None), &[]).await?;
        let with_tokens = store
            .create(
                new(Some(StoredTokens {
                    access_token: "a".repeat(800),
                    refresh_token: Some("r".repeat(64)),
                    // Fresh for the whole run: refresh is checked, never needed.
                    expires_at: Some(clock.now().unix_timestamp() + 4 * 3600),
                })),
                &[],
            )
            .await?;
        // The rest of the table: same shape, other users' sessions.
        sqlx::query(
            "INSERT INTO sessions (id_hash, public_id, user_id, issuer, subject, provider_sid, \
                 user_agent, claims, id_token_sealed, authenticated_at, created_at, \
                 last_seen_at, idle_expires_at, absolute_expires_at, client_network) \
             SELECT sha256(('bench-' || g)::text::bytea), gen_random_uuid(), s.user_id, \
                 s.issuer, s.subject || g, s.provider_sid || g, s.user_agent, s.claims, \
                 s.id_token_sealed, s.authenticated_at, s.created_at, s.last_seen_at, \
                 s.idle_expires_at, s.absolute_expires_at, s.client_network \
             FROM sessions s, generate_series(1, $1) g WHERE s.public_id = $2",
        )
        .bind(sessions.saturating_sub(2) as i64)
        .bind(plain.view.id)
        .execute(&pool)
        .await?;
        // The one-read baseline's table: the same rows, read by primary key.
        sqlx::query("CREATE TABLE bench_rows AS SELECT * FROM sessions")
            .execute(&pool)
            .await?;
        sqlx::query("ALTER TABLE bench_rows ADD PRIMARY KEY (id_hash)")
            .execute(&pool)
            .await?;
        sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
        let row_key = crate_sha256(plain.key());
        Ok(Self {
            cookie: signed_cookie(&keys, plain.key()),
            refresh_cookie: signed_cookie(&keys, with_tokens.key()),
            row_key,
        })
    }
}

fn crate_sha256(key: &str) -> Vec<u8> {
    ferris_login::crypto::sha256(key.as_bytes()).to_vec()
}

fn signed_cookie(keys: &Keyring, session_key: &str) -> String {
    let name = "bff_session";
    let mut jar = CookieJar::new();
    jar.signed_mut(&keys.session_cookie_key())
        .add(Cookie::new(name, session_key.to_owned()));
    format!("{name}={}", jar.get(name).expect("just added").value())
}

async fn run(
    scenario: &Scenario,
    db: &BenchDatabase,
    setup: &Setup,
    clients: usize,
    seconds: u64,
    into: &mut Results,
) -> anyhow::Result<()> {
    let writes_before = db.writes().await?;
    let port = free_port()?;
    let server = match scenario.target {
        Target::Bare | Target::OneRead => Server::baseline(port, &db.url)?,
        Target::Healthz | Target::Me => Server::app(port, &db.url, scenario)?,
    };
    server.wait_ready(scenario.cache).await?;
    let (path, cookie, expect) = match scenario.target {
        Target::Bare => ("/bare".to_owned(), None, 200),
        Target::OneRead => (format!("/one-read/{}", hex(&setup.row_key)), None, 200),
        Target::Healthz => ("/healthz".to_owned(), None, 200),
        Target::Me => (
            "/api/auth/me".to_owned(),
            Some(if scenario.refresh {
                setup.refresh_cookie.clone()
            } else {
                setup.cookie.clone()
            }),
            200,
        ),
    };
    let request = http_request(&path, cookie.as_deref());
    // Warm up (connections, caches, prepared statements), then measure.
    let warmup = load(port, &request, expect, clients, Duration::from_secs(1)).await?;
    let cpu_before = server.cpu_ticks();
    let outcome = load(
        port,
        &request,
        expect,
        clients,
        Duration::from_secs(seconds),
    )
    .await?;
    let measured_cpu = server.cpu_ticks().saturating_sub(cpu_before);
    into.peak_rss_kib = into.peak_rss_kib.max(server.peak_rss_kib());
    into.rates
        .push(outcome.latencies.len() as f64 / outcome.elapsed.as_secs_f64());
    let warm_and_measured = (outcome.latencies.len() + warmup.latencies.len()) as u64;
    into.cpu_ticks += measured_cpu;
    into.measured += outcome.latencies.len() as u64;
    into.latencies.extend(outcome.latencies);
    drop(server);
    db.wait_for_disconnects().await?;
    into.writes += db.writes().await? - writes_before;
    into.requests += warm_and_measured;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn http_request(path: &str, cookie: Option<&str>) -> Vec<u8> {
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nX-CSRF: 1\r\nSec-Fetch-Site: same-origin\r\n"
    );
    if let Some(cookie) = cookie {
        request.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

struct LoadOutcome {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

/// `clients` keep-alive connections sending `request` until `duration` is over.
async fn load(
    port: u16,
    request: &[u8],
    expect: u16,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<LoadOutcome> {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let request = request.to_vec();
            tokio::spawn(async move {
                let stream = TcpStream::connect(("127.0.0.1", port)).await?;
                stream.set_nodelay(true)?;
                let (read, mut write) = stream.into_split();
                let mut read = BufReader::new(read);
                let mut latencies = Vec::with_capacity(200_000);
                let mut line = String::new();
                let mut body = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    write.write_all(&request).await?;
                    line.clear();
                    read.read_line(&mut line).await?;
                    let status: u16 = line
                        .split(' ')
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or_default();
                    let mut length = 0usize;
                    loop {
                        line.clear();
                        read.read_line(&mut line).await?;
                        if line == "\r\n" || line.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse()?;
                            }
                        }
                    }
                    body.resize(length, 0);
                    read.read_exact(&mut body).await?;
                    latencies.push(sent.elapsed());
                    anyhow::ensure!(
                        status == expect,
                        "got {status}, expected {expect}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(LoadOutcome {
        latencies,
        elapsed: started.elapsed(),
    })
}

/// A server process, killed when dropped.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    fn app(port: u16, database_url: &str, scenario: &Scenario) -> anyhow::Result<Self> {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_backend"));
        command
            .env_clear()
            .current_dir(std::env::temp_dir())
            .env("AUTH0_SECRET", SECRET)
            .env("AUTH0_BASE_URL", format!("http://localhost:{port}"))
            // No provider is needed to serve existing sessions; discovery fails once, quietly.
            .env("AUTH0_ISSUER_BASE_URL", "http://127.0.0.1:9/")
            .env("AUTH0_CLIENT_ID", "bench")
            .env("AUTH0_CLIENT_SECRET", "bench-client-secret")
            .env("DATABASE_URL", database_url)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("FRONTEND_DIST", "/nonexistent-bench-dist")
            .env("SESSION_CACHE", if scenario.cache { "on" } else { "off" })
            .env("RUST_LOG", "info,sqlx=warn");
        if scenario.refresh {
            command.env("AUTH0_REFRESH_TOKENS", "true");
        }
        Self::spawn(command, port)
    }

    fn baseline(port: u16, database_url: &str) -> anyhow::Result<Self> {
        let mut command = std::process::Command::new(std::env::current_exe()?);
        command.args(["--serve-baseline", &port.to_string(), database_url]);
        Self::spawn(command, port)
    }

    fn spawn(mut command: std::process::Command, port: u16) -> anyhow::Result<Self> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Self { child, port })
    }

    async fn wait_ready(&self, cache: bool) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(body) = get_body(self.port, "/readyz").await {
                if !cache || body.contains("\"listening\"") {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        anyhow::bail!("server on port {} never became ready", self.port)
    }

    fn proc_file(&self, file: &str) -> String {
        std::fs::read_to_string(format!("/proc/{}/{file}", self.child.id())).unwrap_or_default()
    }

    fn peak_rss_kib(&self) -> u64 {
        self.proc_file("status")
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_default()
    }

    /// User + system CPU time so far, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat = self.proc_file("stat");
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        field(11) + field(12)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks_per_second() -> u64 {
    // USER_HZ is 100 on Linux for every architecture this runs on.
    100
}

async fn get_body(port: u16, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    anyhow::ensure!(response.starts_with("HTTP/1.1 200"), "not ready");
    Ok(response)
}

/// A free port below the kernel's ephemeral range (no outgoing connection takes it while the
/// server starts).
fn free_port() -> anyhow::Result<u16> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    for _ in 0..1000 {
        let port = rng.gen_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    anyhow::bail!("no free port")
}

fn print_table(results: &mut HashMap<&str, Results>, run: Duration) {
    println!();
    println!(
        "{:<30} {:>9} {:>8} {:>8} {:>9} {:>10} {:>12}",
        "scenario", "req/s", "p50", "p99", "peak RSS", "CPU/req", "writes/req"
    );
    for scenario in SCENARIOS {
        let r = results.get_mut(scenario.name).expect("measured");
        let (p50, p99) = (r.percentile(0.5), r.percentile(0.99));
        println!(
            "{:<30} {:>9.0} {:>6.2}ms {:>6.2}ms {:>6.1} MB {:>8.0}µs {:>12.4}",
            scenario.name,
            r.rate(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            r.peak_rss_kib as f64 / 1024.0,
            r.cpu_us_per_request(),
            r.writes_per_request(),
        );
    }
    let rate = |name: &str| results[name].rate();
    let me_on = rate("/me, cache on");
    let me_off = rate("/me, cache off");
    let healthz = rate("/healthz (whole middleware)");
    let targets = [
        ("/me cache on vs /healthz", me_on / healthz, 0.7, true),
        (
            "/me cache off vs one read",
            me_off / rate("one primary-key read"),
            0.9,
            true,
        ),
        (
            "/healthz vs bare route",
            healthz / rate("bare route (no middleware)"),
            0.6,
            true,
        ),
        (
            "/me 1M vs 1k (cache on)",
            rate("/me, cache on, 1M sessions") / me_on,
            0.9,
            true,
        ),
        (
            "/me 1M vs 1k (cache off)",
            rate("/me, cache off, 1M sessions") / me_off,
            0.9,
            true,
        ),
    ];
    println!();
    println!(
        "{:<30} {:>9} {:>9}  result",
        "target (same run)", "measured", "target"
    );
    for (name, measured, target, at_least) in targets {
        let met = if at_least {
            measured >= target
        } else {
            measured <= target
        };
        println!(
            "{:<30} {:>8.2}x {:>8}x  {}",
            name,
            measured,
            format!("≥{target}"),
            if met { "met" } else { "MISSED" }
        );
    }
    let worst_p99 = SCENARIOS
        .iter()
        .filter(|s| s.target == Target::Me)
        .map(|s| results.get_mut(s.name).unwrap().percentile(0.99))
        .max()
        .unwrap_or_default();
    let worst_rss = SCENARIOS
        .iter()
        .filter(|s| matches!(s.target, Target::Me | Target::Healthz))
        .map(|s| results[s.name].peak_rss_kib)
        .max()
        .unwrap_or_default() as f64
        / 1024.0;
    let (me_writes, me_requests) = SCENARIOS
        .iter()
        .filter(|s| s.target == Target::Me)
        .map(|s| (results[s.name].writes, results[s.name].requests))
        .fold((0, 0), |(w, r), (w2, r2)| (w + w2, r + r2));
    let me_p99 = results.get_mut("/me, cache on").unwrap().percentile(0.99);
    println!(
        "{:<30} {:>7.2}ms {:>9}  {} (worst /me: {:.2} ms)",
        "/me p99 (cache on)",
        me_p99.as_secs_f64() * 1e3,
        "≤2ms",
        if me_p99 <= Duration::from_millis(2) {
            "met"
        } else {
            "MISSED"
        },
        worst_p99.as_secs_f64() * 1e3
    );
    println!(
        "{:<30} {:>7.1}MB {:>9}  {}",
        "app peak RSS (worst)",
        worst_rss,
        "≤40MB",
        if worst_rss <= 40.0 { "met" } else { "MISSED" }
    );
    // Steady state is no write at all: a session's idle deadline slides (one write) at most
    // once a minute. The run signs in with four sessions (plain and with tokens, in each
    // database), so it may see four writes per minute it lasts, and no more.
    let per_minute_bound = 4 * (run.as_secs() as i64 / 60 + 1);
    println!(
        "{:<30} {:>9} {:>9}  {} ({me_writes} writes in {me_requests} requests: {})",
        "database writes per /me",
        format!("{:.6}", me_writes as f64 / me_requests.max(1) as f64),
        "0",
        if me_writes <= per_minute_bound {
            "met"
        } else {
            "MISSED"
        },
        if me_writes == 0 {
            "none".to_owned()
        } else {
            "the throttled idle-deadline slide, at most one per session and minute".to_owned()
        }
    );
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

    async fn admin(&self) -> anyhow::Result<PgConnection> {
        Ok(PgConnection::connect(&self.admin).await?)
    }

    /// Rows inserted, updated and deleted in this database's tables so far (flushed
    /// statistics; the benchmark's own setup happened before the first reading).
    async fn writes(&self) -> anyhow::Result<i64> {
        let mut conn = PgConnection::connect(&self.url).await?;
        let writes: i64 = sqlx::query_scalar(
            "SELECT COALESCE(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint \
             FROM pg_stat_user_tables",
        )
        .fetch_one(&mut conn)
        .await?;
        Ok(writes)
    }

    /// Until no server connection is left (their statistics are flushed when they end).
    async fn wait_for_disconnects(&self) -> anyhow::Result<()> {
        let mut conn = self.admin().await?;
        for _ in 0..500 {
            let left: i64 =
                sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
                    .bind(&self.name)
                    .fetch_one(&mut conn)
                    .await?;
            if left == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        anyhow::bail!("server connections to {} did not end", self.name)
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

/// The baselines, on the app's Actix and pool settings (default workers, a pool of 10): a bare
/// JSON route, and one doing one primary-key read of a session-sized row.
mod baseline_server {
    use actix_web::{web, App, HttpResponse, HttpServer};

    use super::*;

    #[derive(sqlx::FromRow)]
    struct Row {
        public_id: Uuid,
        user_id: Uuid,
        claims: sqlx::types::Json<serde_json::Value>,
        created_at: time::OffsetDateTime,
        last_seen_at: time::OffsetDateTime,
        idle_expires_at: time::OffsetDateTime,
        absolute_expires_at: time::OffsetDateTime,
    }

    pub fn run(port: u16, database_url: String) -> anyhow::Result<()> {
        actix_web::rt::System::new().block_on(async move {
            // The app's own pool settings: "one read" costs there what it costs in the app.
            let pool = ferris_login::database::pool_options(10)
                .connect(&database_url)
                .await?;
            HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(pool.clone()))
                    .route("/bare", web::get().to(bare))
                    .route("/readyz", web::get().to(bare))
                    .route("/one-read/{key}", web::get().to(one_read))
            })
            .bind(("127.0.0.1", port))?
            .run()
            .await?;
            Ok(())
        })
    }

    async fn bare() -> HttpResponse {
        HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
    }

    async fn one_read(pool: web::Data<PgPool>, key: web::Path<String>) -> HttpResponse {
        let key: Vec<u8> = (0..key.len() / 2)
            .filter_map(|i| u8::from_str_radix(&key[i * 2..i * 2 + 2], 16).ok())
            .collect();
        let row: Result<Option<Row>, _> = sqlx::query_as(
            "SELECT public_id, user_id, claims, created_at, last_seen_at, idle_expires_at, \
                 absolute_expires_at FROM bench_rows \
             WHERE id_hash = $1 AND idle_expires_at > now() AND absolute_expires_at > now()",
        )
        .bind(key)
        .fetch_optional(pool.get_ref())
        .await;
        match row {
            Ok(Some(row)) => {
                let _ = (
                    row.public_id,
                    row.user_id,
                    row.created_at,
                    row.last_seen_at,
                    row.idle_expires_at,
                    row.absolute_expires_at,
                );
                HttpResponse::Ok().json(row.claims.0)
            }
            Ok(None) => HttpResponse::NotFound().finish(),
            Err(_) => HttpResponse::ServiceUnavailable().finish(),
        }
    }
}

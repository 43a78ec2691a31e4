//! Test harness: `spawn_app()` and a browser-like client that can sign in at the dev provider.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::Duration,
};

use backend::startup::Application;
use ferris_login::{
    clock::{OffsetClock, SharedClock},
    Config,
};
use reqwest::{cookie::CookieStore, header, redirect::Policy, Response, StatusCode, Url};
use sqlx::{postgres::PgPoolOptions, Connection, PgConnection, PgPool};
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

pub const TEST_SECRET: &str = "integration-test-secret-0123456789abcdef";
pub const CLIENT_ID: &str = "bff-test";
/// Contains `: + % /` and a space on purpose: client_secret_basic must form-encode it
/// (relying-party case A01, docs/relying-party-cases.md; the provider accepts only printable
/// ASCII, RFC 6749 A.2).
pub const CLIENT_SECRET: &str = "test:secret+with%odd chars/=";

pub fn admin_database_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A free loopback port below the kernel's ephemeral range (32768 and up on Linux), for a
/// server that must be started, stopped and started again on the same port, or for a port
/// that must stay closed. Ports from `bind(0)` and outgoing connections come from the
/// ephemeral range, so nothing else in the run takes this one while it is down.
pub fn quiet_port() -> u16 {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    for _ in 0..1000 {
        let port = rng.gen_range(20_000..32_000);
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in 20000..32000");
}

/// Whether `path` is an executable file (a tool a test starts).
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("backend/ has a parent")
        .to_owned()
}

/// A throwaway database, dropped (forcibly) when this value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let name = format!("bff_test_{}", Uuid::new_v4().simple());
        let admin = admin_database_url();
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("connect to the admin database (TEST_DATABASE_ADMIN_URL)");
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let mut url = Url::parse(&admin).expect("admin URL");
        url.set_path(&name);
        Self {
            name,
            url: url.to_string(),
        }
    }
}

impl TestDatabase {
    /// A database owned by someone else (not dropped here).
    pub fn existing(url: String) -> Self {
        Self {
            name: String::new(),
            url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let name = self.name.clone();
        let admin = admin_database_url();
        // Drop needs async: run it on a runtime of its own, on its own thread.
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

/// The dev provider (devidp/), one process per test, killed when dropped.
pub struct DevIdp {
    pub issuer: String,
    _child: tokio::process::Child,
}

impl DevIdp {
    /// How long one start may take. A start takes about a second; a start that has not
    /// reported ready by then is stuck (seen once in CI, never reproduced), so it is killed,
    /// described on stderr, and tried again. Seen again on 2026-12-08: three stuck starts in a
    /// row within one minute of a loaded run (threads idle in futex/epoll waits), so the
    /// attempts now span 90 s; why node stalls is still open.
    const START_TIMEOUT: Duration = Duration::from_secs(15);
    const START_ATTEMPTS: u32 = 6;

    pub async fn start(app_base: &str) -> Self {
        Self::start_for(app_base, "/api").await
    }

    /// For an app whose API is mounted at `api_prefix` (its callback and back-channel logout
    /// are below it).
    pub async fn start_for(app_base: &str, api_prefix: &str) -> Self {
        Self::start_with(app_base, api_prefix, &[]).await
    }

    /// With more of its variables set (`DEVIDP_PUSHED_AUTHORIZATION_REQUESTS`, ...).
    pub async fn start_with(
        app_base: &str,
        api_prefix: &str,
        extra_env: &[(&'static str, String)],
    ) -> Self {
        let root = repo_root();
        assert!(
            root.join("devidp/node_modules").exists(),
            "devidp dependencies missing: run `npm ci --prefix devidp` (cargo xtask test does)"
        );
        let mut failures = Vec::new();
        for attempt in 1..=Self::START_ATTEMPTS {
            match Self::try_start(&root, app_base, api_prefix, extra_env).await {
                Ok(idp) => return idp,
                Err(StartFailure::Exited(log)) => {
                    panic!("devidp exited before it was ready:\n{log}")
                }
                Err(StartFailure::Stuck(report)) => {
                    eprintln!("devidp start attempt {attempt} stuck: {report}");
                    failures.push(report);
                }
            }
        }
        panic!(
            "devidp not ready after {} attempts of {:?}:\n{}",
            Self::START_ATTEMPTS,
            Self::START_TIMEOUT,
            failures.join("\n")
        );
    }

    async fn try_start(
        root: &Path,
        app_base: &str,
        api_prefix: &str,
        extra_env: &[(&'static str, String)],
    ) -> Result<Self, StartFailure> {
        let mut child = tokio::process::Command::new("node")
            .arg(root.join("devidp/server.js"))
            .env("DEVIDP_PORT", "0")
            .env("DEVIDP_CLIENT_ID", CLIENT_ID)
            .env("DEVIDP_CLIENT_SECRET", CLIENT_SECRET)
            .env(
                "DEVIDP_REDIRECT_URIS",
                format!("{app_base}{api_prefix}/auth/callback"),
            )
            .env("DEVIDP_POST_LOGOUT_REDIRECT_URIS", format!("{app_base}/"))
            .env(
                "DEVIDP_BACKCHANNEL_LOGOUT_URI",
                format!("{app_base}{api_prefix}/auth/backchannel-logout"),
            )
            .env("DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL", "1")
            // Tests change users' roles and permissions at the provider (`TestApp::dev_user`).
            .env("DEVIDP_ENABLE_ADMIN_API", "1")
            .env("DEVIDP_EXIT_ON_STDIN_CLOSE", "1")
            .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start node devidp/server.js");
        // Keep its log, to explain a failure to start.
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Self::START_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(json) = line.strip_prefix("DEVIDP_READY ") {
                    return Some(
                        serde_json::from_str::<serde_json::Value>(json).expect("ready JSON"),
                    );
                }
            }
            None
        })
        .await;
        let log = || log.lock().unwrap().clone();
        let ready = match ready {
            Ok(Some(ready)) => ready,
            Ok(None) => return Err(StartFailure::Exited(log())),
            Err(_) => {
                let state = child.id().map(process_state).unwrap_or_default();
                let _ = child.start_kill();
                return Err(StartFailure::Stuck(format!(
                    "no ready line within {:?}; process: {state}; log:\n{}",
                    Self::START_TIMEOUT,
                    log()
                )));
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            issuer: ready["issuer"].as_str().expect("issuer").to_owned(),
            _child: child,
        })
    }
}

enum StartFailure {
    Exited(String),
    Stuck(String),
}

/// What Linux says a process is doing (state, CPU ticks, wait channel, per thread), to tell a
/// busy process from a blocked one.
fn process_state(pid: u32) -> String {
    let read = |path: String| std::fs::read_to_string(path).unwrap_or_default();
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| dir.flatten().map(|entry| entry.path()).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut out = format!("pid {pid}");
    for task in tasks {
        let stat = read(format!("{}/stat", task.display()));
        // Fields after the command name: state is the 1st, utime the 12th, stime the 13th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let wchan = read(format!("{}/wchan", task.display()));
        out.push_str(&format!(
            "; task {} state {} utime {} stime {} wchan {}",
            task.file_name().unwrap_or_default().to_string_lossy(),
            fields.first().unwrap_or(&"?"),
            fields.get(11).unwrap_or(&"?"),
            fields.get(12).unwrap_or(&"?"),
            wchan.trim()
        ));
    }
    out
}

pub struct TestApp {
    /// `http://localhost:PORT`
    pub address: String,
    pub pool: PgPool,
    pub clock: OffsetClock,
    /// The provider's issuer (the dev provider's, or the fake's).
    pub issuer: String,
    pub database_url: String,
    _idp: Option<DevIdp>,
    // Dropped last: the app's pool must be gone (or forced out) first.
    _db: TestDatabase,
}

#[derive(Default)]
pub struct AppOptions {
    /// Use this issuer (a fake provider) instead of starting the dev provider.
    pub issuer: Option<String>,
    /// Use this database (e.g. a throwaway cluster, or another app's) instead of a fresh one
    /// on the shared server.
    pub database_url: Option<String>,
    /// `AUTH0_BASE_URL` when it is not this app's own address (replicas behind one origin).
    pub base_url: Option<String>,
    /// The public origin is https (TLS terminated in front of the app) on this app's port.
    pub https_origin: bool,
    pub frontend_dist: Option<PathBuf>,
    pub extra_env: Vec<(&'static str, String)>,
    /// More variables for the dev provider (when it is started).
    pub idp_env: Vec<(&'static str, String)>,
}

/// The dev provider's API (its default `DEVIDP_API_AUDIENCE`): access tokens for it carry the
/// user's `permissions`.
pub const DEV_API: &str = "http://localhost:8080/api";

/// An app that asks for access tokens for the dev provider's API, so users have permissions.
pub async fn spawn_app_with_permissions() -> TestApp {
    spawn_app_with(AppOptions {
        extra_env: vec![("AUTH0_AUDIENCE", DEV_API.to_owned())],
        ..Default::default()
    })
    .await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    // Bound now and handed to the app, so the port stays ours while the provider is told
    // the app's address (a probed-then-freed port was once taken by another test meanwhile).
    let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
    let port = listener.local_addr().unwrap().port();
    let address = format!("http://localhost:{port}");
    let base_url = options.base_url.unwrap_or_else(|| {
        if options.https_origin {
            address.replacen("http://", "https://", 1)
        } else {
            address.clone()
        }
    });
    let (issuer, idp) = match options.issuer {
        Some(issuer) => (issuer, None),
        None => {
            let idp = DevIdp::start_with(&address, "/api", &options.idp_env).await;
            (idp.issuer.clone(), Some(idp))
        }
    };
    let db = match options.database_url {
        Some(url) => TestDatabase::existing(url),
        None => TestDatabase::create().await,
    };
    let dist = options
        .frontend_dist
        .unwrap_or_else(|| PathBuf::from("/nonexistent-test-dist"));
    let mut vars: Vec<(&str, String)> = vec![
        ("AUTH0_SECRET", TEST_SECRET.to_owned()),
        ("AUTH0_BASE_URL", base_url),
        ("AUTH0_ISSUER_BASE_URL", issuer.clone()),
        ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("DATABASE_URL", db.url.clone()),
        ("LISTEN_ADDR", format!("127.0.0.1:{port}")),
        ("FRONTEND_DIST", dist.display().to_string()),
        ("SESSION_IDLE_TIMEOUT", "1h".to_owned()),
        ("SESSION_ABSOLUTE_TIMEOUT", "8h".to_owned()),
        // Tests log in far more often than people; `rate_limits.rs` turns limits on.
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
    ];
    vars.extend(options.extra_env);
    let config = Config::from_lookup(|name| {
        vars.iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("valid test configuration");
    let clock = OffsetClock::new();
    let shared: SharedClock = Arc::new(clock.clone());
    let app = Application::build_on(config.clone(), shared, listener)
        .await
        .expect("application builds");
    tokio::spawn(app.run_until_stopped());
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&db.url)
        .await
        .expect("test pool");
    TestApp {
        address,
        pool,
        clock,
        issuer,
        database_url: db.url.clone(),
        _idp: idp,

        _db: db,
    }
}

/// A browser: a cookie jar, no automatic redirects.
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .cookie_provider(jar.clone())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self { client, jar }
    }

    /// The `Cookie` header this browser would send to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        self.jar
            .cookies(&Url::parse(url).unwrap())
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    pub fn cookie_value(&self, url: &str, name: &str) -> Option<String> {
        self.cookies_for(url).split("; ").find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }

    /// Another browser holding a copy of this one's cookies for `url`: what a stolen or
    /// replayed cookie looks like after this browser's cookie changes.
    pub fn copy(&self, url: &str) -> Browser {
        let other = Browser::new();
        let parsed = Url::parse(url).unwrap();
        for pair in self.cookies_for(url).split("; ").filter(|p| !p.is_empty()) {
            other
                .jar
                .add_cookie_str(&format!("{pair}; Path=/"), &parsed);
        }
        other
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client.get(url).send().await.expect("GET")
    }

    /// An SPA call: same-origin, with the anti-forgery header.
    pub async fn api_get(&self, url: &str) -> Response {
        self.client
            .get(url)
            .header("X-CSRF", "1")
            .header("Sec-Fetch-Site", "same-origin")
            .send()
            .await
            .expect("GET")
    }

    /// A top-level navigation from one of our own pages (a click on a link).
    pub async fn navigate(&self, url: &str) -> Response {
        self.client
            .get(url)
            .header("Sec-Fetch-Site", "same-origin")
            .header("Sec-Fetch-Mode", "navigate")
            .header("Accept", "text/html")
            .send()
            .await
            .expect("GET")
    }

    pub async fn api_delete(&self, url: &str) -> Response {
        self.client
            .delete(url)
            .header("X-CSRF", "1")
            .header("Sec-Fetch-Site", "same-origin")
            .send()
            .await
            .expect("DELETE")
    }

    pub async fn api_post_json(&self, url: &str, body: &impl serde::Serialize) -> Response {
        self.client
            .post(url)
            .header("X-CSRF", "1")
            .header("Sec-Fetch-Site", "same-origin")
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn api_post(&self, url: &str) -> Response {
        self.client
            .post(url)
            .header("X-CSRF", "1")
            .header("Sec-Fetch-Site", "same-origin")
            .send()
            .await
            .expect("POST")
    }
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("no Location on a {} response", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Signs in at the provider's page, following its redirects until it sends the browser back to
/// the callback of the app at `app_address`; returns that callback URL (not yet visited).
pub async fn sign_in_at_provider(
    browser: &Browser,
    app_address: &str,
    authorize_url: &str,
    user: &str,
    password: &str,
) -> String {
    let mut url = authorize_url.to_owned();
    for _ in 0..10 {
        // The app's callback, wherever its API is mounted.
        if url.starts_with(app_address) && url.contains("/auth/callback?") {
            return url;
        }
        let response = browser.get(&url).await;
        if response.status().is_redirection() {
            url = absolute(&url, &location(&response));
            continue;
        }
        assert_eq!(response.status(), StatusCode::OK, "provider page at {url}");
        let html = response.text().await.unwrap();
        let action = absolute(&url, &form_action(&html));
        let response = browser
            .client
            .post(&action)
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_redirection(),
            "sign-in as {user} accepted (got {})",
            response.status()
        );
        url = absolute(&action, &location(&response));
    }
    panic!("the provider never redirected back to the callback");
}

/// A whole login at the app at `app_address` (dev provider): the callback's response.
pub async fn login_at(browser: &Browser, app_address: &str, user: &str) -> Response {
    let response = browser.get(&format!("{app_address}/api/auth/login")).await;
    assert_eq!(response.status(), StatusCode::FOUND, "login redirects");
    let callback =
        sign_in_at_provider(browser, app_address, &location(&response), user, user).await;
    browser.get(&callback).await
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `GET /api/auth/login` and returns the provider URL it redirects to.
    pub async fn start_login(&self, browser: &Browser, return_to: Option<&str>) -> String {
        let url = match return_to {
            Some(r) => format!("{}?returnTo={}", self.url("/api/auth/login"), urlencode(r)),
            None => self.url("/api/auth/login"),
        };
        let response = browser.get(&url).await;
        assert_eq!(response.status(), StatusCode::FOUND, "login redirects");
        location(&response)
    }

    /// Signs in at the provider's page, following its redirects until it sends the browser
    /// back to our callback; returns that callback URL (not yet visited).
    pub async fn sign_in_at_provider(
        &self,
        browser: &Browser,
        authorize_url: &str,
        user: &str,
        password: &str,
    ) -> String {
        sign_in_at_provider(browser, &self.address, authorize_url, user, password).await
    }

    /// The whole login: returns the callback's response (a 302 to `returnTo` on success).
    pub async fn login_as(&self, browser: &Browser, user: &str) -> Response {
        let authorize = self.start_login(browser, None).await;
        let callback = self
            .sign_in_at_provider(browser, &authorize, user, user)
            .await;
        browser.get(&callback).await
    }

    pub async fn me(&self, browser: &Browser) -> Response {
        browser.api_get(&self.url("/api/auth/me")).await
    }

    /// The SPA's logout: `POST /api/auth/logout` with the anti-forgery header.
    pub async fn logout(&self, browser: &Browser) -> Response {
        browser.api_post(&self.url("/api/auth/logout")).await
    }

    /// Changes a dev user's roles and permissions at the dev provider (its test-only admin
    /// API); tokens it issues from now on carry them.
    pub async fn dev_user(&self, username: &str, change: serde_json::Value) {
        let response = reqwest::Client::new()
            .put(format!("{}/dev-admin/users/{username}", self.issuer))
            .json(&change)
            .send()
            .await
            .expect("dev provider admin API");
        assert_eq!(response.status(), StatusCode::OK, "changing {username}");
    }

    pub async fn session_rows(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM sessions")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// A spawned app whose provider is `fake`.
pub async fn spawn_app_against(fake: &crate::fake_idp::FakeIdp) -> TestApp {
    spawn_app_with(AppOptions {
        issuer: Some(fake.issuer.clone()),
        ..Default::default()
    })
    .await
}

impl TestApp {
    /// A login through the fake provider (which signs in without a form): returns the
    /// callback's response.
    pub async fn login_via_fake(&self, browser: &Browser) -> Response {
        let callback = self.callback_via_fake(browser).await;
        browser.get(&callback).await
    }

    /// Starts a login and lets the fake provider answer: returns the callback URL, unvisited.
    pub async fn callback_via_fake(&self, browser: &Browser) -> String {
        let authorize = self.start_login(browser, None).await;
        let response = browser.get(&authorize).await;
        assert_eq!(
            response.status(),
            StatusCode::FOUND,
            "fake /authorize redirects"
        );
        location(&response)
    }
}

/// Whether `text` contains a JWT (three base64url segments joined by dots, starting `eyJ`).
/// Sealed values are base64url without dots, so a chance `eyJ` inside one is not a JWT.
pub fn contains_jwt(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .flat_map(|run| run.match_indices("eyJ").map(move |(i, _)| &run[i..]))
        .any(|candidate| {
            let parts: Vec<&str> = candidate.splitn(4, '.').collect();
            parts.len() >= 3 && !parts[1].is_empty()
        })
}

pub fn random_code() -> String {
    Uuid::new_v4().simple().to_string()
}

pub fn absolute(base: &str, reference: &str) -> String {
    Url::parse(base)
        .unwrap()
        .join(reference)
        .unwrap()
        .to_string()
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Replaces (or adds) one query parameter of `url`.
pub fn with_query_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut parsed = Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = parsed.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    parsed.to_string()
}

#[test]
fn contains_jwt_tells_jwts_from_sealed_values() {
    assert!(contains_jwt(
        r#"{"t":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}"#
    ));
    assert!(contains_jwt("Bearer eyJa.eyJb.sig"));
    assert!(!contains_jwt(
        "sealed-AbCheyJ0Zz_-9xyz, more base64url without dots"
    ));
    assert!(!contains_jwt("eyJ alone"));
}

//! End-to-end: a fresh database, the dev provider and the built backend on free ports, and
//! `node --test` in `e2e/` driving the system Chromium through the real login.

use std::{
    fs,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use anyhow::{bail, Context, Result};

use crate::{
    cmd, frontend, http, postgres,
    process::{Output, Service},
    random,
    services::{self, AppSettings},
    stack::ClientUris,
    tools, workspace,
};

/// The idle timeout of the second backend, which the expiry tests use (the warning comes a
/// quarter of it before the end).
const SHORT_IDLE_TIMEOUT: &str = "20s";

/// Where the tests put their screenshots.
pub fn artifacts_dir() -> PathBuf {
    workspace::root().join("e2e").join("artifacts")
}

/// How to get the backend binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendBuild {
    /// `cargo build -p backend`.
    Build,
    /// Right after `cargo test --workspace`: `cargo test --workspace --no-run`, a no-op that
    /// leaves `target/debug/backend` built with the test run's features (a plain
    /// `cargo build` would recompile every crate whose features the dev-dependencies change).
    ReuseTestBuild,
}

pub fn run(build: BackendBuild) -> Result<()> {
    let dist = frontend::dist_dir();
    if !dist.join("index.html").exists() {
        bail!(
            "no built SPA in {}: run `cargo xtask test` (its `spa` step) first",
            dist.display()
        );
    }
    let example_dist = frontend::minimal_app_dist_dir();
    if !example_dist.join("index.html").exists() {
        bail!(
            "no built example app in {}: run `cargo xtask test` (its `spa` step) first",
            example_dist.display()
        );
    }
    let binary = match build {
        BackendBuild::Build => services::build_backend(false)?,
        BackendBuild::ReuseTestBuild => {
            let mut test = cmd::cargo(["test", "--workspace", "--no-run"]);
            cmd::run(cmd::locked_in_ci(&mut test))?;
            workspace::target_dir().join("debug").join("backend")
        }
    };
    // The minimal example server: someone else's Actix app with ferris-login mounted.
    let example_binary = services::build_package("minimal-server")?;
    // The existing-app example: an app with its own server, pool and pages.
    let existing_binary = services::build_package("existing-app")?;

    let logs = workspace::target_dir().join("e2e");
    fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let admin = postgres::admin_url();
    if !postgres::reachable(&admin) {
        bail!(
            "no PostgreSQL at {} (set TEST_DATABASE_ADMIN_URL to a superuser URL)",
            postgres::redacted(&admin)
        );
    }
    let database = postgres::TempDatabase::create(&admin, "bff_e2e")?;

    let app_port = http::free_port()?;
    let base_url = format!("http://localhost:{app_port}");
    // A second backend with a 20-second idle timeout (the expiry warning tests), on another
    // host name so its cookies are its own; same provider and database.
    let short_port = http::free_port()?;
    let short_url = format!("http://127.0.0.1:{short_port}");
    // A third whose provider is a closed port (the "provider down" test): it starts anyway
    // and retries discovery at each login.
    let down_port = http::free_port()?;
    let down_url = format!("http://127.0.0.1:{down_port}");
    let closed_issuer = format!("http://127.0.0.1:{}", http::free_port()?);
    // The minimal example app, on a host name of its own.
    let example_port = http::free_port()?;
    let example_url = format!("http://127.0.0.1:{example_port}");
    // The existing-app example (each browser test has a fresh context: no cookie is shared
    // with the minimal example on the same host).
    let existing_port = http::free_port()?;
    let existing_url = format!("http://127.0.0.1:{existing_port}");

    let main_uris = ClientUris::for_app(&base_url, &base_url);
    let short_uris = ClientUris::for_app(&short_url, &short_url);
    let example_uris = ClientUris::for_app(&example_url, &example_url);
    let existing_uris = ClientUris::for_app(&existing_url, &existing_url);
    let uris = ClientUris {
        redirect: format!(
            "{},{},{},{}",
            main_uris.redirect, short_uris.redirect, example_uris.redirect, existing_uris.redirect
        ),
        post_logout: format!(
            "{},{},{},{}",
            main_uris.post_logout,
            short_uris.post_logout,
            example_uris.post_logout,
            existing_uris.post_logout
        ),
        backchannel: main_uris.backchannel,
    };
    let mut idp = services::start_idp(0, &uris, Output::Log(logs.join("devidp.log")))?;
    let secret = random::hex(32)?;
    let launch = Launch {
        binary: &binary,
        secret: &secret,
        database_url: database.url(),
        dist: &dist,
    };
    // Not the checkout as working directory: a developer's `.env` there must not leak in.
    let mut app = launch.start(
        &base_url,
        &idp.issuer,
        app_port,
        &logs,
        &logs.join("backend.log"),
    )?;
    // The backend reads `.env` from its working directory (below the environment, which a
    // hermetic start clears): the short timeout lives in a folder of its own.
    let short_dir = logs.join("short-idle");
    fs::create_dir_all(&short_dir)?;
    fs::write(
        short_dir.join(".env"),
        format!("SESSION_IDLE_TIMEOUT={SHORT_IDLE_TIMEOUT}\n"),
    )?;
    let mut short_app = launch.start(
        &short_url,
        &idp.issuer,
        short_port,
        &short_dir,
        &logs.join("backend-short-idle.log"),
    )?;
    let mut down_app = launch.start(
        &down_url,
        &closed_issuer,
        down_port,
        &logs,
        &logs.join("backend-provider-down.log"),
    )?;
    let mut example_app = Launch {
        binary: &example_binary,
        dist: &example_dist,
        ..launch
    }
    .start(
        &example_url,
        &idp.issuer,
        example_port,
        &logs,
        &logs.join("minimal-example.log"),
    )?;
    let mut existing_app = Launch {
        binary: &existing_binary,
        dist: &example_dist,
        ..launch
    }
    .start(
        &existing_url,
        &idp.issuer,
        existing_port,
        &logs,
        &logs.join("existing-app.log"),
    )?;
    app.wait_for_http(app_port, "/healthz", Duration::from_secs(60))?;
    println!("backend ready at {base_url}");
    short_app.wait_for_http(short_port, "/healthz", Duration::from_secs(60))?;
    println!("backend with a {SHORT_IDLE_TIMEOUT} idle timeout ready at {short_url}");
    down_app.wait_for_http(down_port, "/healthz", Duration::from_secs(60))?;
    println!("backend with an unreachable provider ready at {down_url}");
    example_app.wait_for_http(example_port, "/healthz", Duration::from_secs(60))?;
    println!("minimal example app ready at {example_url}");
    existing_app.wait_for_http(existing_port, "/health", Duration::from_secs(60))?;
    println!("existing-app example ready at {existing_url}");

    let artifacts = artifacts_dir();
    fs::create_dir_all(&artifacts)?;
    let mut node = Command::new("node");
    node.args(["--test", "--test-concurrency=1", "--test-reporter=spec"]);
    // `E2E_TESTS="tests/messages.test.js tests/expiry.test.js"`: only these files.
    if let Ok(files) = std::env::var("E2E_TESTS") {
        node.args(files.split_whitespace());
    }
    node.current_dir(workspace::root().join("e2e"))
        .env("E2E_BASE_URL", &base_url)
        .env("E2E_ISSUER", &idp.issuer)
        .env("E2E_SHORT_IDLE_URL", &short_url)
        .env("E2E_PROVIDER_DOWN_URL", &down_url)
        .env("E2E_EXAMPLE_URL", &example_url)
        .env("E2E_EXISTING_APP_URL", &existing_url)
        .env("E2E_CHROMIUM", tools::chromium_path())
        .env("E2E_ARTIFACTS", &artifacts);
    let result = cmd::run(&mut node);
    let still_up = app
        .check_running()
        .and_then(|()| short_app.check_running())
        .and_then(|()| down_app.check_running())
        .and_then(|()| example_app.check_running())
        .and_then(|()| existing_app.check_running())
        .and_then(|()| idp.service.check_running());

    let mut shots: Vec<PathBuf> = fs::read_dir(&artifacts)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    shots.sort();
    if !shots.is_empty() {
        println!("screenshots:");
        for shot in &shots {
            println!("  {}", shot.display());
        }
    }
    println!(
        "logs: {} (and backend-short-idle.log, backend-provider-down.log, minimal-example.log, \
         existing-app.log) \
         and {}",
        logs.join("backend.log").display(),
        logs.join("devidp.log").display()
    );

    if let Err(err) = result {
        eprintln!(
            "{}{}{}{}{}{}",
            app.tail(),
            short_app.tail(),
            down_app.tail(),
            example_app.tail(),
            existing_app.tail(),
            idp.service.tail()
        );
        return Err(err.context("end-to-end tests failed (the services' last log lines are above)"));
    }
    still_up?;
    Ok(())
}

/// What every backend of the run shares: the binary, the secret, the database, the SPA.
#[derive(Clone, Copy)]
struct Launch<'a> {
    binary: &'a Path,
    secret: &'a str,
    database_url: &'a str,
    dist: &'a Path,
}

impl Launch<'_> {
    /// Starts a backend for `base_url` on `port` against `issuer`, in `cwd` (whose `.env` it
    /// reads), logging to `log`.
    fn start(
        &self,
        base_url: &str,
        issuer: &str,
        port: u16,
        cwd: &Path,
        log: &Path,
    ) -> Result<Service> {
        services::start_app(
            self.binary,
            &AppSettings {
                secret: self.secret,
                base_url,
                issuer,
                database_url: self.database_url,
                listen: SocketAddr::from(([127, 0, 0, 1], port)),
                frontend_dist: self.dist,
                hermetic: true,
            },
            cwd,
            Output::Log(log.to_path_buf()),
        )
    }
}

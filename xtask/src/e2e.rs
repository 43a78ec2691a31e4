//! End-to-end: a fresh database, the dev provider and the built backend on free ports, and
//! `node --test` in `e2e/` driving the system Chromium through the real login.

use std::{fs, net::SocketAddr, path::PathBuf, process::Command, time::Duration};

use anyhow::{bail, Context, Result};

use crate::{
    cmd, frontend, http, postgres,
    process::Output,
    random,
    services::{self, AppSettings},
    stack::ClientUris,
    tools, workspace,
};

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
    let binary = match build {
        BackendBuild::Build => services::build_backend(false)?,
        BackendBuild::ReuseTestBuild => {
            let mut test = cmd::cargo(["test", "--workspace", "--no-run"]);
            cmd::run(cmd::locked_in_ci(&mut test))?;
            workspace::target_dir().join("debug").join("backend")
        }
    };

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
    let uris = ClientUris::for_app(&base_url, &base_url);
    let mut idp = services::start_idp(0, &uris, Output::Log(logs.join("devidp.log")))?;
    let secret = random::hex(32)?;
    let mut app = services::start_app(
        &binary,
        &AppSettings {
            secret: &secret,
            base_url: &base_url,
            issuer: &idp.issuer,
            database_url: database.url(),
            listen: SocketAddr::from(([127, 0, 0, 1], app_port)),
            frontend_dist: &dist,
            hermetic: true,
        },
        // Not the checkout: a developer's `.env` there must not leak into the run.
        &logs,
        Output::Log(logs.join("backend.log")),
    )?;
    app.wait_for_http(app_port, "/healthz", Duration::from_secs(60))?;
    println!("backend ready at {base_url}");

    let artifacts = artifacts_dir();
    fs::create_dir_all(&artifacts)?;
    let mut node = Command::new("node");
    node.args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .current_dir(workspace::root().join("e2e"))
        .env("E2E_BASE_URL", &base_url)
        .env("E2E_ISSUER", &idp.issuer)
        .env("E2E_CHROMIUM", tools::chromium_path())
        .env("E2E_ARTIFACTS", &artifacts);
    let result = cmd::run(&mut node);
    let still_up = app
        .check_running()
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
        "logs: {} and {}",
        logs.join("backend.log").display(),
        logs.join("devidp.log").display()
    );

    if let Err(err) = result {
        eprintln!("{}{}", app.tail(), idp.service.tail());
        return Err(err.context("end-to-end tests failed (the services' last log lines are above)"));
    }
    still_up?;
    Ok(())
}

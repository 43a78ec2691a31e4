//! Starting the stack's processes: the dev identity provider and the backend.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::{
    cmd,
    process::{Output, Service},
    stack::{self, ClientUris},
    workspace,
};

/// The dev provider, running.
pub struct Idp {
    pub service: Service,
    pub issuer: String,
    pub port: u16,
}

/// Starts `node devidp/server.js` on `port` (0: any free port) and waits for its ready line.
pub fn start_idp(port: u16, uris: &ClientUris, output: Output) -> Result<Idp> {
    let mut node = Command::new("node");
    node.arg(workspace::root().join("devidp").join("server.js"));
    for var in [
        "DEVIDP_HOST",
        "DEVIDP_ISSUER",
        "DEVIDP_CLIENT_ID",
        "DEVIDP_CLIENT_SECRET",
        "DEVIDP_API_AUDIENCE",
    ] {
        node.env_remove(var);
    }
    node.env("DEVIDP_PORT", port.to_string())
        .env("DEVIDP_REDIRECT_URIS", &uris.redirect)
        .env("DEVIDP_POST_LOGOUT_REDIRECT_URIS", &uris.post_logout)
        .env("DEVIDP_BACKCHANNEL_LOGOUT_URI", &uris.backchannel)
        .env("DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL", "1")
        // Piped stdin, held by us: if xtask dies, the provider follows.
        .env("DEVIDP_EXIT_ON_STDIN_CLOSE", "1")
        .stdin(Stdio::piped());
    let mut service = Service::spawn("devidp", &mut node, output, Some("DEVIDP_READY "))?;
    // Generous: it generates an RSA key at start, slow on a loaded 2-core machine.
    let ready = service.wait_for_marker(Duration::from_secs(120))?;
    let info: Value = serde_json::from_str(&ready)
        .with_context(|| format!("devidp's ready line is not JSON: {ready}"))?;
    let issuer = info["issuer"]
        .as_str()
        .context("devidp's ready line has no issuer")?
        .to_owned();
    let port = info["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .context("devidp's ready line has no port")?;
    println!("devidp ready: issuer {issuer}");
    Ok(Idp {
        service,
        issuer,
        port,
    })
}

/// What the backend is started with.
pub struct AppSettings<'a> {
    pub secret: &'a str,
    pub base_url: &'a str,
    pub issuer: &'a str,
    pub database_url: &'a str,
    pub listen: SocketAddr,
    pub frontend_dist: &'a Path,
    /// Clear every backend variable from our environment first (a hermetic e2e run).
    pub hermetic: bool,
}

/// `cargo build -p backend` (debug or release); returns the binary's path.
pub fn build_backend(release: bool) -> Result<PathBuf> {
    let mut build = cmd::cargo(["build", "-p", "backend"]);
    if release {
        build.arg("--release");
    }
    cmd::run(cmd::locked_in_ci(&mut build))?;
    let profile = if release { "release" } else { "debug" };
    Ok(workspace::target_dir().join(profile).join("backend"))
}

/// `cargo build -p <package>` (debug); returns its binary's path (named as the package).
pub fn build_package(package: &str) -> Result<PathBuf> {
    cmd::run(cmd::locked_in_ci(&mut cmd::cargo(["build", "-p", package])))?;
    Ok(workspace::target_dir().join("debug").join(package))
}

/// Starts the backend binary with the dev provider's client.
pub fn start_app(
    binary: &Path,
    settings: &AppSettings,
    cwd: &Path,
    output: Output,
) -> Result<Service> {
    let mut app = Command::new(binary);
    if settings.hermetic {
        for var in stack::BACKEND_ENV_VARS {
            app.env_remove(var);
        }
        // Plain log files.
        app.env("NO_COLOR", "1");
        // Browser tests log in far more often than people do.
        app.env("RATE_LIMIT_PER_MINUTE", "0");
    }
    if std::env::var_os("RUST_LOG").is_none() || settings.hermetic {
        app.env("RUST_LOG", "info,sqlx=warn");
    }
    app.current_dir(cwd)
        .env("AUTH0_SECRET", settings.secret)
        .env("AUTH0_BASE_URL", settings.base_url)
        .env("AUTH0_ISSUER_BASE_URL", settings.issuer)
        .env("AUTH0_CLIENT_ID", stack::DEVIDP_CLIENT_ID)
        .env("AUTH0_CLIENT_SECRET", stack::DEVIDP_CLIENT_SECRET)
        .env("AUTH0_AUDIENCE", stack::DEVIDP_API_AUDIENCE)
        .env("AUTH0_REFRESH_TOKENS", "true")
        .env("DATABASE_URL", settings.database_url)
        .env("LISTEN_ADDR", settings.listen.to_string())
        .env("FRONTEND_DIST", settings.frontend_dist)
        .stdin(Stdio::null());
    Service::spawn("backend", &mut app, output, None)
}

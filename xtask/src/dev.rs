//! `cargo xtask dev`: the whole stack on this machine, stopped with Ctrl-C.
//!
//! Database: `DATABASE_URL` if set, else the local server at 127.0.0.1:5432 (database
//! `bff_dev`, created if missing), else a throwaway cluster in `target/dev-postgres/`.
//! Then the dev provider on :4000 and the backend on :8080 serving `frontend/dist` (rebuilt
//! when older than its sources). `--watch` adds `trunk serve` on :8081 with live reload.

use std::{
    env, fs, io::Write, net::SocketAddr, os::unix::fs::OpenOptionsExt, path::Path,
    process::Command, thread, time::Duration,
};

use anyhow::{bail, Context, Result};

use crate::{
    frontend, http, postgres,
    process::{Output, Service},
    random,
    services::{self, AppSettings},
    signals,
    stack::{self, ClientUris},
    tools::{self, Needs},
    workspace,
};

#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// Also run `trunk serve` (live reload) and use it as the app's origin.
    pub watch: bool,
    /// Build and run the backend in release mode.
    pub release: bool,
    /// Use a throwaway cluster even when a local server is reachable.
    pub throwaway_db: bool,
}

pub fn run(options: Options) -> Result<()> {
    signals::install();
    tools::ensure(Needs {
        spa: true,
        browser: false,
        devidp: true,
        nginx: false,
        failover: false,
    })?;

    let ports = [stack::DEV_APP_PORT, stack::DEV_IDP_PORT];
    let watch_port = options.watch.then_some(stack::DEV_TRUNK_PORT);
    for port in ports.into_iter().chain(watch_port) {
        if http::port_in_use(port) {
            bail!(
                "port {port} is already in use (another `cargo xtask dev` or `docker compose up`?)"
            );
        }
    }

    let (_cluster, database_url) = database(options.throwaway_db)?;

    if options.watch {
        println!("--watch: trunk serve builds the SPA");
    } else if frontend::is_stale() {
        println!("frontend/dist is missing or older than the sources: building the SPA");
        frontend::build_release()?;
    } else {
        println!("frontend/dist is up to date");
    }
    let binary = services::build_backend(options.release)?;
    let secret = dev_secret()?;

    let app_origin = format!("http://localhost:{}", stack::DEV_APP_PORT);
    // trunk serve is the origin in watch mode (see frontend/Trunk.toml); the provider still
    // posts back-channel logouts to the backend itself.
    let public_origin = match watch_port {
        Some(port) => format!("http://127.0.0.1:{port}"),
        None => app_origin.clone(),
    };
    let uris = ClientUris::for_app(&public_origin, &app_origin);
    let idp = services::start_idp(
        stack::DEV_IDP_PORT,
        &uris,
        Output::Prefixed("idp   | ".into()),
    )?;
    let mut app = services::start_app(
        &binary,
        &AppSettings {
            secret: &secret,
            base_url: &public_origin,
            issuer: &idp.issuer,
            database_url: &database_url,
            listen: SocketAddr::from(([127, 0, 0, 1], stack::DEV_APP_PORT)),
            frontend_dist: &frontend::dist_dir(),
            hermetic: false,
        },
        &workspace::root(),
        Output::Prefixed("app   | ".into()),
    )?;
    app.wait_for_http(stack::DEV_APP_PORT, "/healthz", Duration::from_secs(60))?;

    let mut services = vec![idp.service, app];
    if let Some(port) = watch_port {
        let mut trunk = Command::new("trunk");
        trunk
            .args(["serve", "--port", &port.to_string()])
            .current_dir(workspace::root().join("frontend"))
            .env("TRUNK_SKIP_VERSION_CHECK", "true");
        let mut trunk = Service::spawn(
            "trunk serve",
            &mut trunk,
            Output::Prefixed("trunk | ".into()),
            None,
        )?;
        trunk.wait_for_http(port, "/", Duration::from_secs(600))?;
        services.push(trunk);
    }

    println!();
    println!("  Open {public_origin} — sign in as alice/alice (admin) or bob/bob");
    println!(
        "  Provider: {} · Database: {}",
        idp.issuer,
        postgres::redacted(&database_url)
    );
    println!("  Ctrl-C stops everything.");
    println!();

    let result = supervise(&mut services);
    // Stop in reverse start order: trunk, backend, provider (then the cluster, if any).
    while let Some(mut service) = services.pop() {
        service.stop();
    }
    result
}

/// Waits for Ctrl-C; an error if a service exits by itself first.
fn supervise(services: &mut [Service]) -> Result<()> {
    loop {
        if signals::stop_requested() {
            println!("\nstopping…");
            return Ok(());
        }
        for service in services.iter_mut() {
            if let Some(status) = service.try_status()? {
                // A Ctrl-C may have reached it first.
                thread::sleep(Duration::from_millis(200));
                if signals::stop_requested() {
                    return Ok(());
                }
                bail!("{} exited ({status}); stopping the others", service.name());
            }
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// The database URL, and the throwaway cluster to stop at the end (if one was started).
fn database(force_throwaway: bool) -> Result<(Option<postgres::Cluster>, String)> {
    if let Ok(url) = env::var("DATABASE_URL") {
        if !url.trim().is_empty() && !force_throwaway {
            println!("database: DATABASE_URL ({})", postgres::redacted(&url));
            return Ok((None, url));
        }
    }
    let local = postgres::DEFAULT_ADMIN_URL;
    if !force_throwaway && postgres::reachable(local) {
        ensure_database(local)?;
        let url = postgres::with_database(local, stack::DEV_DATABASE)?;
        println!("database: local server ({url})");
        return Ok((None, url));
    }
    if !force_throwaway {
        println!(
            "no PostgreSQL at 127.0.0.1:5432 and no DATABASE_URL: starting a throwaway cluster"
        );
    }
    let cluster = postgres::Cluster::start(&workspace::target_dir().join("dev-postgres"))?;
    let admin = cluster.admin_url();
    ensure_database(&admin)?;
    let url = postgres::with_database(&admin, stack::DEV_DATABASE)?;
    println!("database: throwaway cluster ({url})");
    Ok((Some(cluster), url))
}

fn ensure_database(admin_url: &str) -> Result<()> {
    if !postgres::database_exists(admin_url, stack::DEV_DATABASE)? {
        postgres::create_database(admin_url, stack::DEV_DATABASE)?;
        println!("created database {}", stack::DEV_DATABASE);
    }
    Ok(())
}

/// A random `AUTH0_SECRET` for development, generated once into `target/dev-secret` so that
/// sessions survive restarts.
fn dev_secret() -> Result<String> {
    let path = workspace::target_dir().join("dev-secret");
    if let Ok(secret) = fs::read_to_string(&path) {
        let secret = secret.trim();
        if secret.len() >= stack::MIN_SECRET_LEN {
            return Ok(secret.to_owned());
        }
    }
    let secret = random::hex(32)?;
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    println!("generated a dev AUTH0_SECRET in {}", path.display());
    Ok(secret)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{contents}")
}

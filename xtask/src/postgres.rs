//! PostgreSQL for tests and `cargo xtask dev`: `psql` against an admin URL, temporary
//! databases, and a throwaway cluster (`initdb -A trust` + `pg_ctl`) when no server runs.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};

use crate::{cmd, http, random, workspace};

/// The superuser URL of the machine's shared server (the backend's tests use the same one).
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `TEST_DATABASE_ADMIN_URL` or [`DEFAULT_ADMIN_URL`].
pub fn admin_url() -> String {
    env::var("TEST_DATABASE_ADMIN_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ADMIN_URL.to_owned())
}

/// The same server URL with another database name (query parameters are kept).
pub fn with_database(url: &str, database: &str) -> Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let Some(scheme_end) = base.find("://").map(|i| i + 3) else {
        bail!("not a postgres:// URL");
    };
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{database}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

/// A URL without its password, for printing.
pub fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    match authority.rsplit_once('@') {
        Some((userinfo, _)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            url.replacen(userinfo, &format!("{user}:***"), 1)
        }
        _ => url.to_owned(),
    }
}

fn check_identifier(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!("`{name}` is not a plain database name ([a-z][a-z0-9_]*)");
    }
    Ok(())
}

/// Runs one SQL statement with `psql` and returns its unaligned, tuples-only output.
pub fn psql(url: &str, sql: &str) -> Result<String> {
    let mut psql = Command::new("psql");
    psql.args([
        "-X",
        "-q",
        "-t",
        "-A",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        url,
        "-c",
        sql,
    ])
    .env("PGCONNECT_TIMEOUT", "5");
    cmd::output(&mut psql)
        .map_err(|err| {
            if workspace::which("psql").is_none() {
                err.context("`psql` is needed (Debian: apt-get install postgresql-client)")
            } else {
                err
            }
        })
        .with_context(|| format!("psql on {}", redacted(url)))
}

/// Whether a server answers at `url`.
pub fn reachable(url: &str) -> bool {
    psql(url, "SELECT 1").is_ok()
}

pub fn database_exists(admin_url: &str, name: &str) -> Result<bool> {
    check_identifier(name)?;
    let out = psql(
        admin_url,
        &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
    )?;
    Ok(out.trim() == "1")
}

pub fn create_database(admin_url: &str, name: &str) -> Result<()> {
    check_identifier(name)?;
    psql(admin_url, &format!("CREATE DATABASE {name}"))
        .with_context(|| format!("creating database {name}"))?;
    Ok(())
}

pub fn drop_database(admin_url: &str, name: &str) -> Result<()> {
    check_identifier(name)?;
    psql(
        admin_url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .with_context(|| format!("dropping database {name}"))?;
    Ok(())
}

/// A database with a random name, dropped when this value is dropped.
pub struct TempDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TempDatabase {
    pub fn create(admin_url: &str, prefix: &str) -> Result<Self> {
        let name = format!("{prefix}_{}", random::hex(6)?);
        create_database(admin_url, &name)?;
        println!("created database {name}");
        Ok(Self {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name)?,
            name,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        match drop_database(&self.admin_url, &self.name) {
            Ok(()) => println!("dropped database {}", self.name),
            Err(err) => eprintln!("warning: could not drop database {}: {err:#}", self.name),
        }
    }
}

/// A private PostgreSQL cluster on a free loopback port, stopped when dropped. Its data
/// stays (in `target/dev-postgres/` unless the `postgres` user cannot reach that folder), so
/// the next `cargo xtask dev` finds its data again.
pub struct Cluster {
    data_dir: PathBuf,
    pg_ctl: PathBuf,
    as_postgres: bool,
    port: u16,
    running: bool,
}

impl Cluster {
    /// Initialises the cluster if needed and starts it.
    pub fn start(preferred_dir: &Path) -> Result<Self> {
        let initdb = pg_tool("initdb")?;
        let pg_ctl = pg_tool("pg_ctl")?;
        // The server refuses to run as root: become `postgres`, which must reach the folder.
        let as_postgres = workspace::is_root();
        let home = if as_postgres && !postgres_can_reach(preferred_dir)? {
            let fallback = env::temp_dir().join("bff-dev-postgres");
            println!(
                "the postgres user cannot reach {}: using {}",
                preferred_dir.display(),
                fallback.display()
            );
            fallback
        } else {
            preferred_dir.to_path_buf()
        };
        let data_dir = home.join("data");
        fs::create_dir_all(&home).with_context(|| format!("creating {}", home.display()))?;
        if as_postgres {
            chown_to_postgres(&home)?;
        }
        let cluster = |program: &Path| -> Command {
            if as_postgres {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", "postgres", "--"]).arg(program);
                cmd
            } else {
                Command::new(program)
            }
        };
        if !data_dir.join("PG_VERSION").exists() {
            println!(
                "creating a throwaway PostgreSQL cluster in {}",
                data_dir.display()
            );
            cmd::run(
                cluster(&initdb)
                    .args([
                        "-A",
                        "trust",
                        "-U",
                        "postgres",
                        "-E",
                        "UTF8",
                        "--no-sync",
                        "-D",
                    ])
                    .arg(&data_dir)
                    .stdout(std::process::Stdio::null()),
            )?;
        }
        let port = http::free_port()?;
        let log = home.join("postgres.log");
        cmd::run(
            cluster(&pg_ctl)
                .arg("-D")
                .arg(&data_dir)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "30", "-o"])
                .arg(format!(
                    "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
                ))
                .arg("start")
                .stdout(std::process::Stdio::null()),
        )
        .with_context(|| format!("starting PostgreSQL (log: {})", log.display()))?;
        Ok(Self {
            data_dir,
            pg_ctl,
            as_postgres,
            port,
            running: true,
        })
    }

    /// The superuser URL of this cluster.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn stop(&mut self) {
        if !std::mem::take(&mut self.running) {
            return;
        }
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(&self.pg_ctl);
            cmd
        } else {
            Command::new(&self.pg_ctl)
        };
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "stop"]);
        match cmd::output(&mut cmd) {
            Ok(_) => println!("stopped the throwaway PostgreSQL cluster"),
            Err(err) => eprintln!("warning: {err:#}"),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A PostgreSQL server program: on PATH, else the newest `/usr/lib/postgresql/*/bin`.
fn pg_tool(name: &str) -> Result<PathBuf> {
    if let Some(path) = workspace::which(name) {
        return Ok(path);
    }
    let mut candidates: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let tool = entry.path().join("bin").join(name);
            workspace::is_executable(&tool).then_some((version, tool))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, tool)| tool).with_context(|| {
        format!("`{name}` not found (Debian: apt-get install postgresql), or set DATABASE_URL")
    })
}

fn postgres_ids() -> Result<(u32, u32)> {
    let id = |flag: &str| -> Result<u32> {
        cmd::output(Command::new("id").args([flag, "postgres"]))
            .context("a `postgres` system user is needed to run PostgreSQL as root")?
            .trim()
            .parse()
            .context("parsing the output of `id`")
    };
    Ok((id("-u")?, id("-g")?))
}

fn chown_to_postgres(dir: &Path) -> Result<()> {
    let (uid, gid) = postgres_ids()?;
    std::os::unix::fs::chown(dir, Some(uid), Some(gid))
        .with_context(|| format!("giving {} to the postgres user", dir.display()))
}

/// Whether the `postgres` user can reach `dir` (search permission on every ancestor: a
/// checkout under `/root` is out of its reach). The folder itself is created and chowned.
fn postgres_can_reach(dir: &Path) -> Result<bool> {
    postgres_ids()?;
    let parent = dir.parent().unwrap_or(dir);
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let status = Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(parent)
        .status()
        .context("running runuser")?;
    Ok(status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "bff_e2e").unwrap(),
            "postgres://postgres@127.0.0.1:5432/bff_e2e"
        );
        assert_eq!(
            with_database("postgres://u:p@db:5432?sslmode=disable", "x").unwrap(),
            "postgres://u:p@db:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://h/a/b?x=1", "c").unwrap(),
            "postgresql://h/c?x=1"
        );
        assert!(with_database("localhost:5432", "x").is_err());
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/bff"),
            "postgres://app:***@db:5432/bff"
        );
        assert_eq!(
            redacted("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }

    #[test]
    fn only_plain_names_reach_sql() {
        assert!(check_identifier("bff_e2e_0a1b").is_ok());
        for bad in ["", "Bff", "1db", "a-b", "x; DROP DATABASE y", "a\"b"] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
    }
}

//! `cargo xtask soak`: the backend under a steady load for a while (two minutes in CI, an
//! hour by hand), then a report: its memory and latency per bucket of time with their trends,
//! errors, pool use, and the writes on the `sessions` table per session-hour against the
//! capacity model (docs/capacity.md).
//!
//! The load comes from an ignored test in the backend's API tests (`soak::soak` in
//! `backend/tests/api/soak.rs`, which reuses their fake provider and helpers); the backend
//! runs as a process of its own, on a database made here and dropped after.

pub mod report;
pub mod stats;

use std::{fs, path::PathBuf, time::Duration};

use anyhow::{bail, Context, Result};

use crate::{cmd, postgres, workspace};

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// How long the measured load runs (after every session is signed in).
    pub duration: Duration,
    /// Sessions signed in at the start (and kept: each one ended is replaced by a login).
    pub sessions: u32,
    /// Concurrent clients.
    pub clients: u32,
    /// Requests a second offered, in all.
    pub rate: u32,
    /// The report's time buckets (default: 10 s for runs under 10 minutes, else 1 minute).
    pub bucket: Option<Duration>,
    /// Where the report goes (default: target/soak).
    pub out: Option<PathBuf>,
    /// Only write the report again from the `samples.json` a run left in `out`.
    pub report_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(120),
            sessions: 5000,
            clients: 16,
            rate: 150,
            bucket: None,
            out: None,
            report_only: false,
        }
    }
}

impl Options {
    pub fn bucket(&self) -> Duration {
        self.bucket
            .unwrap_or(if self.duration < Duration::from_secs(600) {
                Duration::from_secs(10)
            } else {
                Duration::from_secs(60)
            })
    }

    /// Access tokens live an eighth of the run, between one and five minutes, so every
    /// session refreshes several times whatever the length (a token is refreshed a minute
    /// before it expires, or half-way through if it lives less than two).
    pub fn token_lifetime(&self) -> Duration {
        (self.duration / 8).clamp(Duration::from_secs(60), Duration::from_secs(300))
    }

    /// Parses `--duration 2m --sessions N --clients N --rate N --bucket 10s --out DIR
    /// --report-only`.
    pub fn parse(args: Vec<String>) -> Result<Self> {
        let mut options = Self::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg.clone(), None),
            };
            let mut value = || -> Result<String> {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .with_context(|| format!("{flag} needs a value"))
            };
            let duration = |raw: String| -> Result<Duration> {
                let d = humantime::parse_duration(raw.trim())
                    .with_context(|| format!("{flag}: `{raw}` is not a duration (2m, 1h)"))?;
                if d < Duration::from_secs(1) {
                    bail!("{flag}: at least 1s");
                }
                Ok(d)
            };
            let count = |raw: String| -> Result<u32> {
                raw.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .with_context(|| format!("{flag}: `{raw}` is not a positive number"))
            };
            match flag.as_str() {
                "--duration" => options.duration = duration(value()?)?,
                "--bucket" => options.bucket = Some(duration(value()?)?),
                "--sessions" => options.sessions = count(value()?)?,
                "--clients" => options.clients = count(value()?)?,
                "--rate" => options.rate = count(value()?)?,
                "--out" => options.out = Some(PathBuf::from(value()?)),
                "--report-only" => options.report_only = true,
                _ => bail!("unknown option `{arg}` for `soak`"),
            }
        }
        if options.bucket() > options.duration / 3 {
            bail!("--bucket: at most a third of --duration (a trend needs three buckets)");
        }
        Ok(options)
    }
}

pub fn run(options: &Options) -> Result<()> {
    // Absolute: the driver runs in backend/.
    let out = match &options.out {
        Some(dir) => std::path::absolute(dir).context("--out")?,
        None => workspace::target_dir().join("soak"),
    };
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let samples_path = out.join("samples.json");
    if !options.report_only {
        load(options, &samples_path)?;
    }
    report(&out, &samples_path)
}

/// Runs the driver on a database of its own; it writes `samples_path`.
fn load(options: &Options, samples_path: &std::path::Path) -> Result<()> {
    let _ = fs::remove_file(samples_path);
    let admin = postgres::admin_url();
    let database = postgres::TempDatabase::create(&admin, "soak")?;
    println!(
        "soak: {} of load after signing in {} sessions ({} clients, {} requests/s, tokens \
         living {} s); report in {}",
        humantime::format_duration(options.duration),
        options.sessions,
        options.clients,
        options.rate,
        options.token_lifetime().as_secs(),
        samples_path.display()
    );
    // The API tests' build (the same command `cargo xtask test` runs, so nothing is rebuilt
    // after its `cargo-test` step), running only the ignored soak test.
    let mut test = cmd::cargo(["test", "--workspace", "--test", "api"]);
    cmd::locked_in_ci(&mut test)
        .args(["--", "--ignored", "--exact", "soak::soak", "--nocapture"])
        .env("SOAK_DATABASE_URL", database.url())
        .env("SOAK_DURATION_SECS", options.duration.as_secs().to_string())
        .env("SOAK_SESSIONS", options.sessions.to_string())
        .env("SOAK_CLIENTS", options.clients.to_string())
        .env("SOAK_RATE", options.rate.to_string())
        .env("SOAK_BUCKET_SECS", options.bucket().as_secs().to_string())
        .env(
            "SOAK_TOKEN_LIFETIME_SECS",
            options.token_lifetime().as_secs().to_string(),
        )
        .env("SOAK_OUT", samples_path);
    cmd::run(&mut test)?;
    drop(database);
    Ok(())
}

/// The report from `samples_path`, written beside it; an error if the run failed.
fn report(out: &std::path::Path, samples_path: &std::path::Path) -> Result<()> {
    let raw = fs::read_to_string(samples_path)
        .with_context(|| format!("reading {}", samples_path.display()))?;
    let samples: serde_json::Value = serde_json::from_str(&raw).context("samples.json")?;
    let summary = report::summarise(&samples)?;
    let markdown = summary.markdown(&samples);
    fs::write(out.join("report.md"), &markdown)?;
    fs::write(
        out.join("summary.json"),
        serde_json::to_string_pretty(&summary.to_json())?,
    )?;
    fs::write(out.join("buckets.csv"), summary.csv())?;
    println!("\n{markdown}");
    println!(
        "soak: report in {} (report.md, summary.json, buckets.csv, samples.json)",
        out.display()
    );
    let failures = summary.failures();
    if !failures.is_empty() {
        bail!("the soak failed: {}", failures.join("; "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Options> {
        Options::parse(line.split_whitespace().map(str::to_owned).collect())
    }

    #[test]
    fn parses_durations_and_counts() {
        let o = parse("--duration 1h --sessions=2000 --clients 8 --rate 90").unwrap();
        assert_eq!(o.duration, Duration::from_secs(3600));
        assert_eq!((o.sessions, o.clients, o.rate), (2000, 8, 90));
        assert_eq!(o.bucket(), Duration::from_secs(60));
        assert_eq!(o.token_lifetime(), Duration::from_secs(300));
        let o = parse("").unwrap();
        assert_eq!(o, Options::default());
        assert_eq!(o.bucket(), Duration::from_secs(10));
        assert_eq!(o.token_lifetime(), Duration::from_secs(60));
        let o = parse("--duration 20m --bucket 30s --out /tmp/x").unwrap();
        assert_eq!(o.token_lifetime(), Duration::from_secs(150));
        assert_eq!(o.bucket(), Duration::from_secs(30));
        assert_eq!(o.out, Some(PathBuf::from("/tmp/x")));
        assert!(!o.report_only);
        assert!(
            parse("--report-only --out target/soak-1h")
                .unwrap()
                .report_only
        );
    }

    #[test]
    fn refuses_what_makes_no_sense() {
        assert!(parse("--duration").is_err());
        assert!(parse("--duration soon").is_err());
        assert!(parse("--duration 0s").is_err());
        assert!(parse("--sessions 0").is_err());
        assert!(parse("--sessions -3").is_err());
        assert!(parse("--duration 1m --bucket 30s").is_err());
        assert!(parse("--fast").is_err());
    }
}

//! Load that runs while a test breaks something (a replica killed, the database's primary
//! lost): keep-alive clients asking `/api/auth/me`, others logging in and out, and what each
//! saw. And the rule that keeps such tests apart: one load test at a time, so two of them
//! never share the machine's cores (their timings are what they measure).

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use reqwest::{header, StatusCode};
use tokio::sync::{Mutex, MutexGuard};

use crate::helpers::*;

static LOAD_TESTS: Mutex<()> = Mutex::const_new(());

/// Held for the whole of a load test: the other load tests of the binary wait for it (the
/// lighter tests still run alongside).
pub async fn one_load_test_at_a_time() -> MutexGuard<'static, ()> {
    LOAD_TESTS.lock().await
}

/// A client that got a failure waits this long before trying again (as the SPA backs off),
/// instead of spinning on the cores the recovery needs.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_millis(50);

/// Results of one kind of request under load.
#[derive(Debug, Default)]
pub struct Tally {
    pub ok: u64,
    pub failed: u64,
    pub failures: Vec<String>,
    /// When the last failure was seen.
    pub last_failed_at: Option<Instant>,
    /// The first success after the last failure (`None` after a failure until the next
    /// success, and when nothing failed).
    pub recovered_at: Option<Instant>,
}

impl Tally {
    pub fn count(&mut self, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => {
                self.ok += 1;
                if self.last_failed_at.is_some() && self.recovered_at.is_none() {
                    self.recovered_at = Some(Instant::now());
                }
            }
            Err(why) => {
                self.failed += 1;
                self.failures.push(why);
                self.last_failed_at = Some(Instant::now());
                self.recovered_at = None;
            }
        }
    }

    /// Whether the last request of each client counted succeeded.
    pub fn recovered(&self) -> bool {
        self.failed == 0 || self.recovered_at.is_some()
    }

    pub fn add(&mut self, other: Tally) {
        let recovered = self.recovered() && other.recovered();
        self.ok += other.ok;
        self.failed += other.failed;
        self.failures.extend(other.failures);
        self.last_failed_at = self.last_failed_at.max(other.last_failed_at);
        // Everyone recovered once the last one did.
        self.recovered_at = if recovered {
            self.recovered_at.max(other.recovered_at)
        } else {
            None
        };
    }

    /// The failures, each kind once with its count (`GET /me: 503 Service Unavailable × 12`).
    pub fn failure_kinds(&self) -> String {
        let mut kinds = std::collections::BTreeMap::<&str, u64>::new();
        for failure in &self.failures {
            *kinds.entry(failure.as_str()).or_default() += 1;
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} × {n}")).collect();
        format!("[{}]", kinds.join(", "))
    }
}

/// `/api/auth/me` at `origin`, over and over on one keep-alive connection, until `stop`.
pub async fn keep_asking_me(origin: String, browser: Browser, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let url = format!("{origin}/api/auth/me");
    for _ in 0..200_000 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let response = browser.api_get(&url).await;
        tally.count(match response.status() {
            StatusCode::OK => Ok(()),
            status => Err(format!("GET /me: {status}")),
        });
        if response.status() != StatusCode::OK {
            tokio::time::sleep(PAUSE_AFTER_FAILURE).await;
        }
    }
    tally
}

/// Logs in and out at `origin`, over and over, until `stop`: (logins, logouts).
pub async fn keep_logging_in_and_out(
    origin: String,
    user: &'static str,
    stop: Arc<AtomicBool>,
) -> (Tally, Tally) {
    let (mut logins, mut logouts) = (Tally::default(), Tally::default());
    for _ in 0..1_000 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let browser = Browser::new();
        let login = login_through(&origin, &browser, user).await;
        let signed_in = login.is_ok();
        logins.count(login);
        if !signed_in {
            tokio::time::sleep(PAUSE_AFTER_FAILURE).await;
            continue;
        }
        let logout = browser.api_post(&format!("{origin}/api/auth/logout")).await;
        logouts.count(match logout.status() {
            StatusCode::OK => Ok(()),
            status => Err(format!("POST /logout: {status}")),
        });
    }
    (logins, logouts)
}

/// One whole login at `origin`, without panicking on the app's answers.
pub async fn login_through(origin: &str, browser: &Browser, user: &str) -> Result<(), String> {
    let login = browser
        .client
        .get(format!("{origin}/api/auth/login"))
        .send()
        .await
        .map_err(|e| format!("GET /login: {e}"))?;
    if login.status() != StatusCode::FOUND {
        return Err(format!("GET /login: {}", login.status()));
    }
    let callback = sign_in_at_provider(browser, origin, &location(&login), user, user).await;
    let done = browser
        .client
        .get(&callback)
        .send()
        .await
        .map_err(|e| format!("GET /callback: {e}"))?;
    let home = format!("{origin}/");
    match done.headers().get(header::LOCATION) {
        Some(to) if done.status() == StatusCode::FOUND && to.as_bytes() == home.as_bytes() => {
            Ok(())
        }
        _ => Err(format!("GET /callback: {}", done.status())),
    }
}

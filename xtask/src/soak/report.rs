//! The soak's report: what the driver recorded (`samples.json`) turned into per-bucket
//! tables, trends against noise, writes per session-hour against the capacity model
//! (docs/capacity.md), and a verdict.

use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::stats::{quantile, trend, Trend};

/// RSS may drift by this share of its mean before its noise is counted (a smooth series).
pub const RSS_FLOOR: f64 = 0.02;
/// p99 may drift by this share of its mean (latency on a shared machine).
pub const P99_FLOOR: f64 = 0.10;
/// Runs shorter than this report p99's trend but are not failed by it: a few 10-second
/// buckets of p99 follow whatever else the machine runs (a CI runner's neighbours), not the
/// backend. Errors and RSS gate every run.
pub const P99_GATES_FROM_SECS: f64 = 600.0;

/// One bucket of the run, as the driver wrote it (counters cumulative since the run began).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bucket {
    pub t_secs: f64,
    pub requests: f64,
    pub errors: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub rss_kib: f64,
    pub pool_in_use_max: f64,
    pub db_connections_max: f64,
    pub cache_entries: f64,
    pub sessions_live: f64,
    pub refreshed_total: f64,
    pub inserts: f64,
    pub updates: f64,
    pub hot_updates: f64,
    pub deletes: f64,
}

impl Bucket {
    fn from_json(v: &Value) -> Self {
        let f = |name: &str| v[name].as_f64().unwrap_or(0.0);
        Self {
            t_secs: f("t_secs"),
            requests: f("requests"),
            errors: f("errors"),
            p50_ms: f("p50_ms"),
            p99_ms: f("p99_ms"),
            rss_kib: f("rss_kib"),
            pool_in_use_max: f("pool_in_use_max"),
            db_connections_max: f("db_connections_max"),
            cache_entries: f("cache_entries"),
            sessions_live: f("sessions_live"),
            refreshed_total: f("refreshed_total"),
            inserts: f("session_inserts"),
            updates: f("session_updates"),
            hot_updates: f("session_hot_updates"),
            deletes: f("session_deletes"),
        }
    }
}

/// What the report says, computed once.
#[derive(Debug, Clone)]
pub struct Summary {
    pub buckets: Vec<Bucket>,
    pub requests: f64,
    pub errors: f64,
    pub warm_up_errors: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The first bucket the trends are fitted from (the steady state).
    pub trend_from_secs: f64,
    /// RSS as measured.
    pub rss: Option<Trend>,
    /// RSS less what the session cache may hold (the most entries it has held so far, times
    /// the RSS each cost at warm-up; the allocator keeps what an evicted entry freed): the
    /// memory the cache, bounded by `SESSION_CACHE_MAX_*`, does not explain. This is the
    /// series the run is failed by: a cache filling up is growth by design, a leak is not.
    pub rss_beyond_cache: Option<Trend>,
    pub p99: Option<Trend>,
    pub session_hours: f64,
    /// Seconds between two requests of one session, on average.
    pub request_gap_secs: f64,
    pub writes_per_session_hour: f64,
    pub model: Model,
    pub measured: Measured,
    /// The measured run's length.
    pub duration_secs: f64,
}

/// The capacity model's figures for the run's settings (docs/capacity.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    /// `min(idle / 4, 15 min)`, seconds (`touch_interval_for` in ferris-login).
    pub touch_interval_secs: f64,
    /// Idle-deadline slides per session-hour in steady state.
    pub slides_per_session_hour: f64,
    /// Seconds after which a token falls due.
    pub due_after_secs: f64,
    /// Refreshes per session-hour if a session is used the moment its token falls due.
    pub refreshes_per_session_hour: f64,
    /// Pooled connections plus the one `LISTEN`ing connection.
    pub connections: f64,
}

impl Model {
    /// `idle`, access-token `lifetime` and refresh `buffer` in seconds; `pool` connections.
    pub fn new(idle: f64, lifetime: f64, buffer: f64, pool: f64) -> Self {
        let touch = (idle / 4.0).min(900.0);
        // A token is due `buffer` before it expires, or half-way through if that is later.
        let due_after = (lifetime - buffer).max(lifetime / 2.0);
        Self {
            touch_interval_secs: touch,
            due_after_secs: due_after,
            slides_per_session_hour: 3600.0 / touch,
            refreshes_per_session_hour: if due_after > 0.0 {
                3600.0 / due_after
            } else {
                0.0
            },
            connections: pool + 1.0,
        }
    }

    /// Slides per session-hour when sessions end at random, `ends` per session-hour (logouts
    /// and revocations): a session slides at ages τ, 2τ, 3τ... while it lives, so each slides
    /// `Σ e^(−ends·kτ)` = `1 / (e^(ends·τ) − 1)` times, and `ends` sessions end per
    /// session-hour. Without churn this is `1 / τ`.
    pub fn slides_with_churn(&self, ends: f64) -> f64 {
        let tau = self.touch_interval_secs / 3600.0;
        if ends * tau < 1e-9 {
            return self.slides_per_session_hour;
        }
        ends / ((ends * tau).exp() - 1.0)
    }

    /// Refreshes per session-hour when a session's requests come `gap` seconds apart on
    /// average, at random: a due token waits for the session's next request (on average
    /// `gap` later, the arrivals having no memory).
    pub fn refreshes_with_gap(&self, gap: f64) -> f64 {
        let period = self.due_after_secs + gap.max(0.0);
        if period > 0.0 {
            3600.0 / period
        } else {
            0.0
        }
    }
}

/// Per session-hour, measured.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measured {
    pub inserts: f64,
    pub updates: f64,
    pub hot_updates: f64,
    pub deletes: f64,
    pub refreshes: f64,
    /// Updates beyond the two each refresh writes: the slides (and anything else).
    pub other_updates: f64,
    /// RSS grown by signing in and caching the sessions, per cached session (bytes).
    pub rss_per_cached_session: Option<f64>,
    pub connections_max: f64,
}

fn number(v: &Value, name: &str) -> f64 {
    v[name].as_f64().unwrap_or(0.0)
}

pub fn summarise(samples: &Value) -> Result<Summary> {
    let buckets: Vec<Bucket> = samples["buckets"]
        .as_array()
        .context("samples: no `buckets`")?
        .iter()
        .map(Bucket::from_json)
        .collect();
    let Some(last) = buckets.last().cloned() else {
        bail!("samples: no buckets (the run ended before its first bucket)");
    };
    let settings = &samples["settings"];
    let mut session_hours = 0.0;
    let mut previous_t = 0.0;
    for b in &buckets {
        session_hours += b.sessions_live * (b.t_secs - previous_t) / 3600.0;
        previous_t = b.t_secs;
    }
    let per = |x: f64| {
        if session_hours > 0.0 {
            x / session_hours
        } else {
            0.0
        }
    };
    let refreshes = per(last.refreshed_total);
    let updates = per(last.updates);
    let rss_grown = (number(samples, "rss_after_warm_up_kib")
        - number(samples, "rss_before_warm_up_kib"))
        * 1024.0;
    let cached = number(samples, "cache_entries_after_warm_up");
    let measured = Measured {
        inserts: per(last.inserts),
        updates,
        hot_updates: per(last.hot_updates),
        deletes: per(last.deletes),
        refreshes,
        other_updates: updates - 2.0 * refreshes,
        rss_per_cached_session: (cached > 0.0 && rss_grown > 0.0).then(|| rss_grown / cached),
        connections_max: buckets
            .iter()
            .map(|b| b.db_connections_max)
            .fold(0.0, f64::max),
    };
    let per_entry_kib = measured.rss_per_cached_session.unwrap_or(0.0) / 1024.0;
    let model = Model::new(
        number(settings, "session_idle_timeout_secs"),
        number(settings, "access_token_lifetime_secs"),
        number(settings, "token_refresh_buffer_secs"),
        number(settings, "database_max_connections"),
    );
    // Trends are fitted over the steady state: from one access-token lifetime on, every
    // session's first token has fallen due and refreshes run at their steady rate (before,
    // the load has no refreshes at all). Runs too short for three such buckets use them all.
    let settle = number(settings, "access_token_lifetime_secs");
    let steady: Vec<&Bucket> = buckets.iter().filter(|b| b.t_secs > settle).collect();
    let steady = if steady.len() >= 3 {
        steady
    } else {
        buckets.iter().collect()
    };
    let trend_from_secs = steady.first().map_or(0.0, |b| b.t_secs);
    let series = |f: fn(&Bucket) -> f64| -> Vec<(f64, f64)> {
        steady.iter().map(|b| (b.t_secs, f(b))).collect()
    };
    let p99s: Vec<f64> = buckets.iter().map(|b| b.p99_ms).collect();
    let overall = &samples["overall"];
    let requests: f64 = buckets.iter().map(|b| b.requests).sum();
    Ok(Summary {
        requests,
        request_gap_secs: if requests > 0.0 {
            session_hours * 3600.0 / requests
        } else {
            0.0
        },
        errors: number(samples, "errors"),
        warm_up_errors: number(samples, "warm_up_errors"),
        p50_ms: overall["p50_ms"].as_f64().unwrap_or(0.0),
        p99_ms: overall["p99_ms"]
            .as_f64()
            .or_else(|| quantile(&p99s, 0.5))
            .unwrap_or(0.0),
        trend_from_secs,
        rss: trend(&series(|b| b.rss_kib), RSS_FLOOR),
        rss_beyond_cache: trend(
            &beyond_cache(&buckets, per_entry_kib)
                .into_iter()
                .filter(|(t, _)| *t >= trend_from_secs)
                .collect::<Vec<_>>(),
            RSS_FLOOR,
        ),
        p99: trend(&series(|b| b.p99_ms), P99_FLOOR),
        session_hours,
        writes_per_session_hour: per(last.inserts + last.updates + last.deletes),
        model,
        measured,
        duration_secs: number(settings, "duration_secs"),
        buckets,
    })
}

/// Each bucket's RSS (KiB) less the most sessions cached up to then, at `per_entry_kib` each.
fn beyond_cache(buckets: &[Bucket], per_entry_kib: f64) -> Vec<(f64, f64)> {
    let mut most = 0.0f64;
    buckets
        .iter()
        .map(|b| {
            most = most.max(b.cache_entries);
            (b.t_secs, b.rss_kib - most * per_entry_kib)
        })
        .collect()
}

impl Summary {
    /// Why the run fails, if it does: errors, or RSS or p99 growing beyond their noise.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.errors + self.warm_up_errors > 0.0 {
            out.push(format!(
                "{} errors ({} while signing in)",
                self.errors + self.warm_up_errors,
                self.warm_up_errors
            ));
        }
        for (name, t) in [
            ("RSS beyond the session cache", &self.rss_beyond_cache),
            ("p99", &self.p99),
        ] {
            if name == "p99" && self.duration_secs < P99_GATES_FROM_SECS {
                continue;
            }
            match t {
                None => out.push(format!("{name}: too few buckets for a trend (3 or more)")),
                Some(t) if !t.flat => out.push(format!(
                    "{name} grew {:.1} over the run, beyond its noise ({:.1})",
                    t.drift, t.tolerance
                )),
                Some(_) => {}
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let trend = |t: &Option<Trend>| {
            t.map(|t| {
                json!({"mean": t.mean, "slope_per_hour": t.slope_per_hour, "drift": t.drift,
                       "tolerance": t.tolerance, "flat": t.flat})
            })
        };
        json!({
            "requests": self.requests,
            "errors": self.errors,
            "warm_up_errors": self.warm_up_errors,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "trend_from_secs": self.trend_from_secs,
            "rss_kib": trend(&self.rss),
            "rss_beyond_cache_kib": trend(&self.rss_beyond_cache),
            "p99_ms_trend": trend(&self.p99),
            "session_hours": self.session_hours,
            "writes_per_session_hour": self.writes_per_session_hour,
            "measured_per_session_hour": {
                "inserts": self.measured.inserts,
                "updates": self.measured.updates,
                "hot_updates": self.measured.hot_updates,
                "deletes": self.measured.deletes,
                "refreshes": self.measured.refreshes,
                "updates_besides_refreshes": self.measured.other_updates,
            },
            "model_per_session_hour": {
                "touch_interval_secs": self.model.touch_interval_secs,
                "slides": self.model.slides_per_session_hour,
                "slides_with_the_load_s_churn": self.model.slides_with_churn(self.measured.deletes),
                "refreshes_at_most": self.model.refreshes_per_session_hour,
                "refresh_writes_at_most": 2.0 * self.model.refreshes_per_session_hour,
                "refreshes_with_the_load_s_gap": self.model.refreshes_with_gap(self.request_gap_secs),
                "request_gap_secs": self.request_gap_secs,
            },
            "rss_per_cached_session_bytes": self.measured.rss_per_cached_session,
            "db_connections_max": self.measured.connections_max,
            "db_connections_model": self.model.connections,
            "failures": self.failures(),
        })
    }

    pub fn csv(&self) -> String {
        let mut out = String::from(
            "t_secs,requests,errors,p50_ms,p99_ms,rss_kib,pool_in_use_max,db_connections_max,\
             cache_entries,sessions_live,refreshed_total,inserts,updates,hot_updates,deletes\n",
        );
        for b in &self.buckets {
            let _ = writeln!(
                out,
                "{},{},{},{:.2},{:.2},{},{},{},{},{},{},{},{},{},{}",
                b.t_secs,
                b.requests,
                b.errors,
                b.p50_ms,
                b.p99_ms,
                b.rss_kib,
                b.pool_in_use_max,
                b.db_connections_max,
                b.cache_entries,
                b.sessions_live,
                b.refreshed_total,
                b.inserts,
                b.updates,
                b.hot_updates,
                b.deletes
            );
        }
        out
    }

    /// The report in Markdown; `samples` for the settings and the provider's figures.
    pub fn markdown(&self, samples: &Value) -> String {
        let s = &samples["settings"];
        let mib = |kib: f64| kib / 1024.0;
        let mut out = String::new();
        let _ = writeln!(out, "# Soak report\n");
        let _ = writeln!(
            out,
            "{} s measured after {:.0} s signing in {} sessions; {} clients, {} requests/s \
             offered; access tokens live {} s (refresh {} s before expiry, or half-way), \
             idle timeout {} s; the provider rotated its signing key at {} s ({} JWKS \
             fetches after).\n",
            number(s, "duration_secs"),
            number(samples, "warm_up_secs"),
            number(s, "sessions"),
            number(s, "clients"),
            number(s, "rate_per_sec"),
            number(s, "access_token_lifetime_secs"),
            number(s, "token_refresh_buffer_secs"),
            number(s, "session_idle_timeout_secs"),
            samples["key_rotated_at_secs"]
                .as_f64()
                .map_or("-".to_owned(), |t| format!("{t:.0}")),
            number(samples, "jwks_fetches_after_rotation"),
        );
        let verdict = self.failures();
        if verdict.is_empty() {
            let gated = if self.duration_secs < P99_GATES_FROM_SECS {
                "RSS flat within noise; p99 reported, not gated, under 10 minutes"
            } else {
                "RSS and p99 flat within noise"
            };
            let _ = writeln!(out, "**Verdict: pass** (no errors; {gated})\n");
        } else {
            let _ = writeln!(out, "**Verdict: FAIL**: {}\n", verdict.join("; "));
        }
        let _ = writeln!(
            out,
            "- requests: {:.0}, errors: {:.0} (and {:.0} while signing in)\n\
             - latency over the run: p50 {:.1} ms, p99 {:.1} ms",
            self.requests, self.errors, self.warm_up_errors, self.p50_ms, self.p99_ms
        );
        let _ = writeln!(
            out,
            "- trends fitted from the bucket ending at {:.0} s on (once every session's first \
             access token has fallen due)",
            self.trend_from_secs
        );
        for (name, unit, t, scale) in [
            ("RSS (reported)", "MiB", &self.rss, 1.0 / 1024.0),
            (
                "RSS beyond the session cache (gates)",
                "MiB",
                &self.rss_beyond_cache,
                1.0 / 1024.0,
            ),
            ("p99", "ms", &self.p99, 1.0),
        ] {
            match t {
                Some(t) => {
                    let _ = writeln!(
                        out,
                        "- {name} trend: mean {:.1} {unit}, slope {:+.2} {unit}/h, drift over \
                         the run {:+.2} {unit}, noise {:.2} {unit}: {}",
                        t.mean * scale,
                        t.slope_per_hour * scale,
                        t.drift * scale,
                        t.tolerance * scale,
                        match (
                            t.flat,
                            name == "p99" && self.duration_secs < P99_GATES_FROM_SECS
                        ) {
                            (true, _) => "flat",
                            (false, _) if name.starts_with("RSS (") =>
                                "growing (reported; the gate is the next line)",
                            (false, false) => "GROWING",
                            (false, true) => "growing (not a failure in runs under 10 minutes)",
                        }
                    );
                }
                None => {
                    let _ = writeln!(out, "- {name} trend: too few buckets");
                }
            }
        }
        let m = &self.measured;
        let model = &self.model;
        let _ = writeln!(
            out,
            "\n## Writes on `sessions` per session-hour\n\n\
             {:.1} session-hours; {:.1} writes per session-hour in all.\n\n\
             | | measured | model |\n|---|---|---|\n\
             | updates | {:.1} ({:.1} HOT) | slides + refresh writes |\n\
             | refreshes (the backend's count) | {:.1} | at most {:.1} (token due after {:.0} s); {:.1} with a session's requests {:.1} s apart |\n\
             | updates besides 2 per refresh (slides, leases lost...) | {:.1} | {:.1} slides (every {:.0} s in steady state); {:.1} with the load's churn (sessions living {:.0} min on average) |\n\
             | inserts (logins) | {:.1} | the load's logins |\n\
             | deletes (logouts, revocations) | {:.1} | the load's logouts and revocations |\n",
            self.session_hours,
            self.writes_per_session_hour,
            m.updates,
            m.hot_updates,
            m.refreshes,
            model.refreshes_per_session_hour,
            model.due_after_secs,
            model.refreshes_with_gap(self.request_gap_secs),
            self.request_gap_secs,
            m.other_updates,
            model.slides_per_session_hour,
            model.touch_interval_secs,
            model.slides_with_churn(m.deletes),
            if m.deletes > 0.0 { 60.0 / m.deletes } else { 0.0 },
            m.inserts,
            m.deletes,
        );
        let _ = writeln!(
            out,
            "## Memory and connections\n\n\
             - RSS grown by signing in and caching the sessions: {} per cached session \
             (model: about 1 KB of real memory per entry)\n\
             - connections to the database, most at once: {:.0} (model: {:.0} pooled + 1 \
             `LISTEN`)\n",
            m.rss_per_cached_session
                .map_or("-".to_owned(), |b| format!("{:.0} bytes", b)),
            m.connections_max,
            model.connections - 1.0,
        );
        let _ = writeln!(
            out,
            "## Per bucket\n\n\
             | t (s) | requests | errors | p50 ms | p99 ms | RSS MiB | pool in use | conns | \
             cached | refreshes | writes |\n|---|---|---|---|---|---|---|---|---|---|---|"
        );
        let mut before = Bucket::default();
        for b in &self.buckets {
            let writes = (b.inserts + b.updates + b.deletes)
                - (before.inserts + before.updates + before.deletes);
            let _ = writeln!(
                out,
                "| {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
                b.t_secs,
                b.requests,
                b.errors,
                b.p50_ms,
                b.p99_ms,
                mib(b.rss_kib),
                b.pool_in_use_max,
                b.db_connections_max,
                b.cache_entries,
                b.refreshed_total - before.refreshed_total,
                writes
            );
            before = b.clone();
        }
        if let Some(errors) = samples["error_samples"]
            .as_array()
            .filter(|e| !e.is_empty())
        {
            let _ = writeln!(out, "\n## First errors\n");
            for e in errors.iter().take(20) {
                let _ = writeln!(out, "- {}", e.as_str().unwrap_or_default());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(rss: impl Fn(f64) -> f64, errors: u64) -> Value {
        let buckets: Vec<Value> = (1..=12)
            .map(|i| {
                let t = f64::from(i) * 10.0;
                json!({
                    "t_secs": t, "requests": 1000, "errors": 0, "p50_ms": 2.0,
                    "p99_ms": if i % 2 == 0 { 20.0 } else { 24.0 },
                    "rss_kib": rss(t), "sessions_live": 3600, "db_connections_max": 11,
                    "refreshed_total": f64::from(i) * 100.0,
                    "session_inserts": f64::from(i) * 10.0,
                    "session_updates": f64::from(i) * 250.0,
                    "session_hot_updates": 0, "session_deletes": f64::from(i) * 10.0,
                })
            })
            .collect();
        json!({
            "settings": {"duration_secs": 120, "sessions": 3600, "clients": 4,
                         "rate_per_sec": 100, "access_token_lifetime_secs": 60,
                         "token_refresh_buffer_secs": 60, "session_idle_timeout_secs": 3600,
                         "database_max_connections": 10},
            "errors": errors, "warm_up_errors": 0,
            "rss_before_warm_up_kib": 10_000, "rss_after_warm_up_kib": 13_515.625,
            "cache_entries_after_warm_up": 3600,
            "overall": {"p50_ms": 2.0, "p99_ms": 22.0},
            "buckets": buckets,
        })
    }

    #[test]
    fn a_flat_run_without_errors_passes() {
        let s = summarise(&samples(|_| 50_000.0, 0)).unwrap();
        assert!(s.failures().is_empty(), "{:?}", s.failures());
        // Tokens live 60 s: the trends start after the first minute.
        assert_eq!(s.trend_from_secs, 70.0);
        // 3,600 sessions for 120 s: 120 session-hours.
        assert!((s.session_hours - 120.0).abs() < 1e-9);
        // 12,000 requests in 120 session-hours: one per session every 36 s.
        assert!((s.request_gap_secs - 36.0).abs() < 1e-9);
        // 1,200 refreshes, 3,000 updates, 120 + 120 inserts and deletes.
        assert!((s.measured.refreshes - 10.0).abs() < 1e-9);
        assert!((s.measured.other_updates - 5.0).abs() < 1e-9);
        assert!((s.writes_per_session_hour - 27.0).abs() < 1e-9);
        // 3.5 MiB over 3,600 sessions: 1,000 bytes each.
        assert!((s.measured.rss_per_cached_session.unwrap() - 1000.0).abs() < 1.0);
        let md = s.markdown(&samples(|_| 50_000.0, 0));
        assert!(md.contains("Verdict: pass"), "{md}");
        assert_eq!(s.csv().lines().count(), 13);
    }

    #[test]
    fn errors_or_growing_memory_fail() {
        let s = summarise(&samples(|_| 50_000.0, 3)).unwrap();
        assert_eq!(s.failures().len(), 1);
        assert!(s.failures()[0].starts_with("3 errors"));
        // 300 KiB more every 10 s: 1.5 MiB over the five steady buckets, 2.9 % of the mean,
        // beyond the floor, no noise.
        let s = summarise(&samples(|t| 50_000.0 + t * 30.0, 0)).unwrap();
        assert!(s
            .failures()
            .iter()
            .any(|f| f.starts_with("RSS beyond the session cache grew")));
        assert!(s.markdown(&Value::Null).contains("Verdict: FAIL"));
        // A cache that fills is growth by design; one that shrinks again frees nothing the
        // allocator returns: neither is a leak.
        let mut filling = samples(|t| 50_000.0 + t.min(100.0) * 30.0, 0);
        for b in filling["buckets"].as_array_mut().unwrap() {
            let t = b["t_secs"].as_f64().unwrap();
            // 300 KiB every 10 s at about 1,000 bytes an entry: 307 entries; then it shrinks.
            let entries = if t <= 100.0 { t * 30.72 } else { 1_000.0 };
            b["cache_entries"] = json!(entries);
        }
        let s = summarise(&filling).unwrap();
        assert!(s.failures().is_empty(), "{:?}", s.failures());
        // Growth only before the steady state does not count.
        let s = summarise(&samples(|t| 50_000.0 + t.min(60.0) * 100.0, 0)).unwrap();
        assert!(s.failures().is_empty(), "{:?}", s.failures());
        // A growing p99 fails an hour's run, not a two-minute one.
        let mut growing = samples(|_| 50_000.0, 0);
        for (i, b) in growing["buckets"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            b["p99_ms"] = json!(20.0 + i as f64 * 20.0);
        }
        let s = summarise(&growing).unwrap();
        assert!(s.failures().is_empty(), "{:?}", s.failures());
        assert!(!s.p99.unwrap().flat);
        growing["settings"]["duration_secs"] = json!(3600);
        let s = summarise(&growing).unwrap();
        assert!(
            s.failures().iter().any(|f| f.starts_with("p99 grew")),
            "{:?}",
            s.failures()
        );
    }

    #[test]
    fn the_model_follows_the_settings() {
        // One-hour idle timeout: slides every 15 min; 5-minute tokens, refreshed 1 min early.
        let m = Model::new(3600.0, 300.0, 60.0, 10.0);
        assert_eq!(m.touch_interval_secs, 900.0);
        assert_eq!(m.slides_per_session_hour, 4.0);
        assert_eq!(m.refreshes_per_session_hour, 15.0);
        // Requests 60 s apart: a due token waits a minute on average.
        assert_eq!(m.refreshes_with_gap(60.0), 12.0);
        // No churn: 4 slides; sessions ending 8 times per session-hour (7.5 minutes on
        // average) rarely reach 15 minutes: 8 / (e² − 1) = 1.25.
        assert_eq!(m.slides_with_churn(0.0), 4.0);
        assert!((m.slides_with_churn(8.0) - 1.2521).abs() < 1e-3);
        assert!((m.slides_with_churn(1e-4) - 4.0).abs() < 1e-3);
        assert_eq!(m.connections, 11.0);
        // One-minute tokens are refreshed half-way; an 8-minute idle timeout slides every 2.
        let m = Model::new(480.0, 60.0, 60.0, 10.0);
        assert_eq!(m.touch_interval_secs, 120.0);
        assert_eq!(m.refreshes_per_session_hour, 120.0);
    }

    #[test]
    fn no_buckets_is_an_error() {
        assert!(summarise(&json!({"buckets": []})).is_err());
        assert!(summarise(&json!({})).is_err());
    }
}

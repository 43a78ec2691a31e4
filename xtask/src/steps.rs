//! A list of named steps, each announced with a header and timed, and a summary at the end.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use crate::signals;

struct Record {
    name: &'static str,
    took: Duration,
    outcome: Outcome,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Skipped,
}

/// Runs steps in order, stopping at the first failure.
pub struct Runner {
    total: usize,
    records: Vec<Record>,
    started: Instant,
}

impl Runner {
    pub fn new(total: usize) -> Self {
        Self {
            total,
            records: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Runs one step: a header, the step, a footer with its duration. The error names the step.
    pub fn run(
        &mut self,
        name: &'static str,
        what: &str,
        step: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let index = self.records.len() + 1;
        println!("\n==> [{index}/{}] {name}: {what}", self.total);
        let started = Instant::now();
        let result = if signals::stop_requested() {
            Err(anyhow!("interrupted"))
        } else {
            step()
        };
        let took = started.elapsed();
        let outcome = if result.is_ok() {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        match &result {
            Ok(()) => println!("<== {name} passed in {}", human(took)),
            Err(_) => println!("<== {name} FAILED after {}", human(took)),
        }
        self.records.push(Record {
            name,
            took,
            outcome,
        });
        result.map_err(|err| {
            let err = if signals::stop_requested() {
                err.context("interrupted (Ctrl-C)")
            } else {
                err
            };
            err.context(format!("step `{name}` failed"))
        })
    }

    /// Records a step that was not run (`--skip`).
    pub fn skip(&mut self, name: &'static str, why: &str) {
        let index = self.records.len() + 1;
        println!("\n==> [{index}/{}] {name}: skipped ({why})", self.total);
        self.records.push(Record {
            name,
            took: Duration::ZERO,
            outcome: Outcome::Skipped,
        });
    }

    /// Prints a table of the steps run so far and the total time.
    pub fn summary(&self) {
        println!("\nSummary");
        for record in &self.records {
            let outcome = match record.outcome {
                Outcome::Passed => "passed",
                Outcome::Failed => "FAILED",
                Outcome::Skipped => "skipped",
            };
            println!("  {:<14} {:>9}  {outcome}", record.name, human(record.took));
        }
        println!("  {:<14} {:>9}", "total", human(self.started.elapsed()));
    }
}

/// `850ms`, `12.3s`, `4m 05s`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{}ms", d.as_millis())
    } else if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_millis(850)), "850ms");
        assert_eq!(human(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(human(Duration::from_secs(245)), "4m 05s");
    }
}

//! `cargo xtask test`: every check, in order, each a named and timed step.

use std::process::Command;

use anyhow::{bail, Result};

use crate::{
    cmd, e2e, frontend, signals, soak,
    steps::Runner,
    tools::{self, Needs},
    versions, workspace,
};

/// The steps, in order, with what each runs.
pub const STEPS: &[(&str, &str)] = &[
    ("tools", "install what this machine lacks (checked first)"),
    ("fmt", "cargo fmt --all -- --check"),
    (
        "clippy",
        "cargo clippy, native and wasm32, -D warnings; rustdoc of ferris-login-yew, -D warnings",
    ),
    ("devidp", "npm test in devidp/"),
    ("cargo-test", "cargo test --workspace"),
    (
        "spa",
        "trunk build --release in frontend/ and examples/minimal/app/",
    ),
    (
        "e2e",
        "browser tests against the backend, the SPA and devidp",
    ),
    (
        "soak",
        "two minutes of load on the backend process: no errors, RSS flat",
    ),
];

/// The crates built for the browser (clippy checks them for the wasm target too).
const WASM_CRATES: [&str; 3] = ["frontend", "ferris-login-yew", "minimal-app"];

#[derive(Debug, Default)]
pub struct Options {
    /// Steps not to run.
    pub skip: Vec<String>,
    /// If not empty, only these steps.
    pub only: Vec<String>,
}

impl Options {
    fn validate(&self) -> Result<()> {
        for name in self.skip.iter().chain(&self.only) {
            if !STEPS.iter().any(|(step, _)| step == name) {
                let names: Vec<&str> = STEPS.iter().map(|(s, _)| *s).collect();
                bail!("unknown step `{name}` (steps: {})", names.join(", "));
            }
        }
        Ok(())
    }

    fn wants(&self, step: &str) -> bool {
        !self.skip.iter().any(|s| s == step)
            && (self.only.is_empty() || self.only.iter().any(|s| s == step))
    }
}

pub fn run(options: &Options) -> Result<()> {
    options.validate()?;
    signals::install();
    println!(
        "cargo xtask test: {} (CI: {})",
        workspace::root().display(),
        if workspace::is_ci() { "yes" } else { "no" }
    );
    let mut runner = Runner::new(STEPS.len());
    let result = run_steps(options, &mut runner);
    runner.summary();
    result
}

fn run_steps(options: &Options, runner: &mut Runner) -> Result<()> {
    for (name, what) in STEPS {
        if !options.wants(name) {
            runner.skip(name, "not selected");
            continue;
        }
        runner.run(name, what, || step(name, options))?;
    }
    Ok(())
}

fn step(name: &str, options: &Options) -> Result<()> {
    let root = workspace::root();
    match name {
        "tools" => tools::ensure(Needs::ALL),
        "fmt" => cmd::run(&mut cmd::cargo(["fmt", "--all", "--", "--check"])),
        "clippy" => {
            let mut native = cmd::cargo(["clippy", "--workspace", "--all-targets"]);
            cmd::locked_in_ci(&mut native).args(["--", "-D", "warnings"]);
            cmd::run(&mut native)?;
            // The library alone: without the `internals` feature the demo's tests turn on, so
            // code only they reach shows up as dead here.
            let mut library = cmd::cargo(["clippy", "-p", "ferris-login", "--all-targets"]);
            cmd::locked_in_ci(&mut library).args(["--", "-D", "warnings"]);
            cmd::run(&mut library)?;
            // The library with no optional part (no Prometheus exporter, no Redis store).
            let mut bare = cmd::cargo([
                "clippy",
                "-p",
                "ferris-login",
                "--lib",
                "--no-default-features",
            ]);
            cmd::locked_in_ci(&mut bare).args(["--", "-D", "warnings"]);
            cmd::run(&mut bare)?;
            let mut wasm = cmd::cargo(["clippy"]);
            for crate_name in WASM_CRATES {
                wasm.args(["-p", crate_name]);
            }
            wasm.args(["--target", versions::WASM_TARGET]);
            cmd::locked_in_ci(&mut wasm).args(["--", "-D", "warnings"]);
            cmd::run(&mut wasm)?;
            let mut doc = cmd::cargo([
                "doc",
                "--no-deps",
                "-p",
                "ferris-login",
                "-p",
                "ferris-login-yew",
            ]);
            cmd::locked_in_ci(&mut doc).env("RUSTDOCFLAGS", "-D warnings");
            cmd::run(&mut doc)
        }
        "devidp" => cmd::run(
            Command::new("npm")
                .arg("test")
                .current_dir(root.join("devidp")),
        ),
        "cargo-test" => cmd::run(cmd::locked_in_ci(&mut cmd::cargo(["test", "--workspace"]))),
        "spa" => {
            frontend::build_release()?;
            frontend::report_size()?;
            frontend::build_minimal_app()?;
            frontend::report_minimal_app_size()
        }
        "e2e" => e2e::run(if options.wants("cargo-test") {
            // The previous step passed: its build is fresh.
            e2e::BackendBuild::ReuseTestBuild
        } else {
            e2e::BackendBuild::Build
        }),
        "soak" => soak::run(&soak::Options::default()),
        other => bail!("no step `{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_steps() {
        let all = Options::default();
        assert!(all.wants("e2e"));
        let skip = Options {
            skip: vec!["e2e".into()],
            only: vec![],
        };
        assert!(!skip.wants("e2e") && skip.wants("fmt"));
        let only = Options {
            skip: vec![],
            only: vec!["spa".into(), "e2e".into()],
        };
        assert!(only.wants("spa") && !only.wants("fmt"));
        assert!(Options {
            skip: vec!["lint".into()],
            only: vec![]
        }
        .validate()
        .is_err());
    }
}

//! `npm ci` only when needed: a stamp in `node_modules/` remembers which lockfile (and which
//! Node) the installed packages came from.

use std::{fs, path::Path, process::Command};

use anyhow::{Context, Result};

use crate::{cmd, random::fingerprint};

const STAMP: &str = ".xtask-npm-ci-stamp";

/// Runs `npm ci` in `dir` if `node_modules` is missing or was installed from another
/// `package-lock.json` (or Node version). Returns whether it installed.
pub fn ensure_installed(dir: &Path) -> Result<bool> {
    let lock = dir.join("package-lock.json");
    let lock_bytes =
        fs::read(&lock).with_context(|| format!("reading {} (commit it)", lock.display()))?;
    let node = cmd::output(Command::new("node").arg("--version"))
        .context("Node.js 20 or later is needed (`node` on PATH)")?;
    let wanted = format!("{} node {}", fingerprint(&lock_bytes), node.trim());
    let stamp = dir.join("node_modules").join(STAMP);
    let root = crate::workspace::root();
    let name = dir.strip_prefix(&root).unwrap_or(dir).display();
    if fs::read_to_string(&stamp).is_ok_and(|have| have.trim() == wanted) {
        println!("npm packages of {name}/ are up to date");
        return Ok(false);
    }
    cmd::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir),
    )?;
    fs::write(&stamp, format!("{wanted}\n"))
        .with_context(|| format!("writing {}", stamp.display()))?;
    Ok(true)
}

//! Running commands: echo them, fail with a message naming them, capture their output.

use std::{
    ffi::OsStr,
    path::Path,
    process::{Command, Stdio},
};

use anyhow::{bail, Context, Result};

use crate::workspace;

/// A command line as a user would type it (for logs and errors).
pub fn display(cmd: &Command) -> String {
    let mut parts = vec![shown(cmd.get_program())];
    parts.extend(cmd.get_args().map(shown));
    parts.join(" ")
}

fn shown(arg: &OsStr) -> String {
    let arg = arg.to_string_lossy();
    let program = Path::new(arg.as_ref());
    // `cargo` is printed by name even when `$CARGO` is an absolute path.
    let arg = if arg.ends_with("/cargo") && program.is_absolute() {
        "cargo".into()
    } else {
        arg
    };
    if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
        format!("'{}'", arg.replace('\'', r"'\''"))
    } else {
        arg.into_owned()
    }
}

fn announce(cmd: &Command) {
    let root = workspace::root();
    match cmd.get_current_dir() {
        Some(dir) if dir != root => {
            let dir = dir.strip_prefix(&root).unwrap_or(dir);
            println!("$ (cd {}) {}", dir.display(), display(cmd));
        }
        _ => println!("$ {}", display(cmd)),
    }
}

/// Runs a command with inherited stdio; an error names it and its exit status.
pub fn run(cmd: &mut Command) -> Result<()> {
    announce(cmd);
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(cmd));
    }
    Ok(())
}

/// Runs a command quietly and returns its stdout; an error carries its stderr.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    if !out.status.success() {
        bail!(
            "`{}` failed ({}): {}",
            display(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The stdout of a command if it starts and succeeds (tool probes: `trunk --version`).
pub fn probe(cmd: &mut Command) -> Option<String> {
    output(cmd).ok()
}

/// A `cargo` command (the same cargo that runs xtask), in the workspace root.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(workspace::cargo());
    cmd.args(args).current_dir(workspace::root());
    cmd
}

/// Adds `--locked` in CI, where `Cargo.lock` must already be right.
pub fn locked_in_ci(cmd: &mut Command) -> &mut Command {
    if workspace::is_ci() {
        cmd.arg("--locked");
    }
    cmd
}

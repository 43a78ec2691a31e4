//! Where things are, and the environment every command runs with.

use std::{
    env,
    ffi::OsString,
    io::IsTerminal,
    path::{Path, PathBuf},
};

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Cargo's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root().join(dir),
        _ => root().join("target"),
    }
}

/// The folder of npm build tools (`wasm-opt`).
pub fn tools_dir() -> PathBuf {
    root().join("xtask").join("tools")
}

/// The cargo executable that runs us (so a pinned toolchain stays pinned).
pub fn cargo() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `CARGO_HOME/bin`, where `cargo install` puts trunk and wasm-bindgen.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|home| home.join("bin"))
}

/// Whether we run in CI (`CI` set to anything but `false`/`0`/empty).
pub fn is_ci() -> bool {
    env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// Whether we run as root (installs then need no sudo, Postgres needs `runuser`).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Prepares the process environment once, before any thread or child starts:
/// `PATH` gains `CARGO_HOME/bin` and the npm tools' `node_modules/.bin` (trunk finds
/// `wasm-opt` there), and `CARGO_TERM_COLOR` follows our terminal unless already set.
pub fn prepare_env() {
    let mut extra = vec![tools_dir().join("node_modules").join(".bin")];
    extra.extend(cargo_bin_dir());
    let current: Vec<PathBuf> = env::var_os("PATH")
        .map(|p| env::split_paths(&p).collect())
        .unwrap_or_default();
    let mut paths: Vec<PathBuf> = extra
        .into_iter()
        .filter(|dir| !current.contains(dir))
        .collect();
    paths.extend(current);
    if let Ok(path) = env::join_paths(paths) {
        env::set_var("PATH", path);
    }
    if env::var_os("CARGO_TERM_COLOR").is_none() {
        let color = if std::io::stdout().is_terminal() {
            "always"
        } else {
            "never"
        };
        env::set_var("CARGO_TERM_COLOR", color);
    }
}

/// Looks a program up on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

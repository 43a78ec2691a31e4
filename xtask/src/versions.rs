//! Tool versions. The single source for `cargo xtask`, checked against the `Dockerfile` by
//! `xtask/tests/compose.rs`.

/// trunk 0.22 needs a newer rustc than the workspace's; install with `--locked`.
pub const TRUNK_VERSION: &str = "0.21.14";

/// The Rust target of the SPA.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Major version of npm `binaryen` (its `wasm-opt`), pinned in `xtask/tools/package.json`.
/// Debian's binaryen and the `wasm-opt` crate are too old to parse current wasm.
pub const BINARYEN_MAJOR: u32 = 132;

/// The `wasm-bindgen` version locked in `Cargo.lock`: the CLI must be exactly this version.
pub fn wasm_bindgen_version(cargo_lock: &str) -> Option<String> {
    locked_version(cargo_lock, "wasm-bindgen")
}

/// The version of a package in a `Cargo.lock` (the first entry if several are locked).
pub fn locked_version(cargo_lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = cargo_lock.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == wanted {
            let version = lines
                .next()?
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}

/// The version in a `tool --version` line such as `trunk 0.21.14` or
/// `wasm-bindgen 0.2.130 (abc123)`.
pub fn version_in_output(output: &str) -> Option<&str> {
    output
        .split_whitespace()
        .find(|word| word.chars().next().is_some_and(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    #[test]
    fn finds_the_exact_package() {
        assert_eq!(wasm_bindgen_version(LOCK).as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(LOCK, "serde"), None);
    }

    #[test]
    fn reads_versions_from_tool_output() {
        assert_eq!(version_in_output("trunk 0.21.14\n"), Some("0.21.14"));
        assert_eq!(
            version_in_output("wasm-bindgen 0.2.130 (2ab1c3f)"),
            Some("0.2.130")
        );
        assert_eq!(
            version_in_output("wasm-opt version 132 (version_132)"),
            Some("132")
        );
        assert_eq!(version_in_output("nothing"), None);
    }
}

//! The SPA: `trunk build --release`, then brotli and gzip copies of its text and wasm files
//! (served as they are by `ferris_login::spa` to browsers that accept them), its size, and
//! whether `frontend/dist` is out of date; the minimal example app on `ferris-login-yew` the
//! same way.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

use anyhow::{Context, Result};
use flate2::{write::GzEncoder, Compression};

use crate::{cmd, workspace};

pub fn dist_dir() -> PathBuf {
    workspace::root().join("frontend").join("dist")
}

/// Where the example app's build goes (outside the source tree).
pub fn minimal_app_dist_dir() -> PathBuf {
    workspace::root().join("target/minimal-app/dist")
}

/// `trunk build --release --offline` in `frontend/` (wasm-bindgen and wasm-opt from PATH).
pub fn build_release() -> Result<()> {
    // trunk runs cargo offline: fetch first (a no-op when the crates are already here).
    cmd::run(cmd::locked_in_ci(&mut cmd::cargo(["fetch"])))?;
    trunk_build("frontend", None)
        .context("building the SPA (trunk, wasm-bindgen and wasm-opt must be installed: `cargo xtask tools`)")?;
    precompress(&dist_dir())
}

/// `trunk build --release --offline` of `examples/minimal/app` into
/// [`minimal_app_dist_dir`] (with wasm-opt, as its index.html asks).
pub fn build_minimal_app() -> Result<()> {
    trunk_build("examples/minimal/app", Some(&minimal_app_dist_dir()))
        .context("building the minimal example app (trunk, wasm-bindgen and wasm-opt must be installed: `cargo xtask tools`)")?;
    precompress(&minimal_app_dist_dir())
}

/// Files worth compressing: text and wasm.
fn compressible(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("wasm" | "js" | "css" | "html" | "svg" | "json" | "txt" | "map")
    )
}

/// Writes `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip, level 9) next to every
/// compressible file of `dist` (trunk cleans the folder on each build, so none are stale). A
/// copy that would not be smaller is not written.
pub fn precompress(dist: &Path) -> Result<()> {
    let files: Vec<PathBuf> = fs::read_dir(dist)
        .with_context(|| format!("reading {}", dist.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && compressible(p))
        .collect();
    for file in &files {
        let bytes = fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        for (extension, compressed) in [("br", brotli_bytes(&bytes)?), ("gz", gzip_bytes(&bytes)?)]
        {
            let mut name = file.as_os_str().to_owned();
            name.push(".");
            name.push(extension);
            let target = PathBuf::from(name);
            if compressed.len() < bytes.len() {
                fs::write(&target, &compressed)
                    .with_context(|| format!("writing {}", target.display()))?;
            } else if target.exists() {
                fs::remove_file(&target)?;
            }
        }
    }
    println!(
        "precompressed {} files of {} (brotli and gzip)",
        files.len(),
        dist.display()
    );
    Ok(())
}

fn brotli_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

fn gzip_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn trunk_build(dir: &str, dist: Option<&Path>) -> Result<()> {
    let mut trunk = Command::new("trunk");
    trunk
        .args(["build", "--release", "--offline"])
        .current_dir(workspace::root().join(dir))
        .env("TRUNK_SKIP_VERSION_CHECK", "true");
    if let Some(dist) = dist {
        trunk.arg("--dist").arg(dist);
    }
    cmd::run(&mut trunk)
}

/// Prints the size of every wasm and JS file of the built SPA, raw and gzipped.
pub fn report_size() -> Result<()> {
    report_size_of("SPA", &dist_dir())
}

/// Prints the size of every wasm and JS file of the built example app, raw and gzipped.
pub fn report_minimal_app_size() -> Result<()> {
    report_size_of("Minimal example app", &minimal_app_dist_dir())
}

fn report_size_of(what: &str, dist: &Path) -> Result<()> {
    let mut files: Vec<PathBuf> = fs::read_dir(dist)
        .with_context(|| format!("reading {}", dist.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js" | "css" | "html")
            )
        })
        .collect();
    files.sort();
    let (mut raw_total, mut gz_total, mut br_total) = (0, 0, 0);
    let shown = dist.strip_prefix(workspace::root()).unwrap_or(dist);
    println!("{what} size ({}):", shown.display());
    for file in &files {
        let bytes = fs::read(file)?;
        let gz = gzip_bytes(&bytes)?.len();
        let br = brotli_bytes(&bytes)?.len();
        raw_total += bytes.len();
        gz_total += gz;
        br_total += br;
        println!(
            "  {:<48} {:>10} raw {:>10} gzipped {:>10} brotli",
            file.file_name().unwrap_or_default().to_string_lossy(),
            kib(bytes.len()),
            kib(gz),
            kib(br)
        );
    }
    println!(
        "  {:<48} {:>10} raw {:>10} gzipped {:>10} brotli",
        "total",
        kib(raw_total),
        kib(gz_total),
        kib(br_total)
    );
    Ok(())
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Whether `frontend/dist` is missing or older than any source of the SPA.
pub fn is_stale() -> bool {
    let Some(built) = modified(&dist_dir().join("index.html")) else {
        return true;
    };
    let root = workspace::root();
    let sources = [
        root.join("frontend/src"),
        root.join("frontend/index.html"),
        root.join("frontend/style.css"),
        root.join("frontend/favicon.svg"),
        root.join("frontend/Trunk.toml"),
        root.join("frontend/Cargo.toml"),
        root.join("ferris-login-yew"),
        root.join("shared"),
        root.join("Cargo.lock"),
    ];
    sources
        .iter()
        .filter_map(|p| newest(p))
        .any(|source| source > built)
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file, or of any file below a folder.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = path.metadata().ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    fs::read_dir(path)
        .ok()?
        .flatten()
        .filter_map(|entry| newest(&entry.path()))
        .max()
}

#[cfg(test)]
mod precompress_tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn compressed_copies_decompress_to_the_file_and_tiny_or_binary_files_get_none() {
        let dist = std::env::temp_dir().join(format!("xtask-precompress-{}", std::process::id()));
        fs::create_dir_all(&dist).unwrap();
        let js = "export function init() { return 'hello'; }\n".repeat(200);
        fs::write(dist.join("app-0123456789abcdef.js"), &js).unwrap();
        fs::write(dist.join("tiny.css"), "a{}").unwrap();
        fs::write(dist.join("logo.png"), [0_u8; 2048]).unwrap();

        precompress(&dist).unwrap();

        let gz = fs::read(dist.join("app-0123456789abcdef.js.gz")).unwrap();
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, js);
        let br = fs::read(dist.join("app-0123456789abcdef.js.br")).unwrap();
        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut unbrotli).unwrap();
        assert_eq!(unbrotli, js.as_bytes());
        assert!(br.len() < js.len() / 10);

        assert!(
            !dist.join("tiny.css.br").exists(),
            "not smaller: not written"
        );
        assert!(
            !dist.join("logo.png.gz").exists(),
            "images are not compressed"
        );
        fs::remove_dir_all(&dist).unwrap();
    }
}

//! Serves the built SPA (`FRONTEND_DIST`): static files, and `index.html` for every other
//! path so deep links work. The inline loader script trunk writes into `index.html` is
//! allowed by its hash in the CSP, not by `'unsafe-inline'`.
//!
//! Caching and compression:
//! - a file whose name carries trunk's content hash (`app-<hex>_bg.wasm`, `style-<hex>.css`)
//!   never changes: `Cache-Control: public, max-age=31536000, immutable`;
//! - `index.html` (and the deep-link fallback) must be asked for again each time, since it
//!   names the current hashed files: `no-cache`, with an `ETag` for a cheap `304`;
//! - any other file: `no-cache` with `ETag` / `Last-Modified` (`304` when unchanged);
//! - the build writes `<file>.br` and `<file>.gz` next to each text and wasm file (`cargo
//!   xtask`'s spa step): the best one the browser accepts (`Accept-Encoding`) is sent as it
//!   is, with `Content-Encoding` and `Vary: Accept-Encoding`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_files::{file_extension_to_mime, NamedFile, PathBufWrap};
use actix_web::{
    http::{
        header::{self, ContentEncoding, HeaderValue},
        Method,
    },
    web, HttpRequest, HttpResponse,
};
use base64::{engine::general_purpose::STANDARD, Engine};

use crate::crypto::sha256;

/// `Cache-Control` of a file whose name changes with its content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else: keep it, but ask (`ETag`) before using it.
pub const REVALIDATE: &str = "no-cache";

#[derive(Debug, Clone)]
pub struct Spa {
    dist: PathBuf,
    built: bool,
    /// CSP sources (`'sha256-…'`) for the inline scripts of `index.html`.
    pub script_hashes: Vec<String>,
}

impl Spa {
    pub fn load(dist: &Path) -> Self {
        let index = dist.join("index.html");
        match std::fs::read_to_string(&index) {
            Ok(html) => Self {
                dist: dist.to_owned(),
                built: true,
                script_hashes: inline_script_hashes(&html),
            },
            Err(_) => {
                tracing::warn!(
                    path = %index.display(),
                    "no built SPA in FRONTEND_DIST: build it (`trunk build --release` in the SPA's \
                     folder), then restart: index.html is read at start-up"
                );
                Self {
                    dist: dist.to_owned(),
                    built: false,
                    script_hashes: Vec::new(),
                }
            }
        }
    }

    /// Registers the SPA as the fallback of the app (after `/api` and the health routes).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        if !self.built {
            let message = not_built_message(&self.dist);
            cfg.default_service(web::to(move || {
                let message = message.clone();
                async move {
                    HttpResponse::ServiceUnavailable()
                        .content_type("text/plain; charset=utf-8")
                        .body(message)
                }
            }));
            return;
        }
        let dist = Arc::new(self.dist.clone());
        cfg.default_service(web::to(move |req: HttpRequest| {
            let dist = dist.clone();
            async move { serve(&dist, &req).await }
        }));
    }
}

/// A file of `dist` for the request path, else `index.html`.
async fn serve(dist: &Path, req: &HttpRequest) -> actix_web::Result<HttpResponse> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD"))
            .finish());
    }
    // Path traversal and hidden files are refused by actix-files' own parser.
    let file = PathBufWrap::parse_req_path(req, false)
        .ok()
        .map(|relative| dist.join(relative.as_ref()))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| dist.join("index.html"));
    serve_file(&file, req).await
}

async fn serve_file(path: &Path, req: &HttpRequest) -> actix_web::Result<HttpResponse> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let accepted = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let variants = [(ContentEncoding::Brotli, "br"), (ContentEncoding::Gzip, "gz")];
    let mut has_variants = false;
    let mut chosen = None;
    for (encoding, suffix) in variants {
        let candidate = with_suffix(path, suffix);
        if candidate.is_file() {
            has_variants = true;
            if chosen.is_none() && accepts(accepted, suffix_coding(suffix)) {
                chosen = Some((encoding, candidate));
            }
        }
    }
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let file = match &chosen {
        Some((encoding, compressed)) => NamedFile::open_async(compressed)
            .await?
            .set_content_encoding(*encoding),
        None => NamedFile::open_async(path).await?,
    };
    let mut response = file
        .set_content_type(file_extension_to_mime(extension))
        .disable_content_disposition()
        .into_response(req);
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if is_hashed(name) {
            IMMUTABLE
        } else {
            REVALIDATE
        }),
    );
    if has_variants {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    Ok(response)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// The `Accept-Encoding` token of a precompressed copy's suffix.
fn suffix_coding(suffix: &str) -> &str {
    match suffix {
        "gz" => "gzip",
        other => other,
    }
}

/// Whether an `Accept-Encoding` value accepts `coding` (named, or `*`, with a `q` above 0).
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    let mut named = None;
    let mut any = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or_default().trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if token.eq_ignore_ascii_case(coding) {
            named = Some(q > 0.0);
        } else if token == "*" {
            any = Some(q > 0.0);
        }
    }
    named.or(any).unwrap_or(false)
}

/// Whether a file name carries trunk's content hash: a `-` then 10 to 16 hex digits, then
/// `_` or `.` (`frontend-3f2a9c0d1e4b5a67_bg.wasm`, `style-3f2a9c0d1e4b5a67.css`).
pub fn is_hashed(name: &str) -> bool {
    name.match_indices('-').any(|(dash, _)| {
        let rest = &name[dash + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        (10..=16).contains(&digits) && matches!(rest.as_bytes().get(digits), Some(b'_' | b'.'))
    })
}

/// What the site answers while `FRONTEND_DIST` holds no built SPA: where it looked, and that
/// a build needs a restart (the CSP's hash of trunk's loader is taken from `index.html` at
/// start-up).
fn not_built_message(dist: &Path) -> String {
    format!(
        "The SPA has not been built: there is no index.html in FRONTEND_DIST ({}). Build it \
         (`trunk build --release` in the SPA's folder), then restart this server.",
        dist.display()
    )
}

/// `'sha256-…'` CSP sources of every inline `<script>` (one without `src`).
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_and_more = &after[tag_end + 1..];
        let Some(close) = body_and_more.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let body = &body_and_more[..close];
            hashes.push(format!(
                "'sha256-{}'",
                STANDARD.encode(sha256(body.as_bytes()))
            ));
        }
        rest = &body_and_more[close + "</script>".len()..];
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_not_built_answer_names_the_apps_folder_and_the_restart() {
        let message = not_built_message(Path::new("../my-app/dist"));
        assert!(message.contains("FRONTEND_DIST (../my-app/dist)"), "{message}");
        assert!(message.contains("then restart"), "{message}");
        assert!(!message.contains("frontend/"), "{message}");
    }

    #[test]
    fn trunks_hashed_names_are_told_from_the_rest() {
        assert!(is_hashed("frontend-3f2a9c0d1e4b5a67_bg.wasm"));
        assert!(is_hashed("frontend-3f2a9c0d1e4b5a67.js"));
        assert!(is_hashed("style-0123456789abcdef.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("favicon.svg"));
        assert!(!is_hashed("ferris-login.css"));
        assert!(!is_hashed("decaf-cafe.js"), "short hex words are not hashes");
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip, deflate, br", "gzip"));
        assert!(!accepts("gzip, deflate", "br"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(accepts("BR;q=0.5", "br"));
        assert!(accepts("*", "br"));
        assert!(!accepts("*, br;q=0", "br"));
        assert!(!accepts("", "gzip"));
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = r#"<html><head><script src="/app.js"></script>
<script type="module">import init from '/app.js';init();</script></head></html>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected = STANDARD.encode(sha256(b"import init from '/app.js';init();"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
    }
}

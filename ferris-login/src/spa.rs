//! Serves the built SPA (`FRONTEND_DIST`): static files, and `index.html` for every other
//! path so deep links work. The inline loader script trunk writes into `index.html` is
//! allowed by its hash in the CSP, not by `'unsafe-inline'`.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::{
    dev::{fn_service, ServiceRequest, ServiceResponse},
    http::header,
    web, HttpResponse,
};
use base64::{engine::general_purpose::STANDARD, Engine};

use crate::crypto::sha256;

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
                    "no built SPA found; run `trunk build --release` in frontend/ (or set FRONTEND_DIST)"
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
            cfg.default_service(web::to(not_built));
            return;
        }
        let index = self.dist.join("index.html");
        cfg.service(
            Files::new("/", &self.dist)
                .index_file("index.html")
                .use_etag(true)
                .default_handler(fn_service(move |req: ServiceRequest| {
                    let index = index.clone();
                    async move {
                        let (req, _) = req.into_parts();
                        let file = NamedFile::open_async(&index).await?;
                        let mut res = file.into_response(&req);
                        res.headers_mut().insert(
                            header::CACHE_CONTROL,
                            header::HeaderValue::from_static("no-cache"),
                        );
                        Ok(ServiceResponse::new(req, res))
                    }
                })),
        );
    }
}

async fn not_built() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/plain; charset=utf-8")
        .body("The SPA has not been built. Run `trunk build --release` in frontend/ (see README).")
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
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = r#"<html><head><script src="/app.js"></script>
<script type="module">import init from '/app.js';init();</script></head></html>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected = STANDARD.encode(sha256(b"import init from '/app.js';init();"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
    }
}

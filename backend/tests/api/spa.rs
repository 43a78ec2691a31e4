//! The built SPA is served with an `index.html` fallback; `/api` never falls back to it.
//! Hashed files are cached for a year, the rest revalidated; precompressed copies are chosen
//! by `Accept-Encoding`.

use reqwest::StatusCode;

use crate::helpers::*;

fn fake_dist() -> tempdir::Dir {
    let dir = tempdir::Dir::new();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html><head><script type=\"module\">import init from '/app.js';init();</script></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.js"),
        "export default function init() {}",
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn deep_links_get_index_html_and_its_inline_loader_is_allowed_by_hash() {
    let dist = fake_dist();
    let app = spawn_app_with(AppOptions {
        frontend_dist: Some(dist.path().to_owned()),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    for path in ["/", "/profile", "/some/deep/link?x=1"] {
        let response = browser.get(&app.url(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("'sha256-"), "{csp}");
        assert!(response.text().await.unwrap().contains("import init"));
    }
    let js = browser.get(&app.url("/app.js")).await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.text().await.unwrap().contains("export default"));

    let api = browser.api_get(&app.url("/api/unknown")).await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert!(api.text().await.unwrap().contains("not_found"));
}

const WASM: &str = "/app-0123456789abcdef_bg.wasm";

/// [`fake_dist`] with a hashed wasm file and its brotli and gzip copies (stand-in bytes: the
/// server sends them as they are and never decodes them).
fn fake_dist_with_precompressed_wasm() -> tempdir::Dir {
    let dir = fake_dist();
    let wasm = dir.path().join(&WASM[1..]);
    std::fs::write(&wasm, b"\0asm raw bytes").unwrap();
    std::fs::write(
        dir.path().join(format!("{}.br", &WASM[1..])),
        b"brotli bytes",
    )
    .unwrap();
    std::fs::write(dir.path().join(format!("{}.gz", &WASM[1..])), b"gzip bytes").unwrap();
    dir
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn hashed_files_are_cached_for_a_year_in_the_best_precompressed_copy_the_browser_accepts() {
    let dist = fake_dist_with_precompressed_wasm();
    let app = spawn_app_with(AppOptions {
        frontend_dist: Some(dist.path().to_owned()),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    let get = |accept: &'static str| {
        let mut request = browser.client.get(app.url(WASM));
        if !accept.is_empty() {
            request = request.header("accept-encoding", accept);
        }
        request.send()
    };

    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), "brotli bytes"),
        ("gzip, deflate", Some("gzip"), "gzip bytes"),
        ("br;q=0, gzip", Some("gzip"), "gzip bytes"),
        ("", None, "\0asm raw bytes"),
    ] {
        let response = get(accept).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{accept}");
        assert_eq!(
            header(&response, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{accept}"
        );
        assert_eq!(header(&response, "content-encoding"), encoding, "{accept}");
        assert_eq!(header(&response, "content-type"), Some("application/wasm"));
        assert!(
            header(&response, "vary")
                .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{accept}: {:?}",
            response.headers()
        );
        assert_eq!(response.text().await.unwrap(), body, "{accept}");
    }
}

#[tokio::test]
async fn index_html_and_unhashed_files_are_revalidated_with_an_etag() {
    let dist = fake_dist_with_precompressed_wasm();
    let app = spawn_app_with(AppOptions {
        frontend_dist: Some(dist.path().to_owned()),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    for path in ["/", "/profile", "/app.js"] {
        let first = browser.get(&app.url(path)).await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&first, "cache-control"), Some("no-cache"), "{path}");
        let etag = header(&first, "etag")
            .unwrap_or_else(|| panic!("{path}: no ETag"))
            .to_owned();
        let again = browser
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.text().await.unwrap().is_empty());
    }
}

/// A temporary directory removed on drop (no extra crate needed).
mod tempdir {
    use std::path::{Path, PathBuf};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!("bff-spa-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

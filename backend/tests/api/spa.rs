//! The built SPA is served with an `index.html` fallback; `/api` never falls back to it.

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

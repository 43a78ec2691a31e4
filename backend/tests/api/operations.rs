//! Operating the backend as a process: Prometheus metrics on their own listener, JSON logs, a
//! clean shutdown on SIGTERM.

use reqwest::StatusCode;

use crate::{helpers::*, processes::BackendProcess};

/// The backend binary with the dev provider and a fresh database, plus `extra` variables.
struct Deployment {
    app: BackendProcess,
    _idp: DevIdp,
    _db: TestDatabase,
}

async fn deploy(extra: &[(&'static str, String)]) -> Deployment {
    let port = quiet_port();
    let origin = format!("http://localhost:{port}");
    let idp = DevIdp::start(&origin).await;
    let db = TestDatabase::create().await;
    let mut env: Vec<(&str, String)> = vec![
        ("AUTH0_SECRET", TEST_SECRET.to_owned()),
        ("AUTH0_BASE_URL", origin),
        ("AUTH0_ISSUER_BASE_URL", idp.issuer.clone()),
        ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("DATABASE_URL", db.url.clone()),
        ("FRONTEND_DIST", "/nonexistent-test-dist".to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
    ];
    env.extend(extra.iter().cloned());
    Deployment {
        app: BackendProcess::start(port, &env).await,
        _idp: idp,
        _db: db,
    }
}

/// The value of the sample of `metric` whose labels include every `labels` pair.
fn sample(scrape: &str, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.split(['{', ' '])
                .next()
                .is_some_and(|name| name == metric)
        })
        .find(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_never_on_the_public_origin() {
    let metrics_port = quiet_port();
    let d = deploy(&[
        ("METRICS_ADDR", format!("127.0.0.1:{metrics_port}")),
        ("AUTH0_AUDIENCE", DEV_API.to_owned()),
        ("AUTH0_REFRESH_TOKENS", "true".to_owned()),
    ])
    .await;
    let browser = Browser::new();
    let done = login_at(&browser, &d.app.address, "alice").await;
    assert_eq!(done.status(), StatusCode::FOUND);
    for _ in 0..3 {
        assert_eq!(d.app.me(&browser).await, StatusCode::OK);
    }
    // A failed login: a callback no login started.
    let failed = Browser::new()
        .get(&d.app.url("/api/auth/callback?state=nothing&code=x"))
        .await;
    assert_eq!(failed.status(), StatusCode::BAD_REQUEST);

    let scrape = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    let text = scrape.text().await.unwrap();
    let value = |metric: &str, labels: &[(&str, &str)]| {
        sample(&text, metric, labels).unwrap_or_else(|| panic!("{metric} {labels:?} in\n{text}"))
    };
    assert_eq!(
        value(
            "bff_logins_total",
            &[("outcome", "success"), ("reason", "ok")]
        ),
        1.0
    );
    assert_eq!(
        value(
            "bff_logins_total",
            &[
                ("outcome", "failure"),
                ("reason", "login_transaction_invalid")
            ]
        ),
        1.0
    );
    assert_eq!(value("bff_sessions_active", &[]), 1.0);
    assert_eq!(
        value(
            "bff_http_request_duration_seconds_count",
            &[
                ("method", "GET"),
                ("route", "/api/auth/me"),
                ("status", "200")
            ]
        ),
        3.0
    );
    assert!(value("bff_db_pool_connections", &[("state", "idle")]) >= 0.0);
    assert!(value("bff_db_pool_connections", &[("state", "in_use")]) >= 0.0);
    assert!(
        value(
            "bff_provider_request_duration_seconds_count",
            &[("endpoint", "token")]
        ) >= 1.0
    );
    assert!(value("bff_session_cache_hits_total", &[]) >= 2.0);
    assert_eq!(value("bff_session_cache_listening", &[]), 1.0);
    assert_eq!(
        value("bff_token_refreshes_total", &[("outcome", "refreshed")]),
        0.0
    );
    // No personal data in label values.
    assert!(!text.contains("alice") && !text.contains("user-"), "{text}");

    // The public origin has no metrics.
    let public = browser.get(&d.app.url("/metrics")).await;
    let body = public.text().await.unwrap();
    assert!(!body.contains("bff_"), "{body}");
}

#[tokio::test]
async fn json_logs_carry_the_request_and_session_ids_and_never_a_secret() {
    let d = deploy(&[
        ("LOG_FORMAT", "json".to_owned()),
        // Every request's "finished" line is a debug event of the library.
        ("RUST_LOG", "info,ferris_login=debug".to_owned()),
        ("AUTH0_AUDIENCE", DEV_API.to_owned()),
        ("AUTH0_REFRESH_TOKENS", "true".to_owned()),
    ])
    .await;
    let browser = Browser::new();
    let authorize = location(&browser.get(&d.app.url("/api/auth/login")).await);
    let callback =
        sign_in_at_provider(&browser, &d.app.address, &authorize, "alice", "alice").await;
    let code = query_param(&callback, "code").unwrap();
    assert_eq!(browser.get(&callback).await.status(), StatusCode::FOUND);
    let cookie = browser
        .cookie_value(&d.app.url("/"), "bff_session")
        .unwrap();
    let me: shared::User = browser
        .api_get(&d.app.url("/api/auth/me"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.sub, "user-alice");
    let session_id = browser
        .api_get(&d.app.url(shared::routes::SESSION))
        .await
        .json::<shared::SessionStatus>()
        .await
        .unwrap()
        .id
        .to_string();
    assert_eq!(app_logout(&d.app, &browser).await, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let output = d.app.output();
    let mut request_lines = 0;
    let mut with_session = 0;
    for line in output.lines().filter(|l| l.starts_with('{')) {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            event["level"].is_string() && event["timestamp"].is_string(),
            "{line}"
        );
        let Some(span) = event.get("span").filter(|s| s["name"] == "request") else {
            continue;
        };
        request_lines += 1;
        assert!(
            span["request_id"].as_str().is_some_and(|id| id.len() >= 32),
            "{line}"
        );
        // Every line of a signed-in request names its session.
        if ["/api/auth/me", "/api/auth/session", "/api/auth/logout"]
            .contains(&span["path"].as_str().unwrap_or(""))
        {
            assert_eq!(span["session_id"], session_id.as_str(), "{line}");
            with_session += 1;
        }
    }
    assert!(
        request_lines >= 6,
        "one line per request at least:\n{output}"
    );
    assert!(with_session >= 3, "{output}");
    // Never a secret: not the cookie, not the code, not a token, not the client secret.
    for secret in [&cookie, &cookie[cookie.len() - 64..], &code, CLIENT_SECRET] {
        assert!(!output.contains(secret), "a secret in the logs:\n{output}");
    }
    assert!(!contains_jwt(&output), "a token in the logs:\n{output}");
    assert!(!output.contains("bff_session="), "{output}");
}

async fn app_logout(app: &BackendProcess, browser: &Browser) -> StatusCode {
    browser
        .api_post(&app.url("/api/auth/logout"))
        .await
        .status()
}

/// What each of many concurrent requests saw while the server was told to stop.
#[derive(Debug, Default)]
struct Seen {
    answered: usize,
    refused: usize,
    broken: Vec<String>,
}

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_breaks_none_and_exits_0() {
    let fake = crate::fake_idp::FakeIdp::start().await;
    let port = quiet_port();
    let origin = format!("http://localhost:{port}");
    let db = TestDatabase::create().await;
    let mut app = BackendProcess::start(
        port,
        &[
            ("AUTH0_SECRET", TEST_SECRET.to_owned()),
            ("AUTH0_BASE_URL", origin.clone()),
            ("AUTH0_ISSUER_BASE_URL", fake.issuer.clone()),
            ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
            ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("DATABASE_URL", db.url.clone()),
            ("FRONTEND_DIST", "/nonexistent-test-dist".to_owned()),
            ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
            ("RUST_LOG", "info".to_owned()),
        ],
    )
    .await;
    let browser = Browser::new();
    let callback = {
        let authorize = location(&browser.get(&app.url("/api/auth/login")).await);
        location(&browser.get(&authorize).await)
    };
    // The code exchange of this login will take a second: it is in flight at SIGTERM.
    fake.set(|k| k.token_delay = Some(std::time::Duration::from_secs(1)));
    let in_flight = tokio::spawn({
        let browser = browser.clone();
        async move { browser.get(&callback).await.status() }
    });
    // Load: keep-alive clients calling the API as fast as they can, for two seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let load: Vec<_> = (0..8)
        .map(|_| {
            let url = app.url("/api/auth/me");
            tokio::spawn(async move {
                let client = Browser::new();
                let mut seen = Seen::default();
                while std::time::Instant::now() < deadline {
                    match client.client.get(&url).header("X-CSRF", "1").send().await {
                        Ok(response) => match response.bytes().await {
                            Ok(_) => seen.answered += 1,
                            Err(e) => seen.broken.push(format!("body: {e:?}")),
                        },
                        Err(e) if e.is_connect() => seen.refused += 1,
                        Err(e) => seen.broken.push(format!("{e:?}")),
                    }
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let stopped_at = std::time::Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &app.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    assert_eq!(
        in_flight.await.unwrap(),
        StatusCode::FOUND,
        "the login in flight finished"
    );
    let mut total = Seen::default();
    for task in load {
        let seen = task.await.unwrap();
        total.answered += seen.answered;
        total.refused += seen.refused;
        total.broken.extend(seen.broken);
    }
    assert!(total.answered > 0, "{total:?}");
    assert!(
        total.broken.is_empty(),
        "requests broken by the shutdown: {total:?}"
    );
    let status = app.wait().await;
    assert_eq!(
        status.code(),
        Some(0),
        "exit status; output:\n{}",
        app.output()
    );
    assert!(
        stopped_at.elapsed() < std::time::Duration::from_secs(10),
        "the shutdown is bounded"
    );
    eprintln!("SIGTERM under load: {total:?}");
}

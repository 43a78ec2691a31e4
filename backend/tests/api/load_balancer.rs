//! Two replicas (backend OS processes on one fresh database) behind a real load balancer:
//! Debian's nginx, round robin, started per test on loopback as the current user, with its
//! prefix, configuration, logs, pid file (and certificate) in a temporary directory of its
//! own. Every response through nginx names the replica that answered (`X-Upstream:
//! $upstream_addr`), so each test can show which replica did what.
//!
//! - a login started on one replica finishes on the other;
//! - `/api/auth/me` answers through either replica;
//! - a logout through either replica signs the session out on both, directly and through
//!   nginx, on the next request;
//! - TLS terminated at nginx: `__Host-` `Secure` cookies, HSTS, every redirect on the public
//!   https origin, and the client's address taken from the trusted proxy's `X-Forwarded-For`.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::future::join_all;

use reqwest::{
    header::{self, HeaderMap, HeaderValue},
    redirect::Policy,
    Response, StatusCode,
};

use crate::{
    helpers::*,
    load::{keep_asking_me, keep_logging_in_and_out, one_load_test_at_a_time, Tally},
    processes::{BackendProcess, TempDir},
};

/// The response header nginx adds: the replica that answered (`127.0.0.1:PORT`).
const UPSTREAM_HEADER: &str = "x-upstream";

/// The longest a logout may take to reach a replica that has the session cached (the same
/// bound as `replicas.rs`).
const CACHED_REVOCATION_WITHIN: Duration = Duration::from_millis(100);

/// The client address the TLS test's browser claims; nginx appends its peer's address.
const CLIENT_ADDRESS: &str = "203.0.113.7";

/// nginx: `NGINX`, else Debian's (`cargo xtask tools` installs it; `xtask::tools::nginx_path`
/// reads the same variable).
fn nginx_executable() -> PathBuf {
    std::env::var_os("NGINX")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"))
}

/// nginx in front of the replicas, killed when dropped.
struct Nginx {
    /// The self-signed certificate (PEM) when nginx terminates TLS.
    certificate: Option<Vec<u8>>,
    _child: tokio::process::Child,
    // After the child: the directory goes once nginx is gone.
    dir: TempDir,
}

impl Nginx {
    /// Starts nginx on `127.0.0.1:port`, round robin over `upstreams` (loopback ports), with
    /// TLS (a certificate for `localhost` made now) if `tls`.
    async fn start(port: u16, upstreams: &[u16], tls: bool, failover: bool) -> Self {
        let nginx = nginx_executable();
        assert!(
            is_executable(&nginx),
            "nginx missing at {}: run `cargo xtask tools` (installs Debian's nginx), or set \
             NGINX to an nginx executable",
            nginx.display()
        );
        let dir = TempDir::new("bff-nginx");
        let certificate = if tls {
            Some(self_signed_certificate(dir.path()).await)
        } else {
            None
        };
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), port, upstreams, tls, failover)).unwrap();
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        let mut child = tokio::process::Command::new(&nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .args(["-g", "daemon off; master_process off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", nginx.display()));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "nginx exited ({status}) before it listened:\n{}",
                    logs(dir.path())
                );
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "nginx not listening on {port} after 10 s:\n{}",
                logs(dir.path())
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Self {
            certificate,
            _child: child,
            dir,
        }
    }

    /// What nginx wrote to stderr and its error log.
    fn logs(&self) -> String {
        logs(self.dir.path())
    }
}

fn logs(dir: &Path) -> String {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    format!(
        "stderr:\n{}\nerror.log:\n{}",
        read("stderr.log"),
        read("error.log")
    )
}

/// The load balancer's configuration: everything under `dir` (no `/etc/nginx`, no
/// `/var/log`, no `/var/lib/nginx`), round robin, no retry on another replica (a failing
/// replica must fail the test, not be hidden), the forwarding headers the app believes from a
/// trusted proxy, and the answering replica in `X-Upstream`.
///
/// With `failover`, as in production: a request that fails to reach a replica, or whose
/// connection fails before an answer, is tried on the next one if it is idempotent (nginx
/// never retries a `POST`), and a replica that failed is left out for a second.
fn config(dir: &Path, port: u16, upstreams: &[u16], tls: bool, failover: bool) -> String {
    let dir = dir.display();
    let server_options = if failover {
        " max_fails=1 fail_timeout=1s"
    } else {
        ""
    };
    let next_upstream = if failover { "error timeout" } else { "off" };
    let servers: String = upstreams
        .iter()
        .map(|p| format!("        server 127.0.0.1:{p}{server_options};\n"))
        .collect();
    let (listen, certificate) = if tls {
        (
            " ssl",
            format!(
                "        ssl_certificate {dir}/cert.pem;\n        \
                 ssl_certificate_key {dir}/key.pem;\n"
            ),
        )
    } else {
        ("", String::new())
    };
    format!(
        "# Written by backend/tests/api/load_balancer.rs for one test.
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{
    worker_connections 256;
}}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream bff {{
{servers}        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port}{listen};
        server_name localhost;
{certificate}        location / {{
            proxy_pass http://bff;
            # HTTP/1.1 to the replicas, on kept-alive connections. (With nginx's default,
            # HTTP/1.0, Actix answers 400 to a POST without a body and Content-Length.)
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_next_upstream {next_upstream};
            proxy_connect_timeout 2s;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"
    )
}

/// A self-signed certificate for `localhost` and 127.0.0.1, valid for a day, written to
/// `dir/cert.pem` and `dir/key.pem` (a temporary directory only this user can read, removed
/// with the test); returns the certificate.
async fn self_signed_certificate(dir: &Path) -> Vec<u8> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let output = tokio::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes"])
        .args(["-days", "1"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // An end-entity certificate: rustls refuses a CA certificate as a server's.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("the openssl command line tool makes the test certificate");
    assert!(
        output.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(&cert).unwrap()
}

/// Two replicas of one app on one fresh database behind nginx, whose origin is the app's
/// public one (`AUTH0_BASE_URL`, and the dev provider's redirect URIs).
struct Balanced {
    /// The public origin: `http(s)://localhost:NGINX_PORT`.
    origin: String,
    // Dropped in this order: nginx, the replicas, the provider, the database.
    nginx: Nginx,
    a: BackendProcess,
    b: BackendProcess,
    /// The replicas' environment (to start one again).
    env: Vec<(&'static str, String)>,
    _idp: DevIdp,
    _db: TestDatabase,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Http,
    /// TLS terminated at nginx; the replicas behind it speak plain http.
    Https,
}

/// `extra` is added to every replica's environment.
async fn balanced(origin: Origin, extra: &[(&'static str, String)]) -> Balanced {
    balanced_with(origin, extra, false).await
}

/// [`balanced`], with nginx failing over to the other replica if `failover`.
async fn balanced_with(
    origin: Origin,
    extra: &[(&'static str, String)],
    failover: bool,
) -> Balanced {
    let (port, port_a, port_b) = (quiet_port(), quiet_port(), quiet_port());
    let public = match origin {
        Origin::Http => format!("http://localhost:{port}"),
        Origin::Https => format!("https://localhost:{port}"),
    };
    let (idp, db) = tokio::join!(DevIdp::start(&public), TestDatabase::create());
    let env: Vec<(&'static str, String)> = vec![
        ("AUTH0_SECRET", TEST_SECRET.to_owned()),
        ("AUTH0_BASE_URL", public.clone()),
        ("AUTH0_ISSUER_BASE_URL", idp.issuer.clone()),
        ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("DATABASE_URL", db.url.clone()),
        ("FRONTEND_DIST", "/nonexistent-test-dist".to_owned()),
        // nginx connects from here and sets X-Forwarded-For.
        ("TRUSTED_PROXIES", "127.0.0.1".to_owned()),
        // Every request of these tests comes from one address.
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
    ];
    let env: Vec<(&'static str, String)> = env.into_iter().chain(extra.iter().cloned()).collect();
    // Both at once: their migrations take turns on the database's advisory lock.
    let (a, b) = tokio::join!(
        BackendProcess::start(port_a, &env),
        BackendProcess::start(port_b, &env)
    );
    let nginx = Nginx::start(port, &[port_a, port_b], origin == Origin::Https, failover).await;
    Balanced {
        origin: public,
        nginx,
        a,
        b,
        env,
        _idp: idp,
        _db: db,
    }
}

impl Balanced {
    /// `path` on the public origin (through nginx).
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// A browser for the public origin: over https it trusts nginx's certificate (added as a
    /// root, not by accepting invalid certificates) and says it is [`CLIENT_ADDRESS`] in an
    /// `X-Forwarded-For` of its own, as if it came through a proxy of the client's.
    fn browser(&self) -> Browser {
        let Some(pem) = &self.nginx.certificate else {
            return Browser::new();
        };
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static(CLIENT_ADDRESS));
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .cookie_provider(jar.clone())
            .timeout(Duration::from_secs(30))
            .add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap())
            .default_headers(headers)
            .build()
            .unwrap();
        Browser { client, jar }
    }

    /// Which replica answered through nginx: `"A"` or `"B"`.
    fn replica(&self, response: &Response) -> &'static str {
        let upstream = response
            .headers()
            .get(UPSTREAM_HEADER)
            .unwrap_or_else(|| {
                panic!(
                    "no {UPSTREAM_HEADER} on a {} from {}",
                    response.status(),
                    response.url()
                )
            })
            .to_str()
            .unwrap();
        if upstream == format!("127.0.0.1:{}", self.a.port) {
            "A"
        } else if upstream == format!("127.0.0.1:{}", self.b.port) {
            "B"
        } else {
            panic!("{UPSTREAM_HEADER}: {upstream} is neither replica (one hop only)")
        }
    }

    fn direct(&self, replica: &str) -> &BackendProcess {
        match replica {
            "A" => &self.a,
            _ => &self.b,
        }
    }

    /// `/api/auth/me` through nginx: the status and the replica that answered.
    async fn me(&self, browser: &Browser) -> (StatusCode, &'static str) {
        let response = browser.api_get(&self.url("/api/auth/me")).await;
        (response.status(), self.replica(&response))
    }

    /// Makes nginx send its next request to `replica`: asks `/healthz` through it until the
    /// other one answered (round robin: at most twice).
    async fn next_request_to(&self, browser: &Browser, replica: &str) {
        for _ in 0..2 {
            let response = browser.get(&self.url("/healthz")).await;
            assert_eq!(response.status(), StatusCode::OK);
            if self.replica(&response) != replica {
                return;
            }
        }
        panic!("nginx sent two requests in a row to {replica}: not round robin");
    }

    /// Panics with both replicas' and nginx's logs unless `condition` holds.
    fn check(&self, condition: bool, what: &str) {
        assert!(
            condition,
            "{what}\nreplica A:\n{}\nreplica B:\n{}\nnginx:\n{}",
            self.a.output(),
            self.b.output(),
            self.nginx.logs()
        );
    }
}

/// The other replica.
fn other(replica: &str) -> &'static str {
    if replica == "A" {
        "B"
    } else {
        "A"
    }
}

/// A whole login through nginx; returns the replicas that served its start
/// (`/api/auth/login`) and its callback.
async fn login_across(
    lb: &Balanced,
    browser: &Browser,
    user: &str,
) -> (&'static str, &'static str) {
    let login = browser.get(&lb.url("/api/auth/login")).await;
    assert_eq!(login.status(), StatusCode::FOUND, "login redirects");
    let started_on = lb.replica(&login);
    let callback = sign_in_at_provider(browser, &lb.origin, &location(&login), user, user).await;
    let callback = browser.get(&callback).await;
    let finished_on = lb.replica(&callback);
    lb.check(
        callback.status() == StatusCode::FOUND && location(&callback) == lb.url("/"),
        &format!(
            "the callback on {finished_on} (login started on {started_on}) answered {} to {:?}",
            callback.status(),
            callback.headers().get(header::LOCATION)
        ),
    );
    (started_on, finished_on)
}

#[tokio::test]
async fn a_login_started_on_one_replica_finishes_on_the_other() {
    let lb = balanced(Origin::Http, &[]).await;

    // nginx's own rotation: the login on one replica, the callback on the next.
    let alice = lb.browser();
    let (started_on, finished_on) = login_across(&lb, &alice, "alice").await;
    assert_ne!(
        started_on, finished_on,
        "round robin sends the callback to the other replica"
    );

    // And the other way round.
    let bob = lb.browser();
    lb.next_request_to(&bob, finished_on).await;
    assert_eq!(
        login_across(&lb, &bob, "bob").await,
        (finished_on, started_on)
    );

    // Each session, created by one replica, is known to both.
    for browser in [&alice, &bob] {
        assert_eq!(lb.a.me(browser).await, StatusCode::OK);
        assert_eq!(lb.b.me(browser).await, StatusCode::OK);
    }
}

#[tokio::test]
async fn me_answers_through_either_replica() {
    let lb = balanced(Origin::Http, &[]).await;
    let browser = lb.browser();
    login_across(&lb, &browser, "alice").await;

    let mut answered_by = Vec::new();
    for _ in 0..6 {
        let response = browser.api_get(&lb.url("/api/auth/me")).await;
        let replica = lb.replica(&response);
        assert_eq!(response.status(), StatusCode::OK, "/me on {replica}");
        let user: shared::User = response.json().await.unwrap();
        assert_eq!(user.sub, "user-alice", "on {replica}");
        answered_by.push(replica);
    }
    assert!(
        answered_by.windows(2).all(|w| w[0] != w[1]),
        "round robin alternates: {answered_by:?}"
    );
    assert_eq!(
        answered_by.iter().collect::<BTreeSet<_>>().len(),
        2,
        "both replicas answered: {answered_by:?}"
    );
}

/// Signs alice in through nginx, lets both replicas read (and, with the cache on, cache) her
/// session, and logs her out through nginx on `logout_on`. Returns her browser and a copy of
/// its cookie from before the logout (what a copied cookie would replay; the browser's own is
/// cleared by the logout).
async fn logged_out_through(lb: &Balanced, logout_on: &str) -> (Browser, Browser) {
    let browser = lb.browser();
    login_across(lb, &browser, "alice").await;
    let old_cookie = browser.copy(&lb.origin);
    // A miss, then a hit; and the copy's client keeps a connection open to each replica, so
    // its first request after the logout goes out at once.
    for _ in 0..2 {
        assert_eq!(lb.a.me(&old_cookie).await, StatusCode::OK);
        assert_eq!(lb.b.me(&old_cookie).await, StatusCode::OK);
    }
    lb.next_request_to(&browser, logout_on).await;
    let logout = browser.api_post(&lb.url("/api/auth/logout")).await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(lb.replica(&logout), logout_on, "the logout's replica");
    (browser, old_cookie)
}

/// Through nginx, to each replica in turn: the old cookie and the browser are signed out.
async fn signed_out_through_nginx(lb: &Balanced, browser: &Browser, old_cookie: &Browser) {
    let mut answered_by = BTreeSet::new();
    for client in [old_cookie, old_cookie, browser, browser] {
        let (status, replica) = lb.me(client).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{replica} through nginx");
        answered_by.insert(replica);
    }
    assert_eq!(answered_by.len(), 2, "both replicas answered through nginx");
}

/// Without the session cache every request reads the database: the request right after the
/// logout's response is signed out on every replica.
#[tokio::test]
async fn a_logout_through_either_replica_signs_out_everywhere_at_once() {
    let lb = balanced(Origin::Http, &[("SESSION_CACHE", "off".to_owned())]).await;
    for logout_on in ["A", "B"] {
        let (browser, old_cookie) = logged_out_through(&lb, logout_on).await;
        // The other replica first, then the one that logged out.
        let (first, second) = (lb.direct(other(logout_on)), lb.direct(logout_on));
        let started = Instant::now();
        let statuses = [first.me(&old_cookie).await, second.me(&old_cookie).await];
        let elapsed = started.elapsed();
        lb.check(
            statuses == [StatusCode::UNAUTHORIZED; 2],
            &format!(
                "logout on {logout_on}: directly, {} answered {} and {logout_on} {} ({elapsed:?} \
                 after the logout's response)",
                other(logout_on),
                statuses[0],
                statuses[1]
            ),
        );
        signed_out_through_nginx(&lb, &browser, &old_cookie).await;
    }
}

/// With the session cache (the default), the replica that logged out forgets the session at
/// once; the other drops its cached copy when the database's notification arrives, a few
/// milliseconds later: until then a copy of the old cookie still reads `/me` there.
#[tokio::test]
async fn with_the_session_cache_a_logout_through_either_replica_reaches_the_other_within_100_ms() {
    let lb = balanced(Origin::Http, &[]).await;
    for logout_on in ["A", "B"] {
        let (browser, old_cookie) = logged_out_through(&lb, logout_on).await;
        // Both at once, right after the logout's response.
        let other_replica = lb.direct(other(logout_on));
        let started = Instant::now();
        let (there, elsewhere) = tokio::join!(
            lb.direct(logout_on).me(&old_cookie),
            other_replica.me(&old_cookie)
        );
        assert_eq!(
            there,
            StatusCode::UNAUTHORIZED,
            "{logout_on}, which logged out, at once"
        );
        let mut reads = 1;
        let mut status = elsewhere;
        while status != StatusCode::UNAUTHORIZED {
            lb.check(
                started.elapsed() <= CACHED_REVOCATION_WITHIN,
                &format!(
                    "{} still signed in {:?} after a logout on {logout_on}",
                    other(logout_on),
                    started.elapsed()
                ),
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
            status = other_replica.me(&old_cookie).await;
            reads += 1;
        }
        eprintln!(
            "logout on {logout_on}: {} signed out {:?} after the logout's response ({reads} \
             reads)",
            other(logout_on),
            started.elapsed()
        );
        signed_out_through_nginx(&lb, &browser, &old_cookie).await;
    }
}

/// Every `Set-Cookie` of a response over https: `__Host-` and `Secure`.
fn assert_host_only_secure_cookies(response: &Response, what: &str) {
    for cookie in set_cookies(response) {
        assert!(
            cookie.starts_with("__Host-") && cookie.contains("; Secure"),
            "{what} set a cookie without `__Host-` and `Secure`: {cookie}"
        );
    }
}

fn assert_hsts(response: &Response, what: &str) {
    let hsts = response
        .headers()
        .get(header::STRICT_TRANSPORT_SECURITY)
        .unwrap_or_else(|| panic!("{what}: no Strict-Transport-Security"));
    assert!(
        hsts.to_str().unwrap().starts_with("max-age="),
        "{what}: {hsts:?}"
    );
}

#[tokio::test]
async fn tls_terminated_at_nginx_secure_cookies_hsts_and_https_redirects() {
    let lb = balanced(Origin::Https, &[]).await;
    let browser = lb.browser();
    // Everything the app sends the browser to; none of it may name a replica.
    let mut redirects = Vec::new();

    let login = browser
        .get(&lb.url("/api/auth/login?returnTo=%2Faccount%2Fsessions"))
        .await;
    assert_eq!(login.status(), StatusCode::FOUND, "login redirects");
    assert_hsts(&login, "login");
    assert_host_only_secure_cookies(&login, "login");
    let authorize = location(&login);
    let redirect_uri = query_param(&authorize, "redirect_uri");
    assert_eq!(redirect_uri, Some(lb.url("/api/auth/callback")));
    redirects.extend([authorize.clone(), redirect_uri.unwrap()]);

    let callback = sign_in_at_provider(&browser, &lb.origin, &authorize, "alice", "alice").await;
    let callback = browser.get(&callback).await;
    lb.check(
        callback.status() == StatusCode::FOUND,
        &format!("the callback answered {}", callback.status()),
    );
    assert_hsts(&callback, "callback");
    assert_host_only_secure_cookies(&callback, "callback");
    let session_cookie = set_cookies(&callback)
        .into_iter()
        .find(|c| c.starts_with("__Host-bff_session="))
        .expect("the callback sets __Host-bff_session");
    for attribute in ["; HttpOnly", "; SameSite=Strict", "; Path=/", "; Secure"] {
        assert!(session_cookie.contains(attribute), "{session_cookie}");
    }
    assert!(!session_cookie.contains("Domain="), "{session_cookie}");
    assert_eq!(location(&callback), lb.url("/account/sessions"));
    redirects.push(location(&callback));

    // Signed in through both replicas, over https only.
    let mut seen = BTreeSet::new();
    for _ in 0..2 {
        let response = browser.api_get(&lb.url("/api/auth/me")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_hsts(&response, "/me");
        seen.insert(lb.replica(&response));
    }
    assert_eq!(seen.len(), 2, "both replicas answered");

    // nginx is a trusted proxy: the app took the client's address from its X-Forwarded-For.
    let sessions: Vec<shared::MySession> = browser
        .api_get(&lb.url("/api/auth/sessions"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].network.as_deref(), Some("203.0.113.0/24"));

    // Logout: the provider is told to come back to the public origin; then the app sends the
    // browser on to the page it logged out from, on the public origin again.
    let logout = browser
        .api_post(&lb.url("/api/auth/logout?returnTo=%2Faccount%2Fsessions"))
        .await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert_hsts(&logout, "logout");
    assert_host_only_secure_cookies(&logout, "logout");
    let body: shared::LogoutResponse = logout.json().await.unwrap();
    let post_logout = query_param(&body.redirect_to, "post_logout_redirect_uri");
    assert_eq!(post_logout, Some(lb.url("/")), "{}", body.redirect_to);
    redirects.extend([body.redirect_to, post_logout.unwrap()]);
    let back = browser.get(&lb.url("/")).await;
    assert_eq!(back.status(), StatusCode::FOUND);
    assert_host_only_secure_cookies(&back, "the return after logout");
    assert_eq!(location(&back), lb.url("/account/sessions"));
    redirects.push(location(&back));
    let (status, _) = lb.me(&browser).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The plain logout link, signed out already: back to the app, on the public origin.
    let link = browser.navigate(&lb.url("/api/auth/logout")).await;
    assert_eq!(link.status(), StatusCode::FOUND);
    assert_eq!(location(&link), lb.url("/"));
    redirects.push(location(&link));

    let replicas = [&lb.a, &lb.b].map(|r| format!(":{}", r.port));
    for url in &redirects {
        assert!(
            !replicas.iter().any(|port| url.contains(port.as_str()))
                && !url.contains(&lb.url("").replacen("https://", "http://", 1)),
            "{url} names a replica or the public origin over http"
        );
    }
}

/// The load runs this long before one replica is killed, then this long before it is started
/// again, then this long more.
const BEFORE_KILL: Duration = Duration::from_secs(2);
const KILLED_FOR: Duration = Duration::from_secs(3);
const AFTER_RESTART: Duration = Duration::from_secs(2);

/// Issue 16, item 2: nginx in front of two replicas, retrying idempotent requests on the other
/// one. Replica A gets `kill -9` while 16 keep-alive clients ask `/me` and two others log in
/// and out; then it is started again. No `GET` fails, no session is lost, the only failures
/// are the logins and logouts that were in flight on A (at most one per client doing them),
/// and A takes traffic again.
#[tokio::test]
async fn a_replica_killed_under_load_loses_no_get_and_no_session() {
    let _alone = one_load_test_at_a_time().await;
    let mut lb = balanced_with(Origin::Http, &[], true).await;
    let readers: Vec<Browser> = (0..16).map(|_| lb.browser()).collect();
    for (i, browser) in readers.iter().enumerate() {
        login_across(&lb, browser, if i % 2 == 0 { "alice" } else { "bob" }).await;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let origin = lb.origin.clone();
    let gets = join_all(
        readers
            .iter()
            .map(|b| keep_asking_me(origin.clone(), b.clone(), stop.clone())),
    );
    let churn = join_all(
        ["alice", "bob"]
            .into_iter()
            .map(|user| keep_logging_in_and_out(origin.clone(), user, stop.clone())),
    );
    let port_a = lb.a.port;
    let control = async {
        tokio::time::sleep(BEFORE_KILL).await;
        let killed = std::process::Command::new("kill")
            .args(["-9", &lb.a.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = lb.a.wait().await;
        assert_eq!(status.code(), None, "killed by a signal");
        tokio::time::sleep(KILLED_FOR).await;
        lb.a = BackendProcess::start(port_a, &lb.env).await;
        // A takes traffic again: nginx tries it once its second of being left out is over.
        let started = Instant::now();
        let probe = Browser::new();
        let upstream_a = format!("127.0.0.1:{port_a}");
        let mut back = None;
        for _ in 0..300 {
            let response = probe.get(&format!("{origin}/healthz")).await;
            if response
                .headers()
                .get(UPSTREAM_HEADER)
                .map(|v| v.as_bytes())
                == Some(upstream_a.as_bytes())
            {
                back = Some(started.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(AFTER_RESTART).await;
        stop.store(true, Ordering::SeqCst);
        back
    };
    let (gets, churn, back) = tokio::join!(gets, churn, control);

    let mut me = Tally::default();
    gets.into_iter().for_each(|t| me.add(t));
    let (mut logins, mut logouts) = (Tally::default(), Tally::default());
    for (i, o) in churn {
        logins.add(i);
        logouts.add(o);
    }
    eprintln!(
        "replica killed under load: GET /me {} ok, {} failed; logins {} ok, {} failed {:?}; \
         logouts {} ok, {} failed {:?}; A took traffic {:?} after it was started again",
        me.ok,
        me.failed,
        logins.ok,
        logins.failed,
        logins.failures,
        logouts.ok,
        logouts.failed,
        logouts.failures,
        back
    );
    lb.check(me.failed == 0, &format!("failed GETs: {:?}", me.failures));
    lb.check(me.ok > 0 && logins.ok > 0, "the load ran");
    lb.check(
        logins.failed <= 2 && logouts.failed <= 2,
        "only the logins and logouts in flight on A failed (one per client at most)",
    );
    lb.check(back.is_some(), "A takes traffic again after its restart");
    // No session lost: every reader is still signed in, through either replica.
    for browser in &readers {
        for _ in 0..2 {
            let (status, _) = lb.me(browser).await;
            lb.check(status == StatusCode::OK, "a session survived the kill");
        }
    }
}

//! `ferris-login` in someone else's app: an Actix app that mounts it with its own prefix, its
//! own routes beside it and its own hooks, logging in against the real dev provider.

use std::{net::TcpListener, sync::Arc};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::{from_fn, Next},
    web, App, HttpServer,
};
use ferris_login::{
    clock::OffsetClock, Auth, AuthBuilder, Claim, Config, CurrentSession, ErrorBody, ErrorCode,
    Login, Refusal, SaveCause, SessionUpdate, User,
};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::helpers::{
    location, login_at, Browser, DevIdp, TestDatabase, CLIENT_ID, CLIENT_SECRET, TEST_SECRET,
};

/// A custom claim the app adds at login and its SPA reads back typed.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Plan {
    tier: String,
    email_domain: String,
}

impl Claim for Plan {
    const KEY: &'static str = "plan";
}

struct ThirdPartyApp {
    address: String,
    clock: OffsetClock,
    db: TestDatabase,
    _idp: DevIdp,
}

impl ThirdPartyApp {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn rows(&self, sql: &str) -> i64 {
        let pool = sqlx::PgPool::connect(&self.db.url).await.unwrap();
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    }
}

/// The app's own middleware on one of its routes, refusing with an error (not a response):
/// the error travels out through the library's middleware as an `Err`.
async fn refuse_in_middleware(
    _req: ServiceRequest,
    _next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    Err::<ServiceResponse<actix_web::body::BoxBody>, _>(actix_web::error::ErrorForbidden(
        "refused by the app's middleware",
    ))
}

async fn hello(session: CurrentSession) -> String {
    format!("Hello, {}", session.user().display_name())
}

/// Starts an app that mounts the library at `prefix`, with `/hello` of its own beside the auth
/// routes, configured by `hooks`.
async fn spawn_third_party(prefix: &str, hooks: fn(AuthBuilder) -> AuthBuilder) -> ThirdPartyApp {
    spawn_third_party_with(prefix, hooks, &[]).await
}

async fn spawn_third_party_with(
    prefix: &str,
    hooks: fn(AuthBuilder) -> AuthBuilder,
    extra_env: &[(&'static str, &str)],
) -> ThirdPartyApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let address = format!("http://localhost:{port}");
    let idp = DevIdp::start_for(&address, prefix).await;
    let db = TestDatabase::create().await;
    let mut vars = vec![
        ("AUTH0_SECRET", TEST_SECRET.to_owned()),
        ("AUTH0_BASE_URL", address.clone()),
        ("AUTH0_ISSUER_BASE_URL", idp.issuer.clone()),
        ("AUTH0_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("DATABASE_URL", db.url.clone()),
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
        ("FRONTEND_DIST", "/nonexistent-test-dist".to_owned()),
    ];
    vars.extend(extra_env.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let config = Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let clock = OffsetClock::new();
    let builder = Auth::builder(config)
        .clock(Arc::new(clock.clone()))
        .api_prefix(prefix);
    let auth = hooks(builder).build().expect("the library builds");
    auth.start().await.expect("the library starts");
    let app = auth.clone();
    let server = HttpServer::new(move || {
        App::new()
            .service(
                app.api().route("/hello", web::get().to(hello)).service(
                    web::resource("/refused-by-middleware")
                        .wrap(from_fn(refuse_in_middleware))
                        .to(hello),
                ),
            )
            .service(app.spa())
    })
    .listen(listener.try_clone().unwrap())
    .unwrap()
    .disable_signals()
    .run();
    tokio::spawn(async move { auth.serve(server, listener, std::future::pending()).await });
    ThirdPartyApp {
        address,
        clock,
        db,
        _idp: idp,
    }
}

async fn error_code(response: reqwest::Response) -> ErrorCode {
    response.json::<ErrorBody>().await.unwrap().error.code
}

#[tokio::test]
async fn an_app_mounts_login_under_its_own_prefix_beside_its_own_routes() {
    let app = spawn_third_party("/backend/v1", |b| b).await;
    let browser = Browser::new();

    let signed_out = browser.api_get(&app.url("/backend/v1/hello")).await;
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(signed_out).await, ErrorCode::Unauthenticated);

    let login = browser.get(&app.url("/backend/v1/auth/login")).await;
    assert_eq!(login.status(), StatusCode::FOUND);
    assert!(
        location(&login).contains(&crate::helpers::urlencode(
            &app.url("/backend/v1/auth/callback")
        )),
        "the provider is given the callback below the prefix: {}",
        location(&login)
    );
    let callback = crate::helpers::sign_in_at_provider(
        &browser,
        &app.address,
        &location(&login),
        "alice",
        "alice",
    )
    .await;
    assert!(callback.starts_with(&app.url("/backend/v1/auth/callback?")));
    let done = browser.get(&callback).await;
    assert_eq!(done.status(), StatusCode::FOUND, "the login completes");
    assert_eq!(location(&done), app.url("/"));

    let hello = browser.api_get(&app.url("/backend/v1/hello")).await;
    assert_eq!(hello.status(), StatusCode::OK);
    assert_eq!(hello.text().await.unwrap(), "Hello, Alice Admin");
    let me = browser.api_get(&app.url("/backend/v1/auth/me")).await;
    assert_eq!(me.json::<User>().await.unwrap().sub, "user-alice");

    // The app's routes sit behind the same anti-forgery check and JSON errors.
    let forged = browser
        .client
        .get(app.url("/backend/v1/hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(forged).await, ErrorCode::CsrfRejected);
    let unknown = browser.api_get(&app.url("/backend/v1/nope")).await;
    assert_eq!(error_code(unknown).await, ErrorCode::NotFound);
    // Nothing of the API answers at the default prefix: that path is the SPA's.
    let elsewhere = browser.api_get(&app.url("/api/auth/me")).await;
    assert_ne!(elsewhere.status(), StatusCode::OK);
    assert!(elsewhere.json::<User>().await.is_err());
    // The admin routes are off unless asked for.
    let admin = browser
        .api_get(&app.url("/backend/v1/admin/sessions"))
        .await;
    assert_eq!(admin.status(), StatusCode::NOT_FOUND);
}

fn plan_from_email(builder: AuthBuilder) -> AuthBuilder {
    builder
        .after_callback(|mut login: Login| async move {
            let email = login.claim("email").and_then(|e| e.as_str()).unwrap_or("");
            let plan = Plan {
                tier: "pro".into(),
                email_domain: email.rsplit('@').next().unwrap_or("").to_owned(),
            };
            login.user_mut().extra.insert(&plan).unwrap();
            assert!(!login.access_token().is_empty(), "the hook sees the tokens");
            Ok(login)
        })
        .before_session_saved(|update: &mut SessionUpdate<'_>| {
            if update.cause == SaveCause::Login && update.user.extra.get::<Plan>().is_ok() {
                update.user.roles.push("subscriber".into());
            }
        })
}

#[tokio::test]
async fn custom_claims_from_the_hooks_reach_me_typed() {
    let app = spawn_third_party("/api", plan_from_email).await;
    let browser = Browser::new();
    let done = login_at(&browser, &app.address, "alice").await;
    assert_eq!(done.status(), StatusCode::FOUND);

    let me: User = browser
        .api_get(&app.url("/api/auth/me"))
        .await
        .json()
        .await
        .unwrap();
    let plan = me.extra.get::<Plan>().unwrap().expect("the plan claim");
    assert_eq!(plan.tier, "pro");
    assert_eq!(plan.email_domain, "example.com");
    assert!(me.has_role("subscriber"), "before_session_saved ran");
    assert!(me.has_role("admin"), "the provider's roles are kept");
}

fn marks_refreshes(builder: AuthBuilder) -> AuthBuilder {
    plan_from_email(builder).before_session_saved(|update: &mut SessionUpdate<'_>| {
        if update.cause == SaveCause::Refresh {
            update.user.roles.push("refreshed".into());
        }
    })
}

#[tokio::test]
async fn a_refresh_keeps_the_custom_claims_and_runs_before_session_saved() {
    let app = spawn_third_party_with(
        "/api",
        marks_refreshes,
        &[
            ("AUTH0_AUDIENCE", crate::helpers::DEV_API),
            ("AUTH0_REFRESH_TOKENS", "true"),
        ],
    )
    .await;
    let browser = Browser::new();
    login_at(&browser, &app.address, "alice").await;
    let me = |browser: Browser| {
        let url = app.url("/api/auth/me");
        async move { browser.api_get(&url).await.json::<User>().await.unwrap() }
    };
    let before = me(browser.clone()).await;
    assert!(!before.has_role("refreshed"));

    // Past the dev provider's ten-minute access tokens: the next request refreshes first.
    app.clock.advance(std::time::Duration::from_secs(600));
    let after = me(browser.clone()).await;
    assert!(after.has_role("refreshed"), "{after:?}");
    assert_eq!(
        after.extra.get::<Plan>().unwrap(),
        before.extra.get::<Plan>().unwrap(),
        "the login's claims survive the refresh"
    );
    assert!(after.extra.get::<Plan>().unwrap().is_some());
}

/// Set once `panics_on_first_refresh`'s hook has panicked.
static REFRESH_HOOK_PANICKED: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Its first refresh panics (an app's bug).
fn panics_on_first_refresh(builder: AuthBuilder) -> AuthBuilder {
    builder.before_session_saved(|update: &mut SessionUpdate<'_>| {
        if update.cause == SaveCause::Refresh
            && !REFRESH_HOOK_PANICKED.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            panic!("the app's hook fails once (this panic is the test's)");
        }
    })
}

/// A refresh whose hook panicked stores nothing (the hook's edits may be what keeps the
/// session's claims safe), and leaves nothing behind in the process: once its lease has run
/// out, the next request refreshes again. The provider had already rotated the refresh token
/// the panicked refresh used (its new one was never stored), so it refuses it, and the session
/// ends: signed out, never stuck with tokens that no refresh will ever renew.
#[tokio::test]
async fn a_refresh_whose_hook_panicked_is_tried_again_later() {
    let app = spawn_third_party_with(
        "/api",
        panics_on_first_refresh,
        &[
            ("AUTH0_AUDIENCE", crate::helpers::DEV_API),
            ("AUTH0_REFRESH_TOKENS", "true"),
        ],
    )
    .await;
    let browser = Browser::new();
    login_at(&browser, &app.address, "alice").await;
    let url = app.url("/api/auth/me");
    let me = || browser.api_get(&url);
    app.clock.advance(std::time::Duration::from_secs(600));
    assert_eq!(me().await.status(), StatusCode::OK);
    assert!(REFRESH_HOOK_PANICKED.load(std::sync::atomic::Ordering::SeqCst));

    // The panicked refresh's lease runs out (as it does after its time).
    let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    sqlx::query("UPDATE sessions SET refresh_lease_until = NULL")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        me().await.status(),
        StatusCode::UNAUTHORIZED,
        "the next request refreshed again (and the provider refused the spent token)"
    );
    assert_eq!(app.rows("SELECT count(*) FROM sessions").await, 0);
}

fn only_alice(builder: AuthBuilder) -> AuthBuilder {
    builder.after_callback(|login: Login| async move {
        if login.user().sub == "user-alice" {
            Ok(login)
        } else {
            Err(Refusal::new("not_invited"))
        }
    })
}

/// Bob signs in at the provider; the callback URL it sends him back to (not visited yet).
async fn bob_back_at_callback(app: &ThirdPartyApp, browser: &Browser) -> String {
    let login = browser.get(&app.url("/api/auth/login")).await;
    crate::helpers::sign_in_at_provider(browser, &app.address, &location(&login), "bob", "bob")
        .await
}

#[tokio::test]
async fn a_refused_login_goes_back_to_the_spa_with_its_reason_and_stores_nothing() {
    let app = spawn_third_party("/api", only_alice).await;
    let browser = Browser::new();
    let refused = browser
        .navigate(&bob_back_at_callback(&app, &browser).await)
        .await;
    assert_eq!(refused.status(), StatusCode::FOUND);
    assert_eq!(
        location(&refused),
        app.url("/?login_error=login_refused&login_error_reason=not_invited")
    );
    let me = browser.api_get(&app.url("/api/auth/me")).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.rows("SELECT count(*) FROM sessions").await, 0);
    assert_eq!(app.rows("SELECT count(*) FROM users").await, 0);

    // A fetch (not a navigation) gets the JSON error.
    let refused = browser
        .get(&bob_back_at_callback(&app, &browser).await)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, ErrorCode::LoginRefused);

    let alice = Browser::new();
    let done = login_at(&alice, &app.address, "alice").await;
    assert_eq!(done.status(), StatusCode::FOUND);
    assert_eq!(location(&done), app.url("/"));
    assert_eq!(app.rows("SELECT count(*) FROM sessions").await, 1);
}

/// SHA-384 of migration 20261202000002 before the demo's `messages` table moved out of it.
const PRE_SPLIT_CHECKSUM: &str = "2bbed0b63e3f88f4886dd740715c4da99a3b062523b9597f9922db1856da82ed6bfacb0eb98feb95c906ca3890f2e7b1";

#[tokio::test]
async fn a_database_migrated_before_the_library_split_still_starts() {
    let app = spawn_third_party("/api", |b| b).await;
    let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    // As a database migrated by the demo before the split looks: the old record, the table.
    let old: Vec<u8> = (0..PRE_SPLIT_CHECKSUM.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&PRE_SPLIT_CHECKSUM[i..i + 2], 16).unwrap())
        .collect();
    sqlx::query(
        "UPDATE _sqlx_migrations SET checksum = $1, description = 'session network and messages' \
         WHERE version = 20261202000002",
    )
    .bind(&old)
    .execute(&pool)
    .await
    .unwrap();
    for statement in [
        "CREATE TABLE messages (id UUID PRIMARY KEY, \
         author_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE, \
         author_name TEXT NOT NULL, body TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL)",
        "CREATE INDEX messages_created_at ON messages (created_at DESC)",
        "INSERT INTO users (id, issuer, subject, created_at, last_login_at) \
         VALUES (gen_random_uuid(), 'i', 's', now(), now())",
        "INSERT INTO messages SELECT gen_random_uuid(), id, 'a', 'kept', now() FROM users",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }

    // Starting again (a new release) accepts it, and the demo's own migration keeps the data.
    let second = spawn_on_database(&app.db.url).await;
    second
        .migrate(&sqlx::migrate!("./migrations"))
        .await
        .unwrap();
    let description: String = sqlx::query_scalar(
        "SELECT description FROM _sqlx_migrations WHERE version = 20261202000002",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(description, "session network");
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE body = 'kept'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kept, 1);
}

async fn spawn_on_database(url: &str) -> Auth {
    let vars = [
        ("AUTH0_SECRET", TEST_SECRET),
        ("AUTH0_BASE_URL", "http://localhost:9"),
        ("AUTH0_ISSUER_BASE_URL", "http://127.0.0.1:9"),
        ("AUTH0_CLIENT_ID", CLIENT_ID),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET),
        ("DATABASE_URL", url),
    ];
    let config = Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap();
    let auth = Auth::builder(config).build().expect("builds");
    auth.start().await.expect("starts on the old database");
    auth
}

/// An error made inside middleware (here the app's, on its own route) leaves as an `Err`, not
/// a response: it still gets the JSON error body and every security header.
#[tokio::test]
async fn an_error_raised_in_middleware_still_carries_the_security_headers() {
    let app = spawn_third_party("/api", |builder| builder).await;
    let response = Browser::new()
        .api_get(&app.url("/api/refused-by-middleware"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    for header in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "permissions-policy",
    ] {
        assert!(
            response.headers().contains_key(header),
            "without {header}: {:?}",
            response.headers()
        );
    }
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(error_code(response).await, ErrorCode::Forbidden);
}

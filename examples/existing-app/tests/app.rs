//! The app's own tests: signed in with ferris-login's `testing` feature, no provider running,
//! sessions kept in memory (`MemoryStore`: one process, as a test is), the app's own tables in
//! a fresh PostgreSQL database (`TEST_DATABASE_ADMIN_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), and a real downstream API on a free port.

use actix_web::{
    http::{header, StatusCode},
    test, web, App, HttpRequest, HttpResponse, HttpServer,
};
use existing_app::Reports;
use ferris_login::{store::MemoryStore, testing::TestUser, Auth, Config};
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection, PgPool};

struct Setup {
    auth: Auth,
    pool: PgPool,
    reports: Reports,
    admin_url: String,
    database: String,
}

/// A fresh database with the app's migrations, the library on the app's pool, and a
/// downstream API that tells what `Authorization` it got.
async fn setup() -> Setup {
    let admin_url = std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let database = format!("existing_app_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {database}").as_str())
        .await
        .unwrap();
    let url = format!("{}/{database}", admin_url.rsplit_once('/').unwrap().0);
    let pool = PgPool::connect(&url).await.unwrap();
    sqlx::migrate!()
        .set_ignore_missing(true)
        .run(&pool)
        .await
        .unwrap();
    let config = Config::from_lookup(|name| {
        Some(match name {
            "AUTH0_SECRET" => "4e9b2d7a1c6f3e8b5a0d9c2f7e4b1a6d3c8f5e2b9a7d4c1f".into(),
            "AUTH0_BASE_URL" => "http://localhost:3000".into(),
            "AUTH0_ISSUER_BASE_URL" => "http://127.0.0.1:9".into(),
            "AUTH0_CLIENT_ID" => "existing-app".into(),
            "AUTH0_CLIENT_SECRET" => "existing-app-secret".into(),
            "DATABASE_URL" => url.clone(),
            _ => return None,
        })
    })
    .unwrap();
    let auth = Auth::builder(config)
        .pool(pool.clone())
        .store(MemoryStore::new())
        .build()
        .unwrap();
    auth.start().await.unwrap();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let downstream = HttpServer::new(|| {
        App::new().route(
            "/reports",
            web::get().to(|req: HttpRequest| async move {
                let seen = req
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                HttpResponse::Ok().json(json!({"authorization": seen, "reports": ["q3"]}))
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(downstream);
    Setup {
        auth,
        pool,
        reports: Reports::new(format!("http://127.0.0.1:{port}/reports")),
        admin_url,
        database,
    }
}

impl Setup {
    async fn teardown(self) {
        self.auth.close().await;
        let mut admin = PgConnection::connect(&self.admin_url).await.unwrap();
        let _ = admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database).as_str())
            .await;
    }
}

macro_rules! app {
    ($setup:expr) => {{
        let setup = &$setup;
        let auth = setup.auth.clone();
        test::init_service(
            App::new()
                .app_data(web::Data::new(setup.pool.clone()))
                .app_data(web::Data::new(setup.reports.clone()))
                .configure(|cfg| existing_app::routes(cfg, &auth)),
        )
        .await
    }};
}

fn api(req: test::TestRequest, path: &str) -> test::TestRequest {
    req.uri(path).insert_header(("X-CSRF", "1"))
}

#[actix_web::test]
async fn the_apps_own_health_check_stays_its_own() {
    let setup = setup().await;
    let app = app!(setup);
    let res = test::call_service(&app, test::TestRequest::get().uri("/health").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    setup.teardown().await;
}

#[actix_web::test]
async fn the_account_page_needs_a_login_and_counts_visits_in_the_apps_table() {
    let setup = setup().await;
    let app = app!(setup);
    let res = test::call_service(&app, test::TestRequest::get().uri("/account").to_request()).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        res.headers().get(header::LOCATION).unwrap(),
        "http://localhost:3000/api/auth/login?returnTo=%2Faccount"
    );

    let cookie = setup
        .auth
        .sign_in_for_test(TestUser::new("alice").name("Alice <3"))
        .await
        .unwrap();
    for visit in 1..=2 {
        let res = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/account")
                .cookie(cookie.clone())
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let page = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(page.contains("Hello, Alice &lt;3"), "{page}");
        assert!(page.contains(&format!("Visit {visit}")), "{page}");
    }
    setup.teardown().await;
}

#[actix_web::test]
async fn the_downstream_api_gets_the_users_access_token() {
    let setup = setup().await;
    let app = app!(setup);
    let cookie = setup
        .auth
        .sign_in_for_test(TestUser::new("alice").access_token("at-alice"))
        .await
        .unwrap();
    let res = test::call_service(
        &app,
        api(test::TestRequest::get(), "/api/reports")
            .cookie(cookie)
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["authorization"], "Bearer at-alice");
    setup.teardown().await;
}

#[actix_web::test]
async fn the_recent_report_is_kept_in_the_session() {
    let setup = setup().await;
    let app = app!(setup);
    let cookie = setup
        .auth
        .sign_in_for_test(TestUser::new("bob"))
        .await
        .unwrap();
    let res = test::call_service(
        &app,
        api(test::TestRequest::post(), "/api/recent")
            .cookie(cookie.clone())
            .set_json("q3")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = test::call_service(
        &app,
        api(test::TestRequest::get(), "/api/recent")
            .cookie(cookie)
            .to_request(),
    )
    .await;
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body, json!("q3"));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&setup.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "the session and its data live in the memory store");
    setup.teardown().await;
}

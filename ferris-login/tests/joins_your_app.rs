//! The library inside someone else's app, through its public API only: the app's own pool,
//! its own routes beside `/api/auth/*`, a server-rendered page behind the login, data kept in
//! the session, the user's access token, logging out from a handler, and sessions minted by
//! the `testing` feature with no provider running. Needs PostgreSQL
//! (`TEST_DATABASE_ADMIN_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).

use actix_session::SessionExt;
use actix_web::{
    cookie::Cookie,
    dev::{Service, ServiceResponse},
    http::{header, StatusCode},
    test, web, App, HttpRequest, HttpResponse,
};
use ferris_login::{testing::TestUser, ApiError, Auth, Config, CurrentSession, LoginRequired};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;

mod support;
use support::Database;

/// The app's configuration: the seed's variables, and a provider nobody runs (these tests
/// never log in through one).
fn config(database_url: &str) -> Config {
    Config::from_lookup(|name| {
        Some(match name {
            "AUTH0_SECRET" => "c8b1d4f7a2e5093618b4d7f0a3c6e9125b8e1d4a7f0c3e6b".into(),
            "AUTH0_BASE_URL" => "http://localhost:3000".into(),
            "AUTH0_ISSUER_BASE_URL" => "http://127.0.0.1:9".into(),
            "AUTH0_CLIENT_ID" => "my-app".into(),
            "AUTH0_CLIENT_SECRET" => "my-app-secret".into(),
            "DATABASE_URL" => database_url.into(),
            "LOG_FORMAT" => "text".into(),
            _ => return None,
        })
    })
    .expect("a valid configuration")
}

/// `POST /api/notes`: keeps the posted note in the session.
async fn keep_note(
    session: CurrentSession,
    note: web::Json<String>,
) -> Result<HttpResponse, ApiError> {
    session.insert("note", note.into_inner())?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/notes`: the kept note.
async fn read_note(session: CurrentSession) -> Result<web::Json<Option<String>>, ApiError> {
    Ok(web::Json(session.get("note")?))
}

/// `GET /api/token`: what a downstream call would send.
async fn token(session: CurrentSession) -> Result<web::Json<Value>, ApiError> {
    let token = session.access_token().await?;
    Ok(web::Json(
        json!({ "bearer": token.as_ref().map(|t| t.secret()) }),
    ))
}

/// `POST /api/visitor-cart`: a handler writing to actix-session's `Session` with nobody signed
/// in.
async fn visitor_cart(req: HttpRequest) -> HttpResponse {
    req.get_session().insert("cart", ["book"]).unwrap();
    HttpResponse::NoContent().finish()
}

/// `GET /account`: a server-rendered page for signed-in users.
async fn account(session: LoginRequired) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!("<h1>{}</h1>", session.user().display_name()))
}

/// `POST /account/leave`: a form that logs out.
async fn leave(session: LoginRequired) -> Result<ferris_login::LogoutRedirect, ApiError> {
    session.logout("/goodbye").await
}

/// The app's routes around the library's, as an `actix_web::test` service.
macro_rules! service {
    ($app:expr) => {{
        let auth = &$app.auth;
        test::init_service(
            App::new()
                .service(
                    auth.api()
                        .route("/notes", web::post().to(keep_note))
                        .route("/notes", web::get().to(read_note))
                        .route("/token", web::get().to(token))
                        .route("/visitor-cart", web::post().to(visitor_cart)),
                )
                .service(
                    auth.pages("/account")
                        .route("", web::get().to(account))
                        .route("/leave", web::post().to(leave)),
                ),
        )
        .await
    }};
}

/// `GET` an API route as the browser holding `cookie` would.
macro_rules! api_get {
    ($service:expr, $path:expr, $cookie:expr) => {
        test::call_service(
            &$service,
            api(test::TestRequest::get(), $path)
                .cookie($cookie)
                .to_request(),
        )
        .await
    };
}

struct TestApp {
    auth: Auth,
    db: Database,
}

impl TestApp {
    async fn start() -> Self {
        let db = Database::create().await;
        // The app's own pool, handed to the library.
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(&db.url)
            .await
            .unwrap();
        let auth = Auth::builder(config(&db.url))
            .pool(pool)
            .build()
            .expect("builds: no I/O");
        auth.start().await.expect("starts without a provider");
        Self { auth, db }
    }

    /// A browser signed in as `user` (no provider): its session cookie.
    async fn signed_in(&self, user: TestUser) -> Cookie<'static> {
        self.auth
            .sign_in_for_test(user)
            .await
            .expect("a test session")
    }

    async fn stop(self) {
        self.auth.close().await;
        self.db.drop().await;
    }
}

fn api(method: test::TestRequest, path: &str) -> test::TestRequest {
    method.uri(path).insert_header(("X-CSRF", "1"))
}

async fn body_json(res: ServiceResponse) -> Value {
    serde_json::from_slice(&test::read_body(res).await).unwrap()
}

#[actix_web::test]
async fn a_signed_out_browser_is_sent_to_the_login_and_back_to_the_page() {
    let app = TestApp::start().await;
    let service = service!(app);
    let res = test::call_service(
        &service,
        test::TestRequest::get().uri("/account?tab=2").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        res.headers().get(header::LOCATION).unwrap(),
        "http://localhost:3000/api/auth/login?returnTo=%2Faccount%3Ftab%3D2"
    );
    app.stop().await;
}

/// The session cookie is `SameSite=Strict`, so the provider's redirect after login (or a link
/// from another site) arrives without it: the page reloads itself from our origin first, and
/// only that request, which carries the cookie, decides.
#[actix_web::test]
async fn a_navigation_from_another_site_reloads_from_our_origin_before_deciding() {
    let app = TestApp::start().await;
    let service = service!(app);
    let cross_site = test::call_service(
        &service,
        test::TestRequest::get()
            .uri("/account")
            .insert_header(("Sec-Fetch-Site", "cross-site"))
            .insert_header(("Sec-Fetch-Mode", "navigate"))
            .to_request(),
    )
    .await;
    assert_eq!(cross_site.status(), StatusCode::OK);
    assert_eq!(
        cross_site.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let page = String::from_utf8(test::read_body(cross_site).await.to_vec()).unwrap();
    assert!(
        page.contains(r#"<meta http-equiv="refresh" content="0">"#),
        "{page}"
    );

    let same_origin = test::call_service(
        &service,
        test::TestRequest::get()
            .uri("/account")
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header(("Sec-Fetch-Mode", "navigate"))
            .to_request(),
    )
    .await;
    assert_eq!(
        same_origin.status(),
        StatusCode::FOUND,
        "no loop: the reload decides"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_signed_in_user_sees_the_page_and_it_is_never_cached() {
    let app = TestApp::start().await;
    let cookie = app
        .signed_in(TestUser::new("alice").name("Alice Liddell"))
        .await;
    let service = service!(app);
    let res = test::call_service(
        &service,
        test::TestRequest::get()
            .uri("/account")
            .cookie(cookie)
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(test::read_body(res).await, "<h1>Alice Liddell</h1>");
    app.stop().await;
}

#[actix_web::test]
async fn a_cross_site_form_post_to_a_page_is_refused() {
    let app = TestApp::start().await;
    let cookie = app.signed_in(TestUser::new("alice")).await;
    let service = service!(app);
    let res = test::call_service(
        &service,
        test::TestRequest::post()
            .uri("/account/leave")
            .insert_header(("Origin", "https://evil.example"))
            .cookie(cookie.clone())
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(res).await["error"]["code"], "csrf_rejected");
    // Still signed in.
    let me = api_get!(service, "/api/auth/me", cookie);
    assert_eq!(me.status(), StatusCode::OK);
    app.stop().await;
}

#[actix_web::test]
async fn the_apps_data_is_kept_with_the_session_across_requests() {
    let app = TestApp::start().await;
    let cookie = app.signed_in(TestUser::new("alice")).await;
    let service = service!(app);
    let res = test::call_service(
        &service,
        api(test::TestRequest::post(), "/api/notes")
            .cookie(cookie.clone())
            .set_json("buy milk")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // A new app on the same database (another replica, or after a restart) reads it too.
    let other = service!(app);
    let res = api_get!(other, "/api/notes", cookie);
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await, json!("buy milk"));
    app.stop().await;
}

#[actix_web::test]
async fn data_over_the_cap_is_refused_with_413_and_nothing_changes() {
    let app = TestApp::start().await;
    let cookie = app.signed_in(TestUser::new("alice")).await;
    let service = service!(app);
    let post = |note: String| {
        api(test::TestRequest::post(), "/api/notes")
            .cookie(cookie.clone())
            .set_json(note)
            .to_request()
    };
    let res = test::call_service(&service, post("short".into())).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res =
        test::call_service(&service, post("x".repeat(ferris_login::MAX_APP_DATA_BYTES))).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body_json(res).await["error"]["code"], "payload_too_large");
    let res = api_get!(service, "/api/notes", cookie);
    assert_eq!(body_json(res).await, json!("short"));
    app.stop().await;
}

#[actix_web::test]
async fn data_written_for_a_visitor_is_an_error_not_a_silent_loss() {
    let app = TestApp::start().await;
    let service = service!(app);
    let res = service
        .call(api(test::TestRequest::post(), "/api/visitor-cart").to_request())
        .await;
    let status = match res {
        Ok(res) => res.status(),
        Err(err) => err.as_response_error().status_code(),
    };
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    app.stop().await;
}

#[actix_web::test]
async fn a_handler_gets_the_users_access_token() {
    let app = TestApp::start().await;
    let with_token = app
        .signed_in(TestUser::new("alice").access_token("at-for-the-reports-api"))
        .await;
    let without = app.signed_in(TestUser::new("bob")).await;
    let service = service!(app);
    let get = |cookie: Cookie<'static>| {
        api(test::TestRequest::get(), "/api/token")
            .cookie(cookie)
            .to_request()
    };
    let res = test::call_service(&service, get(with_token)).await;
    assert_eq!(
        body_json(res).await,
        json!({"bearer": "at-for-the-reports-api"})
    );
    let res = test::call_service(&service, get(without)).await;
    assert_eq!(body_json(res).await, json!({"bearer": null}));
    app.stop().await;
}

#[actix_web::test]
async fn a_handler_ends_the_session_and_sends_the_browser_on() {
    let app = TestApp::start().await;
    let cookie = app.signed_in(TestUser::new("alice")).await;
    let service = service!(app);
    let res = test::call_service(
        &service,
        test::TestRequest::post()
            .uri("/account/leave")
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .cookie(cookie.clone())
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // No provider is known here: straight back to the app's page.
    assert_eq!(
        res.headers().get(header::LOCATION).unwrap(),
        "http://localhost:3000/goodbye"
    );
    let cleared = res
        .response()
        .cookies()
        .find(|c| c.name() == cookie.name())
        .expect("the cookie is cleared");
    assert_eq!(cleared.value(), "");
    let me = api_get!(service, "/api/auth/me", cookie);
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[actix_web::test]
async fn roles_permissions_and_claims_of_a_test_user_reach_me() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Plan(String);
    impl ferris_login::Claim for Plan {
        const KEY: &'static str = "plan";
    }
    let app = TestApp::start().await;
    let cookie = app
        .auth
        .sign_in_for_test(
            TestUser::new("carol")
                .roles(["editor"])
                .permissions(["read:reports"])
                .claim(&Plan("pro".into())),
        )
        .await
        .unwrap();
    let service = service!(app);
    let res = api_get!(service, "/api/auth/me", cookie);
    let me = body_json(res).await;
    assert_eq!(me["roles"], json!(["editor"]));
    assert_eq!(me["permissions"], json!(["read:reports"]));
    assert_eq!(me["extra"]["plan"], "pro");
    app.stop().await;
}

#[actix_web::test]
async fn building_does_no_io_and_starting_names_what_failed() {
    // Nothing listens on port 9: building must not notice, starting must say so.
    let auth = Auth::builder(config("postgres://postgres@127.0.0.1:9/nowhere"))
        .build()
        .expect("building opens no connection");
    let err = auth.start().await.expect_err("the database is unreachable");
    assert!(
        matches!(err, ferris_login::StartError::Database { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("DATABASE_DIRECT_URL (or DATABASE_URL)"),
        "{err}"
    );
}

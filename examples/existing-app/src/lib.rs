//! The app's routes: its own health check, an API beside `/api/auth/*`, and server-rendered
//! pages behind the login.

use actix_web::{web, HttpResponse};
use ferris_login::{ApiError, Auth, CurrentSession, LoginRequired};
use sqlx::PgPool;

/// Where the downstream reports API lives (`REPORTS_API_URL`; without it `/api/reports`
/// answers 503).
#[derive(Clone)]
pub struct Reports {
    url: Option<String>,
    client: reqwest::Client,
}

impl Reports {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: Some(url.into()),
            client: reqwest::Client::new(),
        }
    }

    pub fn from_env() -> Self {
        Self {
            url: std::env::var("REPORTS_API_URL").ok(),
            client: reqwest::Client::new(),
        }
    }
}

/// Everything the app serves. Register `pool` and `Reports` as app data beside it.
pub fn routes(cfg: &mut web::ServiceConfig, auth: &Auth) {
    cfg.route("/health", web::get().to(health))
        .service(
            auth.api()
                .route("/reports", web::get().to(reports))
                .route("/recent", web::post().to(remember_recent))
                .route("/recent", web::get().to(recent)),
        )
        .service(auth.pages("/account").route("", web::get().to(account)));
}

/// The app's own health check: its database answers.
async fn health(pool: web::Data<PgPool>) -> HttpResponse {
    match sqlx::query("SELECT 1").execute(pool.get_ref()).await {
        Ok(_) => HttpResponse::Ok().body("ok"),
        Err(_) => HttpResponse::ServiceUnavailable().body("database unavailable"),
    }
}

/// A server-rendered page: signed-out browsers go to the login and come back.
async fn account(
    session: LoginRequired,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let visits: i64 = sqlx::query_scalar(
        "INSERT INTO page_visits (subject, visits) VALUES ($1, 1) \
         ON CONFLICT (subject) DO UPDATE SET visits = page_visits.visits + 1 RETURNING visits",
    )
    .bind(&session.user().sub)
    .fetch_one(pool.get_ref())
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>Account</title><h1>Hello, {}</h1><p>Visit {visits}</p>",
            escape(session.user().display_name())
        )))
}

/// Calls the downstream API with the user's access token.
async fn reports(
    session: CurrentSession,
    api: web::Data<Reports>,
) -> actix_web::Result<HttpResponse> {
    let url = api
        .url
        .as_deref()
        .ok_or_else(|| actix_web::error::ErrorServiceUnavailable("REPORTS_API_URL is not set"))?;
    let token = session
        .access_token()
        .await?
        .ok_or(ApiError::Forbidden("an access token"))?;
    let answer = api
        .client
        .get(url)
        .bearer_auth(token.secret())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(actix_web::error::ErrorBadGateway)?;
    let body: serde_json::Value = answer
        .json()
        .await
        .map_err(actix_web::error::ErrorBadGateway)?;
    Ok(HttpResponse::Ok().json(body))
}

/// Keeps the last report the user opened, in the session.
async fn remember_recent(
    session: CurrentSession,
    report: web::Json<String>,
) -> Result<HttpResponse, ApiError> {
    session.insert("recent_report", report.into_inner())?;
    Ok(HttpResponse::NoContent().finish())
}

async fn recent(session: CurrentSession) -> Result<web::Json<Option<String>>, ApiError> {
    Ok(web::Json(session.get("recent_report")?))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

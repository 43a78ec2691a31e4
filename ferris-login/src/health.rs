//! `/healthz` (the process answers) and `/readyz` (the database answers).

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::{error::ApiError, shutdown::Draining, state::AppState};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn readyz(
    state: web::Data<AppState>,
    draining: Option<web::Data<Draining>>,
) -> Result<HttpResponse, ApiError> {
    if draining.is_some_and(|d| d.is_draining()) {
        // Stopping: a load balancer should send new requests elsewhere.
        return Ok(HttpResponse::ServiceUnavailable().json(json!({"status": "stopping"})));
    }
    let ping = sqlx::query("SELECT 1").execute(&state.pool);
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => {
            let cache = state.sessions.cache();
            Ok(HttpResponse::Ok().json(json!({
                "status": "ready",
                "provider": if state.provider.cached().is_some() { "discovered" } else { "pending" },
                // "listening": cached sessions are served, and revoked by every replica's
                // changes; "bypassed": the replica is not (yet) listening, every request reads
                // the database.
                "session_cache": match (cache.is_enabled(), cache.is_listening()) {
                    (false, _) => "off",
                    (true, true) => "listening",
                    (true, false) => "bypassed",
                },
            })))
        }
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(sqlx::Error::PoolTimedOut.into()),
    }
}

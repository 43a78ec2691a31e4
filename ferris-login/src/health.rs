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
    let store = state.sessions.store();
    let ping = async {
        sqlx::query("SELECT 1").execute(&state.pool).await?;
        store.ping().await.map_err(ApiError::from)
    };
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(())) => {
            let cache = state.sessions.cache();
            Ok(HttpResponse::Ok().json(json!({
                "status": "ready",
                "provider": if state.provider.cached().is_some() { "discovered" } else { "pending" },
                // "listening": cached sessions are served, and revoked by every replica's
                // changes; "bypassed": the replica is not (yet) listening, every request reads
                // the database.
                "session_store": store.kind(),
                "session_cache": match cache {
                    None => "off",
                    Some(cache) if cache.is_listening() => "listening",
                    Some(_) => "bypassed",
                },
            })))
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(sqlx::Error::PoolTimedOut.into()),
    }
}

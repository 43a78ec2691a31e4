//! A small downstream API for proxy tests: it validates the bearer token against the
//! provider's JWKS (RS256, `iss`, `aud`, `exp`) like a real resource server, or, in echo mode,
//! just reports the token it got. It answers with what it saw.

use std::{
    net::TcpListener,
    sync::{Arc, Mutex},
};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use openidconnect::{core::CoreJsonWebKey, JsonWebKeySet};
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Upstream {
    /// `http://127.0.0.1:PORT/v1`: the base URL to configure.
    pub base: String,
    seen: Arc<Mutex<Vec<Value>>>,
}

struct Validation {
    jwks: JsonWebKeySet<CoreJsonWebKey>,
    issuer: String,
    audience: String,
}

impl Upstream {
    /// Validates tokens issued by `issuer` for `audience`.
    pub async fn validating(issuer: &str, audience: &str) -> Self {
        let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let jwks = reqwest::get(discovery["jwks_uri"].as_str().unwrap())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self::start(Some(Validation {
            jwks,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }))
        .await
    }

    /// Accepts any bearer token and reports it.
    pub async fn echo() -> Self {
        Self::start(None).await
    }

    async fn start(validation: Option<Validation>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!(
            "http://127.0.0.1:{}/v1",
            listener.local_addr().unwrap().port()
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let data = web::Data::new((validation, seen.clone()));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(handle))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self { base, seen }
    }

    /// Requests that reached the upstream.
    pub fn requests(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }
}

type Data = web::Data<(Option<Validation>, Arc<Mutex<Vec<Value>>>)>;

async fn handle(req: HttpRequest, body: web::Bytes, data: Data) -> HttpResponse {
    let (validation, seen) = data.get_ref();
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let mut report = json!({
        "method": req.method().as_str(),
        "path": req.path(),
        "query": req.query_string(),
        "cookie": req.headers().contains_key("cookie"),
        "csrf_header": req.headers().contains_key("x-csrf"),
        "content_type": req.headers().get("content-type").and_then(|v| v.to_str().ok()),
        "body": String::from_utf8_lossy(&body),
        "token": token,
    });
    seen.lock().unwrap().push(report.clone());
    if let Some(v) = validation {
        let algs = [openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256];
        let Ok((_, claims)) = ferris_login::oidc::jws::verify(&token, &v.jwks, &algs) else {
            return HttpResponse::Unauthorized().json(json!({"error": "invalid_token"}));
        };
        let aud_ok = match &claims["aud"] {
            Value::String(a) => *a == v.audience,
            Value::Array(a) => a.iter().any(|x| x.as_str() == Some(&v.audience)),
            _ => false,
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if claims["iss"] != v.issuer.as_str()
            || !aud_ok
            || claims["exp"].as_i64().unwrap_or(0) <= now
        {
            return HttpResponse::Unauthorized().json(json!({"error": "invalid_token"}));
        }
        report["sub"] = claims["sub"].clone();
        report["permissions"] = claims["permissions"].clone();
    }
    HttpResponse::Ok()
        .insert_header(("Set-Cookie", "upstream=1; Path=/"))
        .json(report)
}

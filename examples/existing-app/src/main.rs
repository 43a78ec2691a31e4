//! An app with its own server, pool, migrations and health check, and login added to it.
//! `DATABASE_URL`, the seed's `AUTH0_*` variables, `LISTEN_ADDR` (default 127.0.0.1:3000)
//! and `REPORTS_API_URL` (the downstream API).

use actix_web::{web, App, HttpServer};
use ferris_login::{Auth, Config};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    // The app's own pool and migrations; the library keeps its sessions in the same pool.
    let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    sqlx::migrate!().set_ignore_missing(true).run(&pool).await?;
    let auth = Auth::builder(config).pool(pool.clone()).build()?;
    auth.start().await?;
    let reports = existing_app::Reports::from_env();
    let app = auth.clone();
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(pool.clone()))
            .app_data(web::Data::new(reports.clone()))
            .configure(|cfg| existing_app::routes(cfg, &app))
    })
    .bind(std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into()))?
    .run()
    .await?;
    auth.close().await;
    Ok(())
}

//! The database parts: this crate's migrations (run on a direct connection), the connection
//! options (a statement timeout on every connection), and the pool's settings.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgConnection,
};

use crate::{builder::StartError, config::Config};

/// This crate's tables: users, sessions, login states, logout-token ids.
pub(crate) static LIBRARY_MIGRATIONS: Migrator = sqlx::migrate!("../migrations");

/// Runs `migrations` on a direct connection: the migrator holds a session-level advisory lock,
/// which a transaction pooler (PgBouncer) cannot keep. Versions applied by the other migrator
/// (the library's or the app's) are left alone.
pub(crate) async fn run_migrations(
    config: &Config,
    migrations: &Migrator,
) -> Result<(), StartError> {
    // Each migrator (ours, the app's) makes sure of sqlx's table with `CREATE TABLE IF NOT
    // EXISTS`: PostgreSQL's notice that it exists would read like a leftover database.
    let options = direct_options(config)?.options([("client_min_messages", "warning")]);
    let mut direct = PgConnection::connect_with(&options)
        .await
        .map_err(|e| StartError::database("connecting to DATABASE_DIRECT_URL (or DATABASE_URL)", e))?;
    crate::migrations::repair_split_migration(&mut direct)
        .await
        .map_err(|e| StartError::Migrations(e.into()))?;
    let mut migrations = Migrator {
        migrations: migrations.migrations.clone(),
        ..Migrator::DEFAULT
    };
    migrations.set_ignore_missing(true);
    migrations
        .run(&mut direct)
        .await
        .map_err(|e| StartError::Migrations(e.into()))?;
    let _ = direct.close().await;
    Ok(())
}

/// No query may hold a connection longer than this (lock waits included): a stuck database
/// turns into 503s, never into requests that hang.
const STATEMENT_TIMEOUT: &str = "10s";

fn connect_options(url: &SecretString, name: &'static str) -> Result<PgConnectOptions, StartError> {
    let options: PgConnectOptions = url
        .expose_secret()
        .parse()
        .map_err(|e| StartError::database(name, e))?;
    Ok(options.options([("statement_timeout", STATEMENT_TIMEOUT)]))
}

pub(crate) fn database_options(config: &Config) -> Result<PgConnectOptions, StartError> {
    connect_options(&config.database_url, "DATABASE_URL")
}

/// A connection with a session of its own (`DATABASE_DIRECT_URL`, else `DATABASE_URL`).
pub(crate) fn direct_options(config: &Config) -> Result<PgConnectOptions, StartError> {
    match &config.database_direct_url {
        Some(url) => connect_options(url, "DATABASE_DIRECT_URL"),
        None => database_options(config),
    }
}

/// A pooled connection idle longer than this is pinged before use; a busier one is not (sqlx
/// would otherwise add a round trip to every query). A connection that died meanwhile fails
/// its query with a 503, and the pool replaces it.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

/// The pool's settings, shared with the benchmark's baseline (so "one query" costs the same
/// there).
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// One of this crate's migrations, by version.
pub(crate) fn library_migration(version: i64) -> Option<&'static sqlx::migrate::Migration> {
    LIBRARY_MIGRATIONS.iter().find(|m| m.version == version)
}

//! What the library's own tests share.

#![allow(dead_code)]

use sqlx::{Connection, Executor, PgConnection};

/// A database of its own, dropped at the end.
pub struct Database {
    admin_url: String,
    name: String,
    pub url: String,
}

impl Database {
    pub async fn create() -> Self {
        let admin_url = std::env::var("TEST_DATABASE_ADMIN_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("ferris_lib_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap();
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("TEST_DATABASE_ADMIN_URL names no database"),
        };
        Self {
            admin_url,
            name,
            url,
        }
    }

    pub async fn drop(self) {
        let mut admin = PgConnection::connect(&self.admin_url).await.unwrap();
        let _ = admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await;
    }
}

//! The shared store conformance suite against PostgreSQL, run when
//! `WZ_TEST_DATABASE_URL` is set (`.ci/run` sets it when a server answers
//! on 127.0.0.1:5432). Each test gets its own schema, dropped never: the
//! names are unique and the test database is disposable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::sync::Arc;

use wz_store::Store;
use wz_store_postgres::PgConfig;

async fn fresh_store() -> Option<Arc<dyn Store>> {
    let Ok(url) = std::env::var("WZ_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: WZ_TEST_DATABASE_URL is not set; PostgreSQL conformance not run");
        return None;
    };
    let schema = format!("wz_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
    admin.close().await;
    let config = PgConfig {
        url,
        max_connections: 4,
        schema: Some(schema),
    };
    Some(Arc::new(wz_store_postgres::connect(&config).await.unwrap()))
}

wz_store::store_conformance_suite!(fresh_store());

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

/// Migration 0010 moves the wallet codes already spent into the table keyed
/// by expiry (decision 40): a code spent before the upgrade is still
/// refused after it.
#[tokio::test]
async fn codes_spent_before_the_nonce_table_split_stay_spent() {
    use sqlx::Connection;
    let Ok(url) = std::env::var("WZ_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: WZ_TEST_DATABASE_URL is not set");
        return;
    };
    let schema = format!("wz_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("SET search_path TO {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut before_split = sqlx::migrate!("./migrations");
    let split = before_split.migrations.iter().position(|m| m.version == 10).unwrap();
    before_split.migrations = before_split.migrations[..split].to_vec().into();
    before_split.run(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO used_nonces (kind, nonce, expires_at_ms) VALUES ('qr', $1, 5000), ('request', $1, 5000)")
        .bind([7u8; 16].as_slice())
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let store = wz_store_postgres::connect(&PgConfig {
        url,
        max_connections: 1,
        schema: Some(schema),
    })
    .await
    .unwrap();
    wz_store::conformance::nonces_spent_before_the_split_stay_spent(&store).await;
}

//! The shared store conformance suite against a temporary SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::sync::Arc;

use wz_store::Store;
use wz_store_sqlite::SqliteConfig;

async fn fresh_store() -> Option<Arc<dyn Store>> {
    // The directory must outlive the store; leak it for the test's lifetime.
    let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
    let config = SqliteConfig {
        path: dir.path().join("wz.db"),
        read_connections: 2,
    };
    Some(Arc::new(wz_store_sqlite::open(&config).await.unwrap()))
}

wz_store::store_conformance_suite!(fresh_store());

#[tokio::test]
async fn audit_log_refuses_update_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = wz_store_sqlite::open(&SqliteConfig {
        path: dir.path().join("wz.db"),
        read_connections: 1,
    })
    .await
    .unwrap();
    let at = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    store
        .append_audit(wz_core::AuditDraft::new("test", "test.event", None, at))
        .await
        .unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("wz.db").display()))
        .await
        .unwrap();
    assert!(sqlx::query("UPDATE audit_log SET actor = 'x'").execute(&pool).await.is_err());
    assert!(sqlx::query("DELETE FROM audit_log").execute(&pool).await.is_err());
}

#[test]
fn parses_database_urls() {
    assert_eq!(
        SqliteConfig::from_url("sqlite://data/wz.db").unwrap().path,
        std::path::PathBuf::from("data/wz.db")
    );
    assert_eq!(
        SqliteConfig::from_url("sqlite:/tmp/x.db?mode=rwc").unwrap().path,
        std::path::PathBuf::from("/tmp/x.db")
    );
    assert!(SqliteConfig::from_url("postgres://x").is_none());
}

/// Migration 0010 moves the wallet codes already spent into the table keyed
/// by expiry (decision 40): a code spent before the upgrade is still
/// refused after it.
#[tokio::test]
async fn codes_spent_before_the_nonce_table_split_stay_spent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wz.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    let mut before_split = sqlx::migrate!("./migrations");
    let split = before_split.migrations.iter().position(|m| m.version == 10).unwrap();
    before_split.migrations = before_split.migrations[..split].to_vec().into();
    before_split.run(&pool).await.unwrap();
    sqlx::query("INSERT INTO used_nonces (kind, nonce, expires_at_ms) VALUES ('qr', ?, 5000), ('request', ?, 5000)")
        .bind([7u8; 16].as_slice())
        .bind([7u8; 16].as_slice())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = wz_store_sqlite::open(&SqliteConfig { path, read_connections: 1 }).await.unwrap();
    wz_store::conformance::nonces_spent_before_the_split_stay_spent(&store).await;
}

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

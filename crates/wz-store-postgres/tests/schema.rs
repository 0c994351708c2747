//! One schema on both databases: after their migrations, SQLite and
//! PostgreSQL hold the same tables, the same columns in the same order and
//! the same named indexes (run when `WZ_TEST_DATABASE_URL` is set). The
//! DDL may differ in types and triggers; the shape the shared queries rely
//! on may not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::collections::BTreeMap;

use sqlx::Row;

/// Table → columns in order, and the index names.
type Shape = (BTreeMap<String, Vec<String>>, Vec<String>);

async fn sqlite_shape() -> Shape {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wz.db");
    let store = wz_store_sqlite::open(&wz_store_sqlite::SqliteConfig {
        path: path.clone(),
        read_connections: 1,
    })
    .await
    .unwrap();
    store.close().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut columns = BTreeMap::new();
    for table in tables {
        let names: Vec<String> = sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        columns.insert(table, names);
    }
    let indexes =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    (columns, indexes)
}

async fn postgres_shape(url: &str) -> Shape {
    let schema = format!("wz_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
    let store = wz_store_postgres::connect(&wz_store_postgres::PgConfig {
        url: url.to_owned(),
        max_connections: 1,
        schema: Some(schema.clone()),
    })
    .await
    .unwrap();
    store.close().await;
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name <> '_sqlx_migrations' ORDER BY table_name, ordinal_position",
    )
    .bind(&schema)
    .fetch_all(&admin)
    .await
    .unwrap();
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        columns.entry(row.get(0)).or_default().push(row.get(1));
    }
    // Primary keys and UNIQUE constraints are indexes PostgreSQL names
    // itself (SQLite's are `sqlite_autoindex_*`): compare the named ones.
    let indexes = sqlx::query_scalar(
        "SELECT i.indexname::text FROM pg_indexes i WHERE i.schemaname = $1 AND i.tablename <> '_sqlx_migrations' \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype IN ('p', 'u')) ORDER BY 1",
    )
    .bind(&schema)
    .fetch_all(&admin)
    .await
    .unwrap();
    (columns, indexes)
}

#[tokio::test]
async fn both_databases_have_the_same_tables_columns_and_indexes() {
    let Ok(url) = std::env::var("WZ_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: WZ_TEST_DATABASE_URL is not set; schema comparison not run");
        return;
    };
    let (sqlite_columns, sqlite_indexes) = sqlite_shape().await;
    let (pg_columns, pg_indexes) = postgres_shape(&url).await;
    assert!(!sqlite_columns.is_empty() && !sqlite_indexes.is_empty());
    assert_eq!(
        sqlite_columns.keys().collect::<Vec<_>>(),
        pg_columns.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, columns) in &sqlite_columns {
        assert_eq!(Some(columns), pg_columns.get(table), "columns of {table}");
    }
    assert_eq!(sqlite_indexes, pg_indexes, "the same named indexes");
}

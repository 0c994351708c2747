//! Connecting and migrating, then handing the pool to the shared SQL store.

use wz_store::sql::{self, Dialect, SqlStore};
use wz_store::StoreError;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// `postgres://user@host:port/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// Schema to use instead of the default search path (tests use one
    /// schema each).
    pub schema: Option<String>,
}

/// Connects and runs pending migrations. One pool serves reads and writes:
/// PostgreSQL runs concurrent writers itself.
pub async fn connect(config: &PgConfig) -> Result<SqlStore, StoreError> {
    sqlx::any::install_default_drivers();
    // A schema name the caller chose (tests), quoted as an identifier.
    let search_path = config
        .schema
        .as_ref()
        .map(|schema| format!("SET search_path TO \"{}\"", schema.replace('"', "\"\"")));
    let pool = sql::pool(&config.url, config.max_connections, search_path).await?;
    sql::migrate(&pool, &sqlx::migrate!("./migrations")).await?;
    Ok(SqlStore::new(pool.clone(), pool, Dialect::Postgres))
}

//! Opening the database and running migrations.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use wz_store::StoreError;

/// Where and how to open the database.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// Database file; created if missing.
    pub path: PathBuf,
    /// Connections in the read pool.
    pub read_connections: u32,
}

impl SqliteConfig {
    /// Parses `sqlite://path` or `sqlite:path` into a config.
    pub fn from_url(url: &str) -> Option<Self> {
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let path = path.split('?').next().unwrap_or(path);
        (!path.is_empty()).then(|| Self {
            path: PathBuf::from(path),
            read_connections: 4,
        })
    }
}

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
}

pub(crate) fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(config: &SqliteConfig) -> Result<Self, StoreError> {
        let base = SqliteConnectOptions::from_str("sqlite:")
            .map_err(unavailable)?
            .filename(&config.path)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed transaction survives power loss, not only a
            // process kill; issued credentials and audit entries must not vanish.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone().create_if_missing(true))
            .await
            .map_err(unavailable)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(config.read_connections.max(1))
            .connect_with(base.read_only(true))
            .await
            .map_err(unavailable)?;
        Ok(Self { writer, reader })
    }

    /// Closes both pools, flushing the WAL.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

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
        owner_only(&config.path).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
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

/// The database holds session secrets, sealed records and webhook URLs:
/// it is created readable by its owner only, and an existing one that
/// others can read is tightened. SQLite gives its `-wal` and `-shm` files
/// the database file's permissions.
fn owner_only(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::metadata(path) {
        Ok(metadata) => {
            if metadata.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the database file was readable by others; now 0600");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            // An empty file is an empty SQLite database.
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map(drop)
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn the_database_and_its_journal_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wz.db");
        let config = SqliteConfig {
            path: path.clone(),
            read_connections: 1,
        };
        let store = SqliteStore::open(&config).await.unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("wz.db-wal")), 0o600);
        drop(store);
        // An existing database others could read is tightened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _store = SqliteStore::open(&config).await.unwrap();
        assert_eq!(mode(&path), 0o600);
    }
}

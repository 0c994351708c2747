//! Opening the database, running migrations, and handing two pools over
//! to the shared SQL store.

use std::path::PathBuf;

use wz_store::sql::{self, Dialect, SqlStore};
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

/// Per-connection settings, run on every connection either pool opens:
/// FULL, so a committed transaction survives power loss and not only a
/// process kill (issued credentials and audit entries must not vanish);
/// foreign keys enforced; waits up to 10 s for another process's lock.
const CONNECTION_PRAGMAS: &str = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// The one writer's page cache: 64 MiB instead of SQLite's 2 MiB. Registry
/// keys are keyed digests, so inserts land on random pages; with the small
/// cache a large batch spills and rereads pages through the kernel (a 1 M
/// seed spent twice its user time in system calls).
///
/// Statement journals in memory: a multi-row insert into a table with a
/// `CHECK` constraint (the journal's nonces, the audit log) keeps a copy of
/// every page it changes, and past 64 KiB SQLite spilled that copy into a
/// temporary file, a write system call per page (issue #19). A group
/// commit's statement changes at most a few hundred pages.
const WRITER_PRAGMAS: &str = "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;";

/// Opens (creating if needed) and migrates the database: one writer
/// connection, and a read-only pool beside it.
pub async fn open(config: &SqliteConfig) -> Result<SqlStore, StoreError> {
    owner_only(&config.path).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", url_path(&config.path));
    let writer = sql::pool(&url, 1, Some(format!("{CONNECTION_PRAGMAS} {WRITER_PRAGMAS}"))).await?;
    // WAL is a property of the file: readers proceed beside the writer.
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&writer)
        .await
        .map_err(sql::unavailable)?;
    sql::migrate(&writer, &sqlx::migrate!("./migrations")).await?;
    let reader = sql::pool(
        &format!("{url}?mode=ro"),
        config.read_connections,
        Some(CONNECTION_PRAGMAS.to_owned()),
    )
    .await?;
    Ok(SqlStore::new(reader, writer, Dialect::Sqlite))
}

/// The path as a URL path: the driver percent-decodes it, so `%`, `?`,
/// `#` and spaces in a folder name survive.
fn url_path(path: &std::path::Path) -> String {
    let mut out = String::new();
    for c in path.display().to_string().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            ' ' => out.push_str("%20"),
            c => out.push(c),
        }
    }
    out
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
    async fn every_connection_is_durable_and_checks_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wz.db");
        owner_only(&path).unwrap();
        sqlx::any::install_default_drivers();
        let pool = sql::pool(&format!("sqlite://{}", url_path(&path)), 1, Some(CONNECTION_PRAGMAS.to_owned()))
            .await
            .unwrap();
        let setting = |name: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(&format!("PRAGMA {name}"))
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(setting("synchronous").await, 2, "synchronous = FULL");
        assert_eq!(setting("foreign_keys").await, 1);
        assert_eq!(setting("busy_timeout").await, 10_000);
    }

    #[tokio::test]
    async fn a_folder_name_with_url_characters_opens() {
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("a b?c#d%e");
        std::fs::create_dir(&odd).unwrap();
        let config = SqliteConfig {
            path: odd.join("wz.db"),
            read_connections: 1,
        };
        let store = open(&config).await.unwrap();
        wz_store::Store::ping(&store).await.unwrap();
        assert!(odd.join("wz.db").exists());
    }

    #[tokio::test]
    async fn the_database_and_its_journal_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wz.db");
        let config = SqliteConfig {
            path: path.clone(),
            read_connections: 1,
        };
        let store = open(&config).await.unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("wz.db-wal")), 0o600);
        drop(store);
        // An existing database others could read is tightened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _store = open(&config).await.unwrap();
        assert_eq!(mode(&path), 0o600);
    }
}

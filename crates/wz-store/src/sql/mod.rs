//! The one SQL implementation of every store trait, over SQLite and
//! PostgreSQL alike (decision 25). Queries go through sqlx's `Any` driver
//! with `$n` placeholders, which both databases accept; what differs is
//! held by [`Dialect`] and nowhere else: how a write transaction starts,
//! whether a read locks the rows it will change, and the lock that
//! serialises audit appends. The backend crates only connect, configure
//! and migrate, then hand their pools over with their dialect.

mod audit;
mod credentials;
mod identities;
mod oidc;
mod quotas;
mod relying_parties;
mod sessions;

use sqlx::any::AnyRow;
use sqlx::AnyPool;
use sqlx::{Any, Row, Transaction};

use crate::StoreError;

/// What one database does differently from the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// One file, one writer connection: `BEGIN IMMEDIATE` takes the write
    /// lock up front, so a transaction's reads and writes are never
    /// interleaved with another's and no row locks are needed.
    Sqlite,
    /// Many connections and processes: reads that precede a change lock
    /// their rows (`FOR UPDATE`), and audit appends take a transaction-scoped
    /// advisory lock so every process extends one linear chain.
    Postgres,
}

/// The `NOTIFY` channel of session changes (payload: the session id only).
pub const SESSION_CHANNEL: &str = "wz_session_changed";

/// Advisory lock key that serialises audit appends across all processes.
const AUDIT_CHAIN_LOCK: i64 = 0x0077_7a41_7564_6974; // "wzAudit"

impl Dialect {
    /// The statement that opens a write transaction.
    fn begin_write(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }

    /// Appended to a `SELECT` whose rows the transaction goes on to change.
    fn lock_rows(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }

    /// Announces a change to other processes inside the changing
    /// transaction: PostgreSQL delivers a `NOTIFY` at commit and drops it
    /// on rollback, so a listener hears of exactly the changes that
    /// happened. SQLite has no other processes to tell.
    fn notify(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            // The outer constant keeps `void` out of the result columns.
            Self::Postgres => Some("SELECT 1 FROM (SELECT pg_notify($1, $2)) AS announced"),
        }
    }

    /// Taken before reading the audit head; held until commit or rollback.
    fn audit_lock(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => Some("SELECT pg_advisory_xact_lock($1)"),
        }
    }
}

/// The store over a database: a pool for reads and one for writes (the
/// same pool on PostgreSQL; one connection on SQLite).
#[derive(Debug, Clone)]
pub struct SqlStore {
    reader: AnyPool,
    writer: AnyPool,
    dialect: Dialect,
}

impl SqlStore {
    /// A store over pools a backend opened and migrated.
    pub fn new(reader: AnyPool, writer: AnyPool, dialect: Dialect) -> Self {
        Self { reader, writer, dialect }
    }

    /// The dialect in use.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        self.writer.begin_with(self.dialect.begin_write()).await.map_err(unavailable)
    }
}

/// A pool of `connections` to `url` through the `Any` driver (a backend
/// must have installed its driver), running `setup` on every new
/// connection (per-connection settings such as SQLite's pragmas or a
/// PostgreSQL search path).
pub async fn pool(url: &str, connections: u32, setup: Option<String>) -> Result<AnyPool, StoreError> {
    let setup = std::sync::Arc::new(setup);
    sqlx::any::AnyPoolOptions::new()
        .max_connections(connections.max(1))
        .acquire_timeout(std::time::Duration::from_secs(10))
        .after_connect(move |conn, _| {
            let setup = std::sync::Arc::clone(&setup);
            Box::pin(async move {
                if let Some(statement) = setup.as_deref() {
                    sqlx::Executor::execute(conn, statement).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(unavailable)
}

/// Runs a backend's migrations (its own DDL, the one schema the schema
/// test compares) on `pool`.
pub async fn migrate(pool: &AnyPool, migrator: &sqlx::migrate::Migrator) -> Result<(), StoreError> {
    migrator.run(pool).await.map_err(|e| StoreError::Unavailable(Box::new(e)))
}

/// A driver error as the store reports it.
pub fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// An insert's error: a taken key is [`StoreError::AlreadyExists`] on
/// both databases, anything else the driver's.
fn insert_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists,
        other => unavailable(other),
    }
}

/// Appends the action's audit entry and commits: the last step of every
/// write that records an action.
async fn commit_audited(
    mut tx: Transaction<'static, Any>,
    dialect: Dialect,
    audit: &wz_core::AuditDraft,
) -> Result<wz_core::AuditEntry, StoreError> {
    let entry = audit::append(&mut tx, dialect, audit).await?;
    tx.commit().await.map_err(unavailable)?;
    Ok(entry)
}

/// A boolean column: PostgreSQL's `BOOLEAN`, SQLite's `INTEGER` 0/1 (the
/// `Any` driver hands each over as it is stored).
fn flag(row: &AnyRow, index: usize) -> Result<bool, StoreError> {
    match row.try_get::<bool, _>(index) {
        Ok(value) => Ok(value),
        Err(_) => row.try_get::<i64, _>(index).map(|v| v != 0).map_err(unavailable),
    }
}

impl Dialect {
    /// Placeholder number `n` (from 1) in a generated statement. SQLite's
    /// plain `?` binds by position without the name lookup `$n` costs it
    /// per value, which a batch of 1,200 values notices; PostgreSQL needs
    /// `$n`.
    fn placeholder(self, n: usize) -> String {
        match self {
            Self::Sqlite => "?".to_owned(),
            Self::Postgres => format!("${n}"),
        }
    }

    /// `$1, $2, $3`: placeholders for a list of `count` values.
    fn list(self, count: usize) -> String {
        (1..=count).map(|n| self.placeholder(n)).collect::<Vec<_>>().join(", ")
    }

    /// `($1, $2, $3), ($4, $5, $6)`: placeholders for `rows` rows of
    /// `columns` values each (the `Any` driver's query builder writes `?`
    /// for every database, which PostgreSQL does not accept).
    fn value_rows(self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|row| {
                let values: Vec<String> = (1..=columns).map(|column| self.placeholder(row * columns + column)).collect();
                format!("({})", values.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    #[test]
    fn generated_placeholders_number_every_value_once() {
        assert_eq!(Dialect::Postgres.value_rows(1, 1), "($1)");
        assert_eq!(Dialect::Postgres.value_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(Dialect::Sqlite.value_rows(2, 2), "(?, ?), (?, ?)");
        assert_eq!(Dialect::Postgres.list(3), "$1, $2, $3");
    }
}

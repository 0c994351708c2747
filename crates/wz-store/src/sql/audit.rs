//! The audit chain: appends inside the caller's write transaction.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use wz_core::{AuditDraft, AuditEntry};

use super::{unavailable, Dialect, AUDIT_CHAIN_LOCK};
use crate::columns::{hash_column, seq_column};
use crate::StoreError;

/// Appends `draft` after the current head inside the caller's transaction.
/// Nothing can move the head between the read and the insert: on SQLite the
/// transaction holds the write lock from `BEGIN IMMEDIATE`; on PostgreSQL
/// the advisory lock, held until commit or rollback, keeps every other
/// appender waiting.
pub(crate) async fn append(conn: &mut AnyConnection, dialect: Dialect, draft: &AuditDraft) -> Result<AuditEntry, StoreError> {
    let mut entries = append_many(conn, dialect, std::slice::from_ref(draft)).await?;
    entries.pop().ok_or(StoreError::Corrupt("audit append returned nothing"))
}

/// Appends `drafts` in order after the current head with one read of the
/// head and one multi-row insert, inside the caller's transaction.
pub(crate) async fn append_many(conn: &mut AnyConnection, dialect: Dialect, drafts: &[AuditDraft]) -> Result<Vec<AuditEntry>, StoreError> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(lock) = dialect.audit_lock() {
        sqlx::query(lock)
            .bind(AUDIT_CHAIN_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
    let mut prev = match head {
        Some(row) => {
            let seq: i64 = row.get(0);
            let hash: Vec<u8> = row.get(1);
            Some((seq_column(seq)?, hash_column(hash)?))
        }
        None => None,
    };
    let mut entries = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let entry = AuditEntry::chain(prev, draft);
        prev = Some((entry.seq, entry.hash));
        entries.push(entry);
    }
    let sql = format!(
        "INSERT INTO audit_log (seq, at_ms, actor, action, subject, details, prev_hash, hash) VALUES {}",
        dialect.value_rows(entries.len(), 8)
    );
    let mut insert = sqlx::query(&sql);
    for entry in &entries {
        insert = insert
            .bind(entry.seq as i64)
            .bind(entry.at_ms)
            .bind(entry.actor.clone())
            .bind(entry.action.clone())
            .bind(entry.subject.clone())
            .bind(entry.details.clone())
            .bind(entry.prev_hash.to_vec())
            .bind(entry.hash.to_vec());
    }
    insert.execute(&mut *conn).await.map_err(unavailable)?;
    Ok(entries)
}

pub(crate) fn entry_from_row(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let hash = |column: &str| -> Result<[u8; 32], StoreError> {
        let bytes: Vec<u8> = row.try_get(column).map_err(unavailable)?;
        hash_column(bytes)
    };
    let seq: i64 = row.try_get("seq").map_err(unavailable)?;
    Ok(AuditEntry {
        seq: seq_column(seq)?,
        at_ms: row.try_get("at_ms").map_err(unavailable)?,
        actor: row.try_get("actor").map_err(unavailable)?,
        action: row.try_get("action").map_err(unavailable)?,
        subject: row.try_get("subject").map_err(unavailable)?,
        details: row.try_get("details").map_err(unavailable)?,
        prev_hash: hash("prev_hash")?,
        hash: hash("hash")?,
    })
}

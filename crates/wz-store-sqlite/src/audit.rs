//! The audit chain on SQLite.

use sqlx::{Row, SqliteConnection};
use wz_core::{AuditDraft, AuditEntry};
use wz_store::columns::{hash_column, seq_column};
use wz_store::StoreError;

use crate::open::unavailable;

/// Appends `draft` after the current head inside the caller's transaction.
/// Write transactions start with `BEGIN IMMEDIATE` on the single-connection
/// write pool, so no other connection or process can move the head between
/// the read and the insert.
pub(crate) async fn append(conn: &mut SqliteConnection, draft: &AuditDraft) -> Result<AuditEntry, StoreError> {
    let mut entries = append_many(conn, std::slice::from_ref(draft)).await?;
    entries.pop().ok_or(StoreError::Corrupt("audit append returned nothing"))
}

/// Appends `drafts` in order after the current head with one read of the
/// head and one multi-row insert, inside the caller's transaction.
pub(crate) async fn append_many(conn: &mut SqliteConnection, drafts: &[AuditDraft]) -> Result<Vec<AuditEntry>, StoreError> {
    if drafts.is_empty() {
        return Ok(Vec::new());
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
    let mut insert =
        sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO audit_log (seq, at_ms, actor, action, subject, details, prev_hash, hash) ");
    insert.push_values(&entries, |mut row, entry| {
        row.push_bind(entry.seq as i64)
            .push_bind(entry.at_ms)
            .push_bind(entry.actor.clone())
            .push_bind(entry.action.clone())
            .push_bind(entry.subject.clone())
            .push_bind(entry.details.clone())
            .push_bind(entry.prev_hash.to_vec())
            .push_bind(entry.hash.to_vec());
    });
    insert.build().execute(&mut *conn).await.map_err(unavailable)?;
    Ok(entries)
}

pub(crate) fn entry_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<AuditEntry, StoreError> {
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

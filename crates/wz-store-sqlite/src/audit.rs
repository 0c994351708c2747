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
    let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
    let prev = match head {
        Some(row) => {
            let seq: i64 = row.get(0);
            let hash: Vec<u8> = row.get(1);
            Some((seq_column(seq)?, hash_column(hash)?))
        }
        None => None,
    };
    let entry = AuditEntry::chain(prev, draft);
    sqlx::query("INSERT INTO audit_log (seq, at_ms, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(entry.seq as i64)
        .bind(entry.at_ms)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.subject)
        .bind(&entry.details)
        .bind(entry.prev_hash.as_slice())
        .bind(entry.hash.as_slice())
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
    Ok(entry)
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

//! The audit chain on PostgreSQL.

use sqlx::{PgConnection, Row};
use wz_core::{AuditDraft, AuditEntry};
use wz_store::columns::{hash_column, seq_column};
use wz_store::StoreError;

use crate::connect::unavailable;

/// Advisory lock key that serialises audit appends across all processes.
const AUDIT_CHAIN_LOCK: i64 = 0x0077_7a41_7564_6974; // "wzAudit"

/// Appends `draft` after the current head inside the caller's transaction.
/// The advisory lock, held until commit or rollback, keeps every other
/// appender waiting, so the head cannot move between the read and the insert.
pub(crate) async fn append(conn: &mut PgConnection, draft: &AuditDraft) -> Result<AuditEntry, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(AUDIT_CHAIN_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
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
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor, action, subject, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
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

pub(crate) fn entry_from_row(row: &sqlx::postgres::PgRow) -> Result<AuditEntry, StoreError> {
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

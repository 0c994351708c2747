//! The `Store` implementation: the registry and the audit chain.

use crate::columns::{millis, status_column};
use crate::{IdentityRow, NewIdentity, ResealedIdentity, StatusHistoryRow, Store, StoreError};
use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;
use wz_core::{AuditDraft, AuditEntry, CardSerial, LookupKey, StatusChange};

use super::audit::{append, entry_from_row};
use super::credentials::revoke_active;
use super::{commit_audited, insert_error, unavailable, SqlStore};

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.writer).await.map_err(unavailable)?;
        Ok(())
    }

    async fn insert_identities(&self, rows: &[NewIdentity], audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let at = millis(audit.at);
        // Multi-row statements: one round trip and one statement per
        // chunk instead of per row (what makes a 10 M seed take minutes,
        // not hours); 7 values a row (the last the seal version, 2) keeps a chunk far below either
        // database's limit on bound values.
        for chunk in rows.chunks(IDENTITY_INSERT_CHUNK) {
            let sql = format!(
                "INSERT INTO identities (lookup, card_serial, status, sealed, updated_at_ms, sealed_portrait, seal_version) VALUES {}",
                self.dialect.value_rows(chunk.len(), 7)
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(row.lookup.as_bytes().as_slice())
                    .bind(row.card_serial.as_str())
                    .bind(row.status.as_str())
                    .bind(&row.sealed)
                    .bind(at)
                    .bind(&row.sealed_portrait)
                    .bind(2i64);
            }
            query.execute(&mut *tx).await.map_err(insert_error)?;
        }
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn find_identity(&self, lookup: &LookupKey) -> Result<Option<IdentityRow>, StoreError> {
        let row = sqlx::query("SELECT card_serial, status, sealed, updated_at_ms FROM identities WHERE lookup = $1")
            .bind(lookup.as_bytes().as_slice())
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let serial: String = row.get(0);
        Ok(Some(IdentityRow {
            lookup: *lookup,
            card_serial: CardSerial::parse(&serial).ok_or(StoreError::Corrupt("card serial"))?,
            status: status_column(row.get(1))?,
            sealed: row.get(2),
            updated_at_ms: row.get(3),
        }))
    }

    async fn find_portrait(&self, lookup: &LookupKey) -> Result<Option<Vec<u8>>, StoreError> {
        let portrait: Option<Option<Vec<u8>>> = sqlx::query_scalar("SELECT sealed_portrait FROM identities WHERE lookup = $1")
            .bind(lookup.as_bytes().as_slice())
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        Ok(portrait.flatten())
    }

    async fn whole_sealed_identities(&self, limit: u32) -> Result<Vec<(LookupKey, Vec<u8>)>, StoreError> {
        let rows = sqlx::query("SELECT lookup, sealed FROM identities WHERE seal_version = 1 ORDER BY lookup LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                let lookup: Vec<u8> = row.get(0);
                Ok((LookupKey::from_slice(&lookup).ok_or(StoreError::Corrupt("lookup key"))?, row.get(1)))
            })
            .collect()
    }

    async fn reseal_identities(&self, rows: &[ResealedIdentity], audit: AuditDraft) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for row in rows {
            let result = sqlx::query(
                "UPDATE identities SET sealed = $1, sealed_portrait = $2, seal_version = 2 \
                 WHERE lookup = $3 AND seal_version = 1 AND sealed = $4",
            )
            .bind(&row.sealed)
            .bind(&row.sealed_portrait)
            .bind(row.lookup.as_bytes().as_slice())
            .bind(&row.whole)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
            changed += result.rows_affected();
        }
        append(&mut tx, self.dialect, &audit).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(changed)
    }

    async fn update_identity_status(
        &self,
        lookup: &LookupKey,
        change: &StatusChange,
        at: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT status FROM identities WHERE lookup = $1{}", self.dialect.lock_rows());
        let current = sqlx::query(&sql)
            .bind(lookup.as_bytes().as_slice())
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
        let Some(current) = current else { return Err(StoreError::NotFound) };
        if status_column(current.get(0))? != change.from {
            return Err(StoreError::Conflict);
        }
        sqlx::query("UPDATE identities SET status = $1, updated_at_ms = $2 WHERE lookup = $3")
            .bind(change.to.as_str())
            .bind(millis(at))
            .bind(lookup.as_bytes().as_slice())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        sqlx::query("INSERT INTO identity_status_history (lookup, from_status, to_status, reason, at_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(lookup.as_bytes().as_slice())
            .bind(change.from.as_str())
            .bind(change.to.as_str())
            .bind(&change.reason)
            .bind(millis(at))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if let Some(code) = change.to.refusal() {
            revoke_active(&mut tx, lookup, code.as_str(), millis(at)).await?;
        }
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn list_status_history(&self, lookup: &LookupKey) -> Result<Vec<StatusHistoryRow>, StoreError> {
        let rows = sqlx::query("SELECT from_status, to_status, reason, at_ms FROM identity_status_history WHERE lookup = $1 ORDER BY id")
            .bind(lookup.as_bytes().as_slice())
            .fetch_all(&self.reader)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok(StatusHistoryRow {
                    from: status_column(row.get(0))?,
                    to: status_column(row.get(1))?,
                    reason: row.get(2),
                    at_ms: row.get(3),
                })
            })
            .collect()
    }

    async fn count_identities(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM identities")
            .fetch_one(&self.reader)
            .await
            .map_err(unavailable)?;
        Ok(count.max(0) as u64)
    }

    async fn record_key_check_values(&self, values: &[(String, String)], at_ms: i64) -> Result<Vec<(String, String)>, StoreError> {
        let mut tx = self.begin_write().await?;
        for (name, check_value) in values {
            sqlx::query(
                "INSERT INTO deployment_keys (name, check_value, recorded_at_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(check_value)
            .bind(at_ms)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        let rows = sqlx::query("SELECT name, check_value FROM deployment_keys ORDER BY name")
            .fetch_all(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        rows.iter()
            .map(|row| Ok((row.try_get(0).map_err(unavailable)?, row.try_get(1).map_err(unavailable)?)))
            .collect()
    }

    async fn lease_quota(&self, scope: &str, window_start: i64, want: u32, limit: u32) -> Result<u32, StoreError> {
        super::quotas::lease(&self.writer, scope, window_start, want, limit).await
    }

    async fn purge_quota_windows(&self, before_ms: i64) -> Result<u64, StoreError> {
        super::quotas::purge(&self.writer, before_ms).await
    }

    async fn append_audit(&self, audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        commit_audited(self.begin_write().await?, self.dialect, &audit).await
    }

    async fn list_audit(&self, after_seq: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(unavailable)?;
        rows.iter().map(entry_from_row).collect()
    }
}

/// Registry rows per insert statement.
const IDENTITY_INSERT_CHUNK: usize = 1_000;

//! The `SessionStore` implementation: sessions and the webhook outbox.

use crate::columns::{name_list, name_list_column, secret_column, SESSION_COLUMNS, WEBHOOK_COLUMNS};
use crate::{SessionChange, SessionRow, SessionStore, StoreError, WebhookRow};
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;
use wz_core::{AuditDraft, AuditEntry};

use super::{commit_audited, insert_error, unavailable, SqlStore};

fn session_from(row: &AnyRow) -> Result<SessionRow, StoreError> {
    session_at(row, 0)
}

/// A session from the [`SESSION_COLUMNS`] that start at column `at` (a
/// join's second half).
pub(super) fn session_at(row: &AnyRow, at: usize) -> Result<SessionRow, StoreError> {
    let get = |e: sqlx::Error| unavailable(e);
    Ok(SessionRow {
        id: row.try_get(at).map_err(get)?,
        rp_id: row.try_get(at + 1).map_err(get)?,
        mode: row.try_get(at + 2).map_err(get)?,
        purpose: row.try_get(at + 3).map_err(get)?,
        attributes: name_list_column(row.try_get::<&str, _>(at + 4).map_err(get)?),
        transaction_id: row.try_get(at + 5).map_err(get)?,
        label: row.try_get(at + 6).map_err(get)?,
        state: row.try_get(at + 7).map_err(get)?,
        secret: secret_column(row.try_get(at + 8).map_err(get)?)?,
        device_key: row.try_get(at + 9).map_err(get)?,
        result: row.try_get(at + 10).map_err(get)?,
        created_at_ms: row.try_get(at + 11).map_err(get)?,
        expires_at_ms: row.try_get(at + 12).map_err(get)?,
        updated_at_ms: row.try_get(at + 13).map_err(get)?,
    })
}

fn webhook_from(row: &AnyRow) -> Result<WebhookRow, StoreError> {
    let get = |e: sqlx::Error| unavailable(e);
    Ok(WebhookRow {
        id: row.try_get(0).map_err(get)?,
        rp_id: row.try_get(1).map_err(get)?,
        url: row.try_get(2).map_err(get)?,
        body: row.try_get(3).map_err(get)?,
        attempts: u32::try_from(row.try_get::<i64, _>(4).map_err(get)?).map_err(|_| StoreError::Corrupt("webhook attempts"))?,
        next_attempt_at_ms: row.try_get(5).map_err(get)?,
        delivered_at_ms: row.try_get(6).map_err(get)?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_sessions(&self, rows: &[SessionRow], audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        for row in rows {
            let result = sqlx::query(&format!(
                "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            ))
            .bind(&row.id)
            .bind(&row.rp_id)
            .bind(&row.mode)
            .bind(&row.purpose)
            .bind(name_list(&row.attributes))
            .bind(&row.transaction_id)
            .bind(&row.label)
            .bind(&row.state)
            .bind(row.secret.as_slice())
            .bind(&row.device_key)
            .bind(&row.result)
            .bind(row.created_at_ms)
            .bind(row.expires_at_ms)
            .bind(row.updated_at_ms)
            .execute(&mut *tx)
            .await;
            result.map_err(insert_error)?;
        }
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn find_session(&self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(session_from).transpose()
    }

    async fn list_transaction_sessions(&self, transaction_id: &str) -> Result<Vec<SessionRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE transaction_id = $1 ORDER BY id"
        ))
        .bind(transaction_id)
        .fetch_all(&self.reader)
        .await
        .map_err(unavailable)?;
        rows.iter().map(session_from).collect()
    }

    async fn change_session(
        &self,
        id: &str,
        change: &SessionChange,
        webhook: Option<&WebhookRow>,
        audit: AuditDraft,
    ) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE sessions SET state = $1, device_key = COALESCE($2, device_key), result = COALESCE($3, result), updated_at_ms = $4 \
             WHERE id = $5 AND state = $6 AND expires_at_ms >= $7",
        )
        .bind(&change.to)
        .bind(&change.device_key)
        .bind(&change.result)
        .bind(change.at_ms)
        .bind(id)
        .bind(&change.from)
        .bind(change.at_ms)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict);
        }
        if let Some(hook) = webhook {
            sqlx::query(&format!(
                "INSERT INTO webhook_outbox ({WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(&hook.id)
            .bind(&hook.rp_id)
            .bind(&hook.url)
            .bind(&hook.body)
            .bind(i64::from(hook.attempts))
            .bind(hook.next_attempt_at_ms)
            .bind(hook.delivered_at_ms)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        if let Some(notify) = self.dialect.notify() {
            sqlx::query(notify)
                .bind(super::SESSION_CHANNEL)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn due_webhooks(&self, now_ms: i64, limit: u32) -> Result<Vec<WebhookRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhook_outbox WHERE delivered_at_ms IS NULL AND next_attempt_at_ms <= $1 \
             ORDER BY next_attempt_at_ms LIMIT $2"
        ))
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(unavailable)?;
        rows.iter().map(webhook_from).collect()
    }

    async fn claim_webhook(&self, id: &str, seen_next_attempt_at_ms: i64, until_ms: i64) -> Result<bool, StoreError> {
        let claimed = sqlx::query(
            "UPDATE webhook_outbox SET next_attempt_at_ms = $1 WHERE id = $2 AND next_attempt_at_ms = $3 AND delivered_at_ms IS NULL",
        )
        .bind(until_ms)
        .bind(id)
        .bind(seen_next_attempt_at_ms)
        .execute(&self.writer)
        .await
        .map_err(unavailable)?
        .rows_affected();
        Ok(claimed == 1)
    }

    async fn record_webhook_attempt(
        &self,
        id: &str,
        attempts: u32,
        next_attempt_at_ms: i64,
        delivered_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE webhook_outbox SET attempts = $1, next_attempt_at_ms = $2, delivered_at_ms = $3 WHERE id = $4")
            .bind(i64::from(attempts))
            .bind(next_attempt_at_ms)
            .bind(delivered_at_ms)
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

//! The `RelyingPartyStore` implementation.

use crate::columns::{name_list, RelyingPartyColumns, RELYING_PARTY_COLUMNS};
use crate::{RelyingPartyRow, RelyingPartyStore, StoreError};
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;
use wz_core::{AuditDraft, AuditEntry};

use super::audit::entry_from_row;
use super::{commit_audited, flag, insert_error, unavailable, SqlStore};

fn relying_party_from(row: &AnyRow) -> Result<RelyingPartyRow, StoreError> {
    let get = |e: sqlx::Error| unavailable(e);
    RelyingPartyColumns {
        id: row.try_get(0).map_err(get)?,
        name: row.try_get(1).map_err(get)?,
        category: row.try_get(2).map_err(get)?,
        modes: row.try_get(3).map_err(get)?,
        grants: row.try_get(4).map_err(get)?,
        webhook_url: row.try_get(5).map_err(get)?,
        secret_digest: row.try_get(6).map_err(get)?,
        public_key: row.try_get(7).map_err(get)?,
        alg: row.try_get(8).map_err(get)?,
        active: flag(row, 9)?,
        created_at_ms: row.try_get(10).map_err(get)?,
        updated_at_ms: row.try_get(11).map_err(get)?,
        oidc: row.try_get(12).map_err(get)?,
    }
    .into_row()
}

#[async_trait]
impl RelyingPartyStore for SqlStore {
    async fn insert_relying_party(&self, row: &RelyingPartyRow, audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query(&format!(
            "INSERT INTO relying_parties ({RELYING_PARTY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.category)
        .bind(name_list(&row.modes))
        .bind(name_list(&row.grants))
        .bind(&row.webhook_url)
        .bind(row.secret_digest.as_slice())
        .bind(&row.public_key)
        .bind(&row.alg)
        .bind(row.active)
        .bind(row.created_at_ms)
        .bind(row.updated_at_ms)
        .bind(row.oidc.as_ref().map(wz_core::OidcClient::to_json))
        .execute(&mut *tx)
        .await;
        result.map_err(insert_error)?;
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn update_relying_party(
        &self,
        row: &RelyingPartyRow,
        expected_updated_at_ms: i64,
        audit: AuditDraft,
    ) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT updated_at_ms FROM relying_parties WHERE id = $1{}",
            self.dialect.lock_rows()
        );
        let current: Option<i64> = sqlx::query_scalar(&sql)
            .bind(&row.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
        match current {
            None => return Err(StoreError::NotFound),
            Some(at) if at != expected_updated_at_ms => return Err(StoreError::Conflict),
            Some(_) => {}
        }
        sqlx::query(
            "UPDATE relying_parties SET name = $1, category = $2, modes = $3, grants = $4, webhook_url = $5, secret_digest = $6, \
             public_key = $7, alg = $8, active = $9, updated_at_ms = $10, oidc = $11 WHERE id = $12",
        )
        .bind(&row.name)
        .bind(&row.category)
        .bind(name_list(&row.modes))
        .bind(name_list(&row.grants))
        .bind(&row.webhook_url)
        .bind(row.secret_digest.as_slice())
        .bind(&row.public_key)
        .bind(&row.alg)
        .bind(row.active)
        .bind(row.updated_at_ms)
        .bind(row.oidc.as_ref().map(wz_core::OidcClient::to_json))
        .bind(&row.id)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn find_relying_party(&self, id: &str) -> Result<Option<RelyingPartyRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {RELYING_PARTY_COLUMNS} FROM relying_parties WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(relying_party_from).transpose()
    }

    async fn list_relying_parties(&self) -> Result<Vec<RelyingPartyRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {RELYING_PARTY_COLUMNS} FROM relying_parties ORDER BY id"))
            .fetch_all(&self.reader)
            .await
            .map_err(unavailable)?;
        rows.iter().map(relying_party_from).collect()
    }

    async fn list_audit_by_subject(&self, subject: &str, action: &str, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE subject = $1 AND action = $2 ORDER BY seq DESC LIMIT $3")
            .bind(subject)
            .bind(action)
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(unavailable)?;
        rows.iter().map(entry_from_row).collect()
    }
}

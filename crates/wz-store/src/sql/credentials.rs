//! The `CredentialStore` implementation. Writes that check before they
//! change lock the rows they read first ([`Dialect::lock_rows`]; SQLite's
//! one writer needs none): concurrent issuances for one identity, or
//! password attempts from several devices, queue behind each other instead
//! of racing.

use crate::columns::{millis, password_state, status_column, CredentialColumns, EnrolmentColumns, CREDENTIAL_COLUMNS, ENROLMENT_COLUMNS};
use crate::{
    CredentialRow, CredentialStatus, CredentialStore, EnrolmentRow, EnrolmentState, NewCredential, NonceUse, StoreError, TerminalRow,
    UseAudit, UseOutcome,
};
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use wz_core::{AuditDraft, AuditEntry, CredentialSerial, LockoutPolicy, LookupKey, PasswordAttempt, PasswordState};

use super::audit::{append, append_many};
use super::{commit_audited, flag, insert_error, unavailable, Dialect, SqlStore};

fn credential_from(row: &AnyRow) -> Result<CredentialRow, StoreError> {
    let get = |e: sqlx::Error| unavailable(e);
    CredentialColumns {
        serial: row.try_get(0).map_err(get)?,
        number: row.try_get(1).map_err(get)?,
        lookup: row.try_get(2).map_err(get)?,
        level: row.try_get(3).map_err(get)?,
        device_key: row.try_get(4).map_err(get)?,
        issued_at_ms: row.try_get(5).map_err(get)?,
        expires_at_ms: row.try_get(6).map_err(get)?,
        password_epoch: row.try_get(7).map_err(get)?,
        status: row.try_get(8).map_err(get)?,
        revoked_reason: row.try_get(9).map_err(get)?,
        revoked_at_ms: row.try_get(10).map_err(get)?,
        signed: row.try_get(11).map_err(get)?,
    }
    .into_row()
}

fn enrolment_from(row: &AnyRow) -> Result<EnrolmentRow, StoreError> {
    let get = |e: sqlx::Error| unavailable(e);
    EnrolmentColumns {
        id: row.try_get(0).map_err(get)?,
        terminal_id: row.try_get(1).map_err(get)?,
        secret_digest: row.try_get(2).map_err(get)?,
        device_key: row.try_get(3).map_err(get)?,
        state: row.try_get(4).map_err(get)?,
        credential_serial: row.try_get(5).map_err(get)?,
        created_at_ms: row.try_get(6).map_err(get)?,
        expires_at_ms: row.try_get(7).map_err(get)?,
    }
    .into_row()
}

/// Revokes the identity's active credentials inside the caller's transaction.
pub(crate) async fn revoke_active(conn: &mut AnyConnection, lookup: &LookupKey, reason: &str, at_ms: i64) -> Result<u64, StoreError> {
    let result = sqlx::query(
        "UPDATE credentials SET status = 'revoked', revoked_reason = $1, revoked_at_ms = $2 WHERE lookup = $3 AND status = 'active'",
    )
    .bind(reason)
    .bind(at_ms)
    .bind(lookup.as_bytes().as_slice())
    .execute(&mut *conn)
    .await
    .map_err(unavailable)?;
    Ok(result.rows_affected())
}

async fn write_password(conn: &mut AnyConnection, lookup: &LookupKey, state: &PasswordState) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO card_passwords (lookup, salt, digest, epoch, failures, locked_until_ms) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (lookup) DO UPDATE SET salt = excluded.salt, digest = excluded.digest, epoch = excluded.epoch, \
         failures = excluded.failures, locked_until_ms = excluded.locked_until_ms",
    )
    .bind(lookup.as_bytes().as_slice())
    .bind(state.salt.as_slice())
    .bind(state.digest.as_slice())
    .bind(i64::from(state.epoch))
    .bind(i64::from(state.failures))
    .bind(state.locked_until_ms)
    .execute(&mut *conn)
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// The password row; `lock` is [`Dialect::lock_rows`] when the caller goes
/// on to change it, empty for a plain read.
async fn read_password(conn: &mut AnyConnection, lookup: &LookupKey, lock: &str) -> Result<Option<PasswordState>, StoreError> {
    let sql = format!("SELECT salt, digest, epoch, failures, locked_until_ms FROM card_passwords WHERE lookup = $1{lock}");
    let row = sqlx::query(&sql)
        .bind(lookup.as_bytes().as_slice())
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
    row.map(|r| password_state(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .transpose()
}

/// Checks and applies the optional parts of an issuance (password, enrolment).
async fn apply_issuance_parts(conn: &mut AnyConnection, dialect: Dialect, new: &NewCredential) -> Result<(), StoreError> {
    let lookup = &new.row.lookup;
    if let Some(update) = &new.password {
        let current = read_password(conn, lookup, dialect.lock_rows()).await?.map(|p| p.epoch);
        if current != update.expected_epoch {
            return Err(StoreError::Conflict);
        }
        write_password(conn, lookup, &update.state).await?;
    }
    if let Some(id) = &new.enrolment {
        let sql = format!("SELECT state, device_key FROM enrolments WHERE id = $1{}", dialect.lock_rows());
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(unavailable)?
            .ok_or(StoreError::NotFound)?;
        let (state, device_key): (String, Option<Vec<u8>>) = (row.get(0), row.get(1));
        if state != EnrolmentState::Bound.as_str() || device_key.as_deref() != Some(new.row.device_key.as_slice()) {
            return Err(StoreError::Conflict);
        }
        sqlx::query("UPDATE enrolments SET state = 'completed', credential_serial = $1 WHERE id = $2")
            .bind(new.row.serial.as_bytes().as_slice())
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

#[async_trait]
impl CredentialStore for SqlStore {
    async fn insert_credential(&self, new: &NewCredential, audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        if new.row.status != CredentialStatus::Active {
            return Err(StoreError::Conflict);
        }
        let mut tx = self.begin_write().await?;
        let lookup = &new.row.lookup;
        let sql = format!("SELECT status FROM identities WHERE lookup = $1{}", self.dialect.lock_rows());
        let status = sqlx::query(&sql)
            .bind(lookup.as_bytes().as_slice())
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?
            .ok_or(StoreError::NotFound)?;
        if status_column(status.get(0))? != wz_core::IdentityStatus::Valid {
            return Err(StoreError::Conflict);
        }
        apply_issuance_parts(&mut tx, self.dialect, new).await?;
        revoke_active(&mut tx, lookup, &new.replaces_reason, new.row.issued_at_ms).await?;
        let row = &new.row;
        sqlx::query(&format!(
            "INSERT INTO credentials ({CREDENTIAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', NULL, NULL, $9)"
        ))
        .bind(row.serial.as_bytes().as_slice())
        .bind(row.number.as_bytes().as_slice())
        .bind(lookup.as_bytes().as_slice())
        .bind(row.level.as_str())
        .bind(&row.device_key)
        .bind(row.issued_at_ms)
        .bind(row.expires_at_ms)
        .bind(i64::from(row.password_epoch))
        .bind(&row.signed)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn find_credential(&self, serial: &CredentialSerial) -> Result<Option<CredentialRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE serial = $1"))
            .bind(serial.as_bytes().as_slice())
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(credential_from).transpose()
    }

    async fn list_credentials(&self, lookup: &LookupKey) -> Result<Vec<CredentialRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE lookup = $1 ORDER BY issued_at_ms DESC, serial"
        ))
        .bind(lookup.as_bytes().as_slice())
        .fetch_all(&self.reader)
        .await
        .map_err(unavailable)?;
        rows.iter().map(credential_from).collect()
    }

    async fn revoke_credentials(&self, lookup: &LookupKey, reason: &str, at: OffsetDateTime, audit: AuditDraft) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let revoked = revoke_active(&mut tx, lookup, reason, millis(at)).await?;
        append(&mut tx, self.dialect, &audit).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(revoked)
    }

    async fn find_password(&self, lookup: &LookupKey) -> Result<Option<PasswordState>, StoreError> {
        let mut conn = self.reader.acquire().await.map_err(unavailable)?;
        read_password(&mut conn, lookup, "").await
    }

    async fn attempt_password(
        &self,
        lookup: &LookupKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
        check: &(dyn for<'s> Fn(&'s PasswordState) -> bool + Send + Sync),
        audit: &(dyn Fn(PasswordAttempt) -> AuditDraft + Send + Sync),
    ) -> Result<PasswordAttempt, StoreError> {
        let mut tx = self.begin_write().await?;
        let state = read_password(&mut tx, lookup, self.dialect.lock_rows())
            .await?
            .ok_or(StoreError::NotFound)?;
        let (next, outcome) = state.attempt(at, policy, check);
        if next != state {
            write_password(&mut tx, lookup, &next).await?;
        }
        append(&mut tx, self.dialect, &audit(outcome)).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(outcome)
    }

    async fn record_uses(&self, uses: &[NonceUse], audit: &UseAudit) -> Result<Vec<UseOutcome>, StoreError> {
        let mut tx = self.begin_write().await?;
        let outcomes = batch_outcomes(&mut tx, self.dialect, uses).await?;
        let drafts: Vec<AuditDraft> = outcomes.iter().enumerate().map(|(index, outcome)| audit(index, outcome)).collect();
        append_many(&mut tx, self.dialect, &drafts).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(outcomes)
    }

    async fn consume_nonce(&self, nonce: &NonceUse) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let fresh = insert_nonce(&mut tx, nonce).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(fresh)
    }

    async fn consume_nonces(&self, nonces: &[NonceUse]) -> Result<Vec<bool>, StoreError> {
        let unbound: Vec<NonceUse> = nonces
            .iter()
            .map(|n| NonceUse {
                credential: None,
                ..n.clone()
            })
            .collect();
        let mut tx = self.begin_write().await?;
        let outcomes = batch_outcomes(&mut tx, self.dialect, &unbound).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(outcomes.into_iter().map(|outcome| outcome == UseOutcome::Fresh).collect())
    }

    async fn purge_nonces(&self, now_ms: i64) -> Result<u64, StoreError> {
        let mut purged = 0;
        for table in [NONCE_TABLE, NONCE_BY_EXPIRY_TABLE] {
            let result = sqlx::query(&format!("DELETE FROM {table} WHERE expires_at_ms < $1"))
                .bind(now_ms)
                .execute(&self.writer)
                .await
                .map_err(unavailable)?;
            purged += result.rows_affected();
        }
        Ok(purged)
    }

    async fn insert_terminal(&self, row: &TerminalRow, audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query("INSERT INTO terminals (id, name, public_key, active, created_at_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(&row.id)
            .bind(&row.name)
            .bind(&row.public_key)
            .bind(row.active)
            .bind(row.created_at_ms)
            .execute(&mut *tx)
            .await;
        result.map_err(insert_error)?;
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn find_terminal(&self, id: &str) -> Result<Option<TerminalRow>, StoreError> {
        let row = sqlx::query("SELECT id, name, public_key, active, created_at_ms FROM terminals WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        row.map(|r| {
            Ok(TerminalRow {
                id: r.get(0),
                name: r.get(1),
                public_key: r.get(2),
                active: flag(&r, 3)?,
                created_at_ms: r.get(4),
            })
        })
        .transpose()
    }

    async fn insert_enrolment(&self, row: &EnrolmentRow, audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO enrolments ({ENROLMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&row.id)
        .bind(&row.terminal_id)
        .bind(row.secret_digest.as_slice())
        .bind(&row.device_key)
        .bind(row.state.as_str())
        .bind(row.credential_serial.map(|s| s.as_bytes().to_vec()))
        .bind(row.created_at_ms)
        .bind(row.expires_at_ms)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn find_enrolment(&self, id: &str) -> Result<Option<EnrolmentRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ENROLMENT_COLUMNS} FROM enrolments WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(enrolment_from).transpose()
    }

    async fn bind_enrolment(&self, id: &str, device_key: &[u8], audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query("UPDATE enrolments SET state = 'bound', device_key = $1 WHERE id = $2 AND state = 'waiting'")
            .bind(device_key)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if result.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        commit_audited(tx, self.dialect, &audit).await
    }

    async fn cancel_enrolment(&self, id: &str, audit: AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let result = sqlx::query("UPDATE enrolments SET state = 'cancelled' WHERE id = $1 AND state IN ('waiting', 'bound')")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if result.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        commit_audited(tx, self.dialect, &audit).await
    }
}

/// The outcome of each use, with one query for the credentials' statuses
/// and one multi-row insert for the nonces.
async fn batch_outcomes(conn: &mut AnyConnection, dialect: Dialect, uses: &[NonceUse]) -> Result<Vec<UseOutcome>, StoreError> {
    let serials: Vec<Vec<u8>> = uses.iter().filter_map(|u| u.credential.map(|s| s.as_bytes().to_vec())).collect();
    let mut statuses = std::collections::HashMap::new();
    if !serials.is_empty() {
        let sql = format!(
            "SELECT serial, status, revoked_reason FROM credentials WHERE serial IN ({})",
            dialect.list(serials.len())
        );
        let mut query = sqlx::query(&sql);
        for serial in &serials {
            query = query.bind(serial.clone());
        }
        for row in query.fetch_all(&mut *conn).await.map_err(unavailable)? {
            let (serial, status, reason): (Vec<u8>, String, Option<String>) = (row.get(0), row.get(1), row.get(2));
            statuses.insert(serial, (status, reason));
        }
    }
    let mut outcomes: Vec<Option<UseOutcome>> = uses
        .iter()
        .map(|u| {
            let serial = u.credential?.as_bytes().to_vec();
            match statuses.get(&serial) {
                None => Some(UseOutcome::UnknownCredential),
                Some((status, _)) if status == "active" => None,
                Some((_, reason)) => Some(UseOutcome::Revoked(reason.clone().unwrap_or_else(|| "credential_revoked".into()))),
            }
        })
        .collect();
    // A nonce twice in one batch: the first use counts, the rest replay.
    let mut first = std::collections::HashSet::new();
    for (use_, outcome) in uses.iter().zip(outcomes.iter_mut()) {
        if outcome.is_none() && !first.insert((use_.kind, use_.nonce)) {
            *outcome = Some(UseOutcome::Replayed);
        }
    }
    let candidates: Vec<&NonceUse> = uses.iter().zip(&outcomes).filter(|(_, o)| o.is_none()).map(|(u, _)| u).collect();
    let mut inserted = std::collections::HashSet::new();
    for table in [NONCE_TABLE, NONCE_BY_EXPIRY_TABLE] {
        let rows: Vec<&NonceUse> = candidates.iter().copied().filter(|u| nonce_table(u) == table).collect();
        if rows.is_empty() {
            continue;
        }
        let sql = format!(
            "INSERT INTO {table} (kind, nonce, expires_at_ms) VALUES {} ON CONFLICT DO NOTHING RETURNING kind, nonce",
            dialect.value_rows(rows.len(), 3)
        );
        let mut insert = sqlx::query(&sql);
        for use_ in &rows {
            insert = insert.bind(use_.kind).bind(use_.nonce.to_vec()).bind(use_.expires_at_ms);
        }
        for row in insert.fetch_all(&mut *conn).await.map_err(unavailable)? {
            let (kind, nonce): (String, Vec<u8>) = (row.get(0), row.get(1));
            inserted.insert((kind, nonce));
        }
    }
    Ok(uses
        .iter()
        .zip(outcomes)
        .map(|(use_, outcome)| {
            outcome.unwrap_or_else(|| {
                if inserted.contains(&(use_.kind.to_owned(), use_.nonce.to_vec())) {
                    UseOutcome::Fresh
                } else {
                    UseOutcome::Replayed
                }
            })
        })
        .collect())
}

/// Nonces keyed by kind and nonce: a replay is found whatever expiry it
/// claims.
const NONCE_TABLE: &str = "used_nonces";
/// Nonces whose expiry is signed with them, keyed by expiry first
/// ([`crate::EXPIRY_SIGNED_KINDS`], decision 40).
const NONCE_BY_EXPIRY_TABLE: &str = "used_nonces_by_expiry";

fn nonce_table(nonce: &NonceUse) -> &'static str {
    if nonce.expiry_signed() {
        NONCE_BY_EXPIRY_TABLE
    } else {
        NONCE_TABLE
    }
}

async fn insert_nonce(conn: &mut AnyConnection, nonce: &NonceUse) -> Result<bool, StoreError> {
    let sql = if nonce.expiry_signed() {
        "INSERT INTO used_nonces_by_expiry (kind, nonce, expires_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    } else {
        "INSERT INTO used_nonces (kind, nonce, expires_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    };
    let result = sqlx::query(sql)
        .bind(nonce.kind)
        .bind(nonce.nonce.as_slice())
        .bind(nonce.expires_at_ms)
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
    Ok(result.rows_affected() == 1)
}

//! The `OidcStore` implementation.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;
use wz_core::{AuditDraft, AuditEntry};

use super::audit::append_many;
use super::sessions::session_at;
use super::{commit_audited, flag, insert_error, unavailable, SqlStore};
use crate::columns::SESSION_COLUMNS;
use crate::{
    OidcAuthorizationRow, OidcAuthorizationState, OidcLookup, OidcRedemption, OidcStep, OidcStore, OidcTokenRow, SessionRow, StoreError,
};

const AUTHORIZATION_COLUMNS: &str =
    "id, rp_id, request, request_uri, session_id, browser, code_digest, state, expires_at_ms, created_at_ms, updated_at_ms";

/// The authorization a code digest names, joined with its session: built
/// once, it runs on every redemption.
static CODE_WITH_SESSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let prefixed = |table: &str, columns: &str| {
        columns
            .split(',')
            .map(|c| format!("{table}.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "SELECT {}, {} FROM oidc_authorizations a LEFT JOIN sessions s ON s.id = a.session_id WHERE a.code_digest = $1",
        prefixed("a", AUTHORIZATION_COLUMNS),
        prefixed("s", SESSION_COLUMNS)
    )
});

fn digest_column(bytes: Option<Vec<u8>>, what: &'static str) -> Result<Option<[u8; 32]>, StoreError> {
    bytes.map(|b| b.try_into().map_err(|_| StoreError::Corrupt(what))).transpose()
}

fn authorization_from(row: &AnyRow) -> Result<OidcAuthorizationRow, StoreError> {
    let get = |e: sqlx::Error| unavailable(e);
    Ok(OidcAuthorizationRow {
        id: row.try_get(0).map_err(get)?,
        rp_id: row.try_get(1).map_err(get)?,
        request: row.try_get(2).map_err(get)?,
        request_uri: row.try_get(3).map_err(get)?,
        session_id: row.try_get(4).map_err(get)?,
        browser: digest_column(row.try_get(5).map_err(get)?, "authorization browser binding")?,
        code_digest: digest_column(row.try_get(6).map_err(get)?, "authorization code digest")?,
        state: OidcAuthorizationState::parse(row.try_get(7).map_err(get)?).ok_or(StoreError::Corrupt("authorization state"))?,
        expires_at_ms: row.try_get(8).map_err(get)?,
        created_at_ms: row.try_get(9).map_err(get)?,
        updated_at_ms: row.try_get(10).map_err(get)?,
    })
}

#[async_trait]
impl OidcStore for SqlStore {
    async fn insert_oidc_authorization(&self, row: &OidcAuthorizationRow) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO oidc_authorizations ({AUTHORIZATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&row.id)
        .bind(&row.rp_id)
        .bind(&row.request)
        .bind(&row.request_uri)
        .bind(&row.session_id)
        .bind(row.browser.map(|b| b.to_vec()))
        .bind(row.code_digest.map(|b| b.to_vec()))
        .bind(row.state.as_str())
        .bind(row.expires_at_ms)
        .bind(row.created_at_ms)
        .bind(row.updated_at_ms)
        .execute(&mut *tx)
        .await
        .map_err(insert_error)?;
        tx.commit().await.map_err(unavailable)
    }

    async fn find_oidc_authorization(&self, id: &str) -> Result<Option<OidcAuthorizationRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {AUTHORIZATION_COLUMNS} FROM oidc_authorizations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(authorization_from).transpose()
    }

    async fn find_oidc_authorization_by(&self, lookup: OidcLookup<'_>) -> Result<Option<OidcAuthorizationRow>, StoreError> {
        let by = |column: &str| format!("SELECT {AUTHORIZATION_COLUMNS} FROM oidc_authorizations WHERE {column} = $1");
        let row = match lookup {
            OidcLookup::RequestUri(uri) => sqlx::query(&by("request_uri")).bind(uri).fetch_optional(&self.reader).await,
            OidcLookup::Code(digest) => {
                sqlx::query(&by("code_digest"))
                    .bind(digest.to_vec())
                    .fetch_optional(&self.reader)
                    .await
            }
        }
        .map_err(unavailable)?;
        row.as_ref().map(authorization_from).transpose()
    }

    async fn find_oidc_code(&self, digest: &[u8; 32]) -> Result<Option<(OidcAuthorizationRow, Option<SessionRow>)>, StoreError> {
        let row = sqlx::query(&CODE_WITH_SESSION)
            .bind(digest.to_vec())
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let authorization = authorization_from(&row)?;
        let at = AUTHORIZATION_COLUMNS.split(',').count();
        let session = match row.try_get::<Option<String>, _>(at).map_err(unavailable)? {
            Some(_) => Some(session_at(&row, at)?),
            None => None,
        };
        Ok(Some((authorization, session)))
    }

    async fn step_oidc_authorization(
        &self,
        id: &str,
        step: &OidcStep,
        token: Option<&OidcTokenRow>,
        audit: Option<AuditDraft>,
    ) -> Result<Option<AuditEntry>, StoreError> {
        let mut tx = self.begin_write().await?;
        let starting = step.to == OidcAuthorizationState::Started;
        let changed = sqlx::query(
            "UPDATE oidc_authorizations SET state = $1, session_id = COALESCE($2, session_id), browser = COALESCE($3, browser), \
             code_digest = COALESCE($4, code_digest), expires_at_ms = $5, updated_at_ms = $6, \
             request_uri = CASE WHEN $7 THEN NULL ELSE request_uri END WHERE id = $8 AND state = $9",
        )
        .bind(step.to.as_str())
        .bind(&step.session_id)
        .bind(step.browser.map(|b| b.to_vec()))
        .bind(step.code_digest.map(|b| b.to_vec()))
        .bind(step.expires_at_ms)
        .bind(step.at_ms)
        .bind(starting)
        .bind(id)
        .bind(step.from.as_str())
        .execute(&mut *tx)
        .await
        .map_err(insert_error)?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict);
        }
        if step.to == OidcAuthorizationState::Ended {
            sqlx::query("UPDATE oidc_tokens SET revoked = $1 WHERE authorization_id = $2")
                .bind(true)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        if let Some(token) = token {
            sqlx::query(
                "INSERT INTO oidc_tokens (digest, authorization_id, rp_id, jkt, expires_at_ms, revoked) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(token.digest.to_vec())
            .bind(&token.authorization_id)
            .bind(&token.rp_id)
            .bind(&token.jkt)
            .bind(token.expires_at_ms)
            .bind(token.revoked)
            .execute(&mut *tx)
            .await
            .map_err(insert_error)?;
        }
        match audit {
            Some(audit) => commit_audited(tx, self.dialect, &audit).await.map(Some),
            None => tx.commit().await.map(|()| None).map_err(unavailable),
        }
    }

    async fn redeem_oidc_codes(&self, redemptions: &[OidcRedemption]) -> Result<Vec<bool>, StoreError> {
        if redemptions.is_empty() {
            return Ok(Vec::new());
        }
        // A code redeemed twice in one batch: only its first redemption counts.
        let mut seen = std::collections::HashSet::new();
        let first: Vec<bool> = redemptions.iter().map(|r| seen.insert(r.authorization_id.as_str())).collect();
        let candidates: Vec<&OidcRedemption> = redemptions.iter().zip(&first).filter(|(_, f)| **f).map(|(r, _)| r).collect();
        // One UPDATE for the batch; placeholders numbered in text order
        // (SQLite's `?` binds by position).
        let mut n = 0;
        let mut next = || {
            n += 1;
            self.dialect.placeholder(n)
        };
        let state = next();
        let expires: String = candidates.iter().map(|_| format!(" WHEN {} THEN {}", next(), next())).collect();
        let updated: String = candidates.iter().map(|_| format!(" WHEN {} THEN {}", next(), next())).collect();
        let from = next();
        let ids: Vec<String> = candidates.iter().map(|_| next()).collect();
        let sql = format!(
            "UPDATE oidc_authorizations SET state = {state}, expires_at_ms = CASE id{expires} END, updated_at_ms = CASE id{updated} END \
             WHERE state = {from} AND id IN ({}) RETURNING id",
            ids.join(", ")
        );
        let mut update = sqlx::query(&sql).bind(OidcAuthorizationState::Redeemed.as_str());
        for r in &candidates {
            update = update.bind(&r.authorization_id).bind(r.token.expires_at_ms);
        }
        for r in &candidates {
            update = update.bind(&r.authorization_id).bind(r.at_ms);
        }
        update = update.bind(OidcAuthorizationState::CodeIssued.as_str());
        for r in &candidates {
            update = update.bind(&r.authorization_id);
        }
        let mut tx = self.begin_write().await?;
        let moved: std::collections::HashSet<String> = update
            .fetch_all(&mut *tx)
            .await
            .map_err(unavailable)?
            .iter()
            .map(|row| row.try_get::<String, _>(0).map_err(unavailable))
            .collect::<Result<_, _>>()?;
        let winners: Vec<&OidcRedemption> = candidates.into_iter().filter(|r| moved.contains(&r.authorization_id)).collect();
        if !winners.is_empty() {
            let sql = format!(
                "INSERT INTO oidc_tokens (digest, authorization_id, rp_id, jkt, expires_at_ms, revoked) VALUES {}",
                self.dialect.value_rows(winners.len(), 6)
            );
            let mut insert = sqlx::query(&sql);
            for r in &winners {
                insert = insert
                    .bind(r.token.digest.to_vec())
                    .bind(&r.token.authorization_id)
                    .bind(&r.token.rp_id)
                    .bind(&r.token.jkt)
                    .bind(r.token.expires_at_ms)
                    .bind(r.token.revoked);
            }
            insert.execute(&mut *tx).await.map_err(insert_error)?;
            let drafts: Vec<AuditDraft> = winners.iter().map(|r| r.audit.clone()).collect();
            append_many(&mut tx, self.dialect, &drafts).await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(redemptions
            .iter()
            .zip(first)
            .map(|(r, first)| first && moved.contains(&r.authorization_id))
            .collect())
    }

    async fn find_oidc_token(&self, digest: &[u8; 32]) -> Result<Option<OidcTokenRow>, StoreError> {
        let row = sqlx::query("SELECT digest, authorization_id, rp_id, jkt, expires_at_ms, revoked FROM oidc_tokens WHERE digest = $1")
            .bind(digest.to_vec())
            .fetch_optional(&self.reader)
            .await
            .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let get = |e: sqlx::Error| unavailable(e);
        Ok(Some(OidcTokenRow {
            digest: digest_column(row.try_get(0).map_err(get)?, "token digest")?.ok_or(StoreError::Corrupt("token digest"))?,
            authorization_id: row.try_get(1).map_err(get)?,
            rp_id: row.try_get(2).map_err(get)?,
            jkt: row.try_get(3).map_err(get)?,
            expires_at_ms: row.try_get(4).map_err(get)?,
            revoked: flag(&row, 5)?,
        }))
    }
}

//! The hall's own store: applications, certificates, officers and a
//! hash-chained audit trail, over SQLite (default, one file) or
//! PostgreSQL, one SQL code path through sqlx's `Any` driver with `$n`
//! placeholders — the approach of the platform's `wz-store`, in a separate
//! database the platform never sees. Every change is written with its
//! audit entries in one transaction, so the trail can neither miss nor
//! invent a step.

mod audit;
mod rows;

pub use audit::{AuditDraft, AuditEntry, ChainBreak};
pub use rows::{ApplicationRow, ApplicationState, ApplicationUpdate, CertificateRow, OfficerRow};

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

/// Why a store operation failed. No personal data in any message.
#[derive(Debug, thiserror::Error)]
pub enum HallStoreError {
    /// The database could not be reached or failed.
    #[error("the service hall database is unavailable: {0}")]
    Unavailable(String),
    /// The URL names no supported database.
    #[error("the service hall database URL must start with sqlite: or postgres:")]
    UnsupportedUrl,
    /// The row changed since it was read (another officer, another instance).
    #[error("the application changed meanwhile; reload it and try again")]
    Conflict,
    /// No such row.
    #[error("not found")]
    NotFound,
    /// A stored value does not parse (corruption or a newer schema).
    #[error("a stored value is unreadable: {0}")]
    Corrupt(&'static str),
}

fn unavailable(error: sqlx::Error) -> HallStoreError {
    HallStoreError::Unavailable(error.to_string())
}

/// SQLite or PostgreSQL: what differs between them, and only that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// One writer connection; `BEGIN IMMEDIATE` serialises writes.
    Sqlite,
    /// Several instances: audit appends serialise on an advisory lock and
    /// reads that precede a change lock their row.
    Postgres,
}

/// Key of the advisory lock that serialises the hall's audit appends.
const AUDIT_LOCK: i64 = 0x0077_7a48_616c_6c41; // "wzHallA"

impl Engine {
    fn begin(self) -> &'static str {
        match self {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        }
    }

    fn for_update(self) -> &'static str {
        match self {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE",
        }
    }
}

/// The hall's store.
#[derive(Debug, Clone)]
pub struct HallStore {
    pool: AnyPool,
    engine: Engine,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl HallStore {
    /// Opens (creating and migrating) the database at `url`:
    /// `sqlite://PATH` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Self, HallStoreError> {
        sqlx::any::install_default_drivers();
        let (engine, connect_url, setup, connections) =
            if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
                let path = path.split('?').next().unwrap_or(path);
                if path.is_empty() {
                    return Err(HallStoreError::UnsupportedUrl);
                }
                let setup = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";
                (Engine::Sqlite, format!("sqlite://{path}?mode=rwc"), Some(setup), 1)
            } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                (Engine::Postgres, url.to_owned(), None, 8)
            } else {
                return Err(HallStoreError::UnsupportedUrl);
            };
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if let Some(statement) = setup {
                        sqlx::Executor::execute(conn, statement).await?;
                    }
                    Ok(())
                })
            })
            .connect(&connect_url)
            .await
            .map_err(unavailable)?;
        MIGRATOR.run(&pool).await.map_err(|e| HallStoreError::Unavailable(e.to_string()))?;
        Ok(Self { pool, engine })
    }

    /// Which database this is.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin(&self) -> Result<Transaction<'static, Any>, HallStoreError> {
        self.pool.begin_with(self.engine.begin()).await.map_err(unavailable)
    }

    /// Stores a new application with its audit entries; its decision
    /// fields are ignored (a new application is undecided, version 1).
    pub async fn insert_application(&self, new: &ApplicationRow, audit: &[AuditDraft]) -> Result<(), HallStoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO hall_applications (id, service, applicant_id_number, applicant_name, particulars, evidence, state, reason, \
             registry_reference, submitted_at, decided_at, decided_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, NULL, NULL, 1)",
        )
        .bind(&new.id)
        .bind(&new.service)
        .bind(&new.applicant_id_number)
        .bind(&new.applicant_name)
        .bind(&new.particulars)
        .bind(&new.evidence)
        .bind(new.state.as_str())
        .bind(new.submitted_at)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(unavailable)
    }

    /// One application.
    pub async fn application(&self, id: &str) -> Result<Option<ApplicationRow>, HallStoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM hall_applications WHERE id = $1",
            rows::APPLICATION_COLUMNS
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.as_ref().map(ApplicationRow::from_row).transpose()
    }

    /// An applicant's applications, newest first.
    pub async fn applications_of(&self, id_number: &str) -> Result<Vec<ApplicationRow>, HallStoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM hall_applications WHERE applicant_id_number = $1 ORDER BY submitted_at DESC, id",
            rows::APPLICATION_COLUMNS
        ))
        .bind(id_number)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(ApplicationRow::from_row).collect()
    }

    /// Applications in `state`, oldest first (the officers' queue).
    pub async fn applications_in(&self, state: ApplicationState, limit: i64) -> Result<Vec<ApplicationRow>, HallStoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM hall_applications WHERE state = $1 ORDER BY submitted_at, id LIMIT $2",
            rows::APPLICATION_COLUMNS
        ))
        .bind(state.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(ApplicationRow::from_row).collect()
    }

    /// Changes an application read at `expected_version` (compare and set,
    /// so two officers or two instances cannot both decide it), with its
    /// audit entries and, for an approval, the certificate issued.
    pub async fn update_application(
        &self,
        id: &str,
        expected_version: i64,
        update: &ApplicationUpdate,
        certificate: Option<&CertificateRow>,
        audit: &[AuditDraft],
    ) -> Result<(), HallStoreError> {
        let mut tx = self.begin().await?;
        let current: Option<i64> = sqlx::query(&format!(
            "SELECT version FROM hall_applications WHERE id = $1{}",
            self.engine.for_update()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?
        .map(|row| row.try_get::<i64, _>(0))
        .transpose()
        .map_err(unavailable)?;
        match current {
            None => return Err(HallStoreError::NotFound),
            Some(version) if version != expected_version => return Err(HallStoreError::Conflict),
            Some(_) => {}
        }
        sqlx::query(
            "UPDATE hall_applications SET particulars = $1, evidence = $2, state = $3, reason = $4, registry_reference = $5, \
             decided_at = $6, decided_by = $7, version = version + 1 WHERE id = $8",
        )
        .bind(&update.particulars)
        .bind(&update.evidence)
        .bind(update.state.as_str())
        .bind(&update.reason)
        .bind(&update.registry_reference)
        .bind(update.decided_at)
        .bind(&update.decided_by)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if let Some(certificate) = certificate {
            sqlx::query(
                "INSERT INTO hall_certificates (id, application_id, department, encoded, issued_at, revoked_at, revoke_reason) \
                 VALUES ($1, $2, $3, $4, $5, NULL, NULL)",
            )
            .bind(&certificate.id)
            .bind(&certificate.application_id)
            .bind(&certificate.department)
            .bind(&certificate.encoded)
            .bind(certificate.issued_at)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        self.append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(unavailable)
    }

    /// One certificate.
    pub async fn certificate(&self, id: &str) -> Result<Option<CertificateRow>, HallStoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM hall_certificates WHERE id = $1",
            rows::CERTIFICATE_COLUMNS
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.as_ref().map(CertificateRow::from_row).transpose()
    }

    /// The certificates an application produced.
    pub async fn certificates_of(&self, application_id: &str) -> Result<Vec<CertificateRow>, HallStoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM hall_certificates WHERE application_id = $1 ORDER BY issued_at, id",
            rows::CERTIFICATE_COLUMNS
        ))
        .bind(application_id)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(CertificateRow::from_row).collect()
    }

    /// Revokes a certificate (once; a second revocation is `Conflict`).
    pub async fn revoke_certificate(&self, id: &str, reason: &str, at: i64, audit: &[AuditDraft]) -> Result<(), HallStoreError> {
        let mut tx = self.begin().await?;
        let changed = sqlx::query("UPDATE hall_certificates SET revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND revoked_at IS NULL")
            .bind(at)
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?
            .rows_affected();
        if changed == 0 {
            let exists = sqlx::query("SELECT 1 FROM hall_certificates WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?
                .is_some();
            return Err(if exists {
                HallStoreError::Conflict
            } else {
                HallStoreError::NotFound
            });
        }
        self.append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(unavailable)
    }

    /// Adds an officer (or reactivates one), with its audit entry.
    pub async fn add_officer(&self, officer: &OfficerRow, audit: &[AuditDraft]) -> Result<(), HallStoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM hall_officers WHERE id_number = $1")
            .bind(&officer.id_number)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        sqlx::query("INSERT INTO hall_officers (id_number, name, added_at, active) VALUES ($1, $2, $3, $4)")
            .bind(&officer.id_number)
            .bind(&officer.name)
            .bind(officer.added_at)
            .bind(i64::from(officer.active))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        self.append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(unavailable)
    }

    /// The officer with `id_number`, if registered and active.
    pub async fn active_officer(&self, id_number: &str) -> Result<Option<OfficerRow>, HallStoreError> {
        let row = sqlx::query("SELECT id_number, name, added_at, active FROM hall_officers WHERE id_number = $1 AND active = 1")
            .bind(id_number)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(OfficerRow::from_row).transpose()
    }

    /// The audit trail from `after_seq` on, at most `limit` entries.
    pub async fn audit_entries(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditEntry>, HallStoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, application_id, detail, prev_hash, hash FROM hall_audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(AuditEntry::from_row).collect()
    }

    /// The audit entries of one application, in order.
    pub async fn audit_of(&self, application_id: &str) -> Result<Vec<AuditEntry>, HallStoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, application_id, detail, prev_hash, hash FROM hall_audit WHERE application_id = $1 ORDER BY seq",
        )
        .bind(application_id)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(AuditEntry::from_row).collect()
    }

    /// Walks the whole trail and checks every link: the number of
    /// entries, or the first break.
    pub async fn verify_audit(&self) -> Result<Result<u64, ChainBreak>, HallStoreError> {
        let mut previous = audit::GENESIS.to_owned();
        let mut after = 0;
        let mut count = 0;
        loop {
            let page = self.audit_entries(after, 1000).await?;
            if page.is_empty() {
                return Ok(Ok(count));
            }
            for entry in &page {
                if let Err(broken) = entry.check(&previous, after) {
                    return Ok(Err(broken));
                }
                previous = entry.hash.clone();
                after = entry.seq;
                count += 1;
            }
        }
    }

    async fn append_audit(&self, tx: &mut Transaction<'static, Any>, drafts: &[AuditDraft]) -> Result<(), HallStoreError> {
        if drafts.is_empty() {
            return Ok(());
        }
        if self.engine == Engine::Postgres {
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS locked")
                .bind(AUDIT_LOCK)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
        }
        let head: Option<AnyRow> = sqlx::query("SELECT seq, hash FROM hall_audit ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await
            .map_err(unavailable)?;
        let (mut seq, mut previous) = match head {
            Some(row) => (
                row.try_get::<i64, _>(0).map_err(unavailable)?,
                row.try_get::<String, _>(1).map_err(unavailable)?,
            ),
            None => (0, audit::GENESIS.to_owned()),
        };
        for draft in drafts {
            seq += 1;
            let entry = draft.chained(seq, &previous);
            sqlx::query(
                "INSERT INTO hall_audit (seq, at, actor, action, application_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(entry.seq)
            .bind(entry.at)
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(&entry.application_id)
            .bind(&entry.detail)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
            previous = entry.hash;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! The rows the hall's store speaks in.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{unavailable, HallStoreError};

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationState {
    /// Other parties still have to authenticate.
    AwaitingParties,
    /// An officer decides.
    InReview,
    /// Approved (by rules or an officer).
    Approved,
    /// Rejected by an officer, with a reason.
    Rejected,
}

impl ApplicationState {
    /// Every state.
    pub const ALL: [ApplicationState; 4] = [
        ApplicationState::AwaitingParties,
        ApplicationState::InReview,
        ApplicationState::Approved,
        ApplicationState::Rejected,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationState::AwaitingParties => "awaiting_parties",
            ApplicationState::InReview => "in_review",
            ApplicationState::Approved => "approved",
            ApplicationState::Rejected => "rejected",
        }
    }

    /// The state stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the application is decided.
    pub fn is_final(self) -> bool {
        matches!(self, ApplicationState::Approved | ApplicationState::Rejected)
    }

    /// As the citizen reads it.
    pub fn label_zh(self) -> &'static str {
        match self {
            ApplicationState::AwaitingParties => "等待其他当事人认证",
            ApplicationState::InReview => "审核中",
            ApplicationState::Approved => "已办结",
            ApplicationState::Rejected => "未通过",
        }
    }
}

/// A stored application.
#[derive(Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    /// Its id.
    pub id: String,
    /// Service code.
    pub service: String,
    /// The applicant's ID number.
    pub applicant_id_number: String,
    /// The applicant's name.
    pub applicant_name: String,
    /// Particulars (JSON).
    pub particulars: String,
    /// Evidence (JSON).
    pub evidence: String,
    /// Where it stands.
    pub state: ApplicationState,
    /// The officer's reason (rejections, approvals after review).
    pub reason: Option<String>,
    /// The registry's reference for the change made.
    pub registry_reference: Option<String>,
    /// Unix ms.
    pub submitted_at: i64,
    /// Unix ms.
    pub decided_at: Option<i64>,
    /// `rules` or the officer's number.
    pub decided_by: Option<String>,
    /// Compare-and-set version.
    pub version: i64,
}

impl std::fmt::Debug for ApplicationRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationRow")
            .field("id", &self.id)
            .field("service", &self.service)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

pub(super) const APPLICATION_COLUMNS: &str = "id, service, applicant_id_number, applicant_name, particulars, evidence, state, reason, \
     registry_reference, submitted_at, decided_at, decided_by, version";

impl ApplicationRow {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, HallStoreError> {
        let state: String = row.try_get(6).map_err(unavailable)?;
        Ok(Self {
            id: row.try_get(0).map_err(unavailable)?,
            service: row.try_get(1).map_err(unavailable)?,
            applicant_id_number: row.try_get(2).map_err(unavailable)?,
            applicant_name: row.try_get(3).map_err(unavailable)?,
            particulars: row.try_get(4).map_err(unavailable)?,
            evidence: row.try_get(5).map_err(unavailable)?,
            state: ApplicationState::parse(&state).ok_or(HallStoreError::Corrupt("application state"))?,
            reason: row.try_get(7).map_err(unavailable)?,
            registry_reference: row.try_get(8).map_err(unavailable)?,
            submitted_at: row.try_get(9).map_err(unavailable)?,
            decided_at: row.try_get(10).map_err(unavailable)?,
            decided_by: row.try_get(11).map_err(unavailable)?,
            version: row.try_get(12).map_err(unavailable)?,
        })
    }
}

/// What an update sets.
#[derive(Debug, Clone)]
pub struct ApplicationUpdate {
    /// Particulars (JSON).
    pub particulars: String,
    /// Evidence (JSON).
    pub evidence: String,
    /// New state.
    pub state: ApplicationState,
    /// Reason.
    pub reason: Option<String>,
    /// Registry reference.
    pub registry_reference: Option<String>,
    /// Unix ms.
    pub decided_at: Option<i64>,
    /// Who decided.
    pub decided_by: Option<String>,
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    /// Certificate number.
    pub id: String,
    /// The application it came from.
    pub application_id: String,
    /// Issuing department code.
    pub department: String,
    /// Its QR text.
    pub encoded: String,
    /// Unix ms.
    pub issued_at: i64,
    /// Unix ms, when revoked.
    pub revoked_at: Option<i64>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

pub(super) const CERTIFICATE_COLUMNS: &str = "id, application_id, department, encoded, issued_at, revoked_at, revoke_reason";

impl CertificateRow {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, HallStoreError> {
        Ok(Self {
            id: row.try_get(0).map_err(unavailable)?,
            application_id: row.try_get(1).map_err(unavailable)?,
            department: row.try_get(2).map_err(unavailable)?,
            encoded: row.try_get(3).map_err(unavailable)?,
            issued_at: row.try_get(4).map_err(unavailable)?,
            revoked_at: row.try_get(5).map_err(unavailable)?,
            revoke_reason: row.try_get(6).map_err(unavailable)?,
        })
    }
}

/// A back-office officer.
#[derive(Clone, PartialEq, Eq)]
pub struct OfficerRow {
    /// The officer's ID number (how sign-in recognises them).
    pub id_number: String,
    /// Name shown in the back office.
    pub name: String,
    /// Unix ms.
    pub added_at: i64,
    /// Whether they may sign in.
    pub active: bool,
}

impl std::fmt::Debug for OfficerRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficerRow").field("active", &self.active).finish_non_exhaustive()
    }
}

impl OfficerRow {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, HallStoreError> {
        Ok(Self {
            id_number: row.try_get(0).map_err(unavailable)?,
            name: row.try_get(1).map_err(unavailable)?,
            added_at: row.try_get(2).map_err(unavailable)?,
            active: row.try_get::<i64, _>(3).map_err(unavailable)? != 0,
        })
    }
}

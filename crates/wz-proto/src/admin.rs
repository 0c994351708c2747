//! Operator endpoints (bearer token).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Change the registry status of a person's current card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeStatusRequest {
    /// ID number of the card holder.
    pub id_number: String,
    /// `valid`, `reported_lost`, `expired` or `cancelled`.
    pub status: String,
    /// Reason code, `[a-z_]{1,40}`, e.g. `reported_by_holder`.
    pub reason: String,
}

/// The change as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeStatusResponse {
    /// New status.
    pub status: String,
    /// Sequence number of the audit entry that records the change.
    pub audit_seq: u64,
}

/// Result of verifying the whole audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditVerifyResponse {
    /// Whether every link verified.
    pub intact: bool,
    /// Entries verified before the end or the first break.
    pub entries_checked: u64,
    /// Hash of the last verified entry, hex.
    pub head_hash: Option<String>,
    /// Sequence number of the first broken entry.
    pub first_broken_seq: Option<u64>,
    /// Why it is broken.
    pub reason: Option<String>,
}

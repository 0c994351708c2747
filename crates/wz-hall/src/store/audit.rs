//! The hall's audit trail: every submission, registry question, decision,
//! certificate and revocation, each entry bound to the one before by
//! SM3, so a changed, removed or inserted entry breaks the chain.
//! Entries name applications and kinds of questions, never a person.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{unavailable, HallStoreError};

/// The hash before the first entry.
pub(super) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    /// Unix ms.
    pub at: i64,
    /// `citizen`, `rules`, `officer:<n>`, `connector:<department>`, `operator`.
    pub actor: String,
    /// What happened, e.g. `application.submitted`, `registry.asked`.
    pub action: String,
    /// The application it served.
    pub application_id: Option<String>,
    /// Detail without personal data.
    pub detail: String,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Position (1, 2, …).
    pub seq: i64,
    /// Unix ms.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which application.
    pub application_id: Option<String>,
    /// Detail.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit trail breaks at entry {seq}: {why}")]
pub struct ChainBreak {
    /// The first entry that does not fit.
    pub seq: i64,
    /// What is wrong.
    pub why: &'static str,
}

/// Length-prefixed fields, so no two different entries hash alike.
fn digest(seq: i64, prev_hash: &str, draft: &AuditDraft) -> String {
    let seq = seq.to_be_bytes();
    let at = draft.at.to_be_bytes();
    let application = draft.application_id.as_deref().unwrap_or("");
    let fields: [&[u8]; 7] = [
        &seq,
        &at,
        draft.actor.as_bytes(),
        draft.action.as_bytes(),
        application.as_bytes(),
        draft.detail.as_bytes(),
        prev_hash.as_bytes(),
    ];
    let lengths: Vec<[u8; 8]> = fields.iter().map(|f| (f.len() as u64).to_be_bytes()).collect();
    let mut parts: Vec<&[u8]> = vec![b"wz-hall-audit-v1"];
    for (field, length) in fields.iter().zip(&lengths) {
        parts.push(length);
        parts.push(field);
    }
    hex::encode(wz_crypto::sm3_parts(&parts))
}

impl AuditDraft {
    pub(super) fn chained(&self, seq: i64, prev_hash: &str) -> AuditEntry {
        AuditEntry {
            seq,
            at: self.at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            application_id: self.application_id.clone(),
            detail: self.detail.clone(),
            prev_hash: prev_hash.to_owned(),
            hash: digest(seq, prev_hash, self),
        }
    }
}

impl AuditEntry {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, HallStoreError> {
        Ok(Self {
            seq: row.try_get(0).map_err(unavailable)?,
            at: row.try_get(1).map_err(unavailable)?,
            actor: row.try_get(2).map_err(unavailable)?,
            action: row.try_get(3).map_err(unavailable)?,
            application_id: row.try_get(4).map_err(unavailable)?,
            detail: row.try_get(5).map_err(unavailable)?,
            prev_hash: row.try_get(6).map_err(unavailable)?,
            hash: row.try_get(7).map_err(unavailable)?,
        })
    }

    /// Checks this entry against the one before it.
    pub(super) fn check(&self, previous_hash: &str, previous_seq: i64) -> Result<(), ChainBreak> {
        if self.seq != previous_seq + 1 {
            return Err(ChainBreak {
                seq: self.seq,
                why: "an entry is missing before it",
            });
        }
        if self.prev_hash != previous_hash {
            return Err(ChainBreak {
                seq: self.seq,
                why: "it does not name the previous entry's hash",
            });
        }
        let draft = AuditDraft {
            at: self.at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            application_id: self.application_id.clone(),
            detail: self.detail.clone(),
        };
        if digest(self.seq, &self.prev_hash, &draft) != self.hash {
            return Err(ChainBreak {
                seq: self.seq,
                why: "its content does not match its hash",
            });
        }
        Ok(())
    }
}

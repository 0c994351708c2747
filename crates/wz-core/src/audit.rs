//! The append-only, hash-chained audit log.
//!
//! Entry `n` carries `prev_hash = hash(n-1)` and
//! `hash = SM3("wz-audit/1" || seq || at_ms || len||actor || len||action ||
//! len||subject || len||details || prev_hash)`, lengths and integers big-endian.
//! Changing, dropping or reordering any entry breaks every later link.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `prev_hash` of the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// An event to record, before the store assigns its place in the chain.
/// Fields hold codes and pseudonyms only, never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    /// Who acted: `operator`, `system`, `cli`, `rp:<id>`, `terminal:<id>`.
    pub actor: String,
    /// What happened, dotted: `registry.enrolled`, `registry.status_changed`.
    pub action: String,
    /// Pseudonymous subject (lookup key prefix, credential number), if any.
    pub subject: Option<String>,
    /// Structured details without personal data.
    pub details: serde_json::Value,
    /// When it happened.
    pub at: OffsetDateTime,
}

impl AuditDraft {
    /// A draft with empty details.
    pub fn new(actor: &str, action: &str, subject: Option<String>, at: OffsetDateTime) -> Self {
        Self {
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject,
            details: serde_json::Value::Null,
            at,
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// A stored, chained entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// See [`AuditDraft::actor`].
    pub actor: String,
    /// See [`AuditDraft::action`].
    pub action: String,
    /// See [`AuditDraft::subject`].
    pub subject: Option<String>,
    /// Details as canonical JSON text (exactly the bytes hashed).
    pub details: String,
    /// Hash of the previous entry.
    pub prev_hash: [u8; 32],
    /// Hash of this entry.
    pub hash: [u8; 32],
}

impl AuditEntry {
    /// Places `draft` after `prev` (or first, when `prev` is `None`).
    pub fn chain(prev: Option<(u64, [u8; 32])>, draft: &AuditDraft) -> Self {
        let (prev_seq, prev_hash) = prev.unwrap_or((0, GENESIS_HASH));
        let mut entry = Self {
            seq: prev_seq + 1,
            at_ms: (draft.at.unix_timestamp_nanos() / 1_000_000) as i64,
            actor: draft.actor.clone(),
            action: draft.action.clone(),
            subject: draft.subject.clone(),
            details: draft.details.to_string(),
            prev_hash,
            hash: [0; 32],
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// Recomputes this entry's hash from its fields.
    pub fn compute_hash(&self) -> [u8; 32] {
        let mut buf = Vec::with_capacity(128 + self.details.len());
        buf.extend_from_slice(b"wz-audit/1");
        buf.extend_from_slice(&self.seq.to_be_bytes());
        buf.extend_from_slice(&self.at_ms.to_be_bytes());
        let subject = self.subject.as_deref().unwrap_or("");
        for field in [self.actor.as_str(), self.action.as_str(), subject, self.details.as_str()] {
            buf.extend_from_slice(&(field.len() as u64).to_be_bytes());
            buf.extend_from_slice(field.as_bytes());
        }
        buf.push(u8::from(self.subject.is_some()));
        buf.extend_from_slice(&self.prev_hash);
        wz_crypto::sm3(&buf)
    }
}

/// Where and why a chain check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// Sequence number of the first entry that does not verify.
    pub seq: u64,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Verifies `entries` (in ascending order) continuing from `prev`, the last
/// verified `(seq, hash)` or `None` at the start. Returns the new tail.
pub fn verify_chain(prev: Option<(u64, [u8; 32])>, entries: &[AuditEntry]) -> Result<Option<(u64, [u8; 32])>, ChainBreak> {
    let mut tail = prev;
    for entry in entries {
        let (prev_seq, prev_hash) = tail.unwrap_or((0, GENESIS_HASH));
        if entry.seq != prev_seq + 1 {
            return Err(ChainBreak {
                seq: prev_seq + 1,
                reason: "entry missing or out of order",
            });
        }
        if entry.prev_hash != prev_hash {
            return Err(ChainBreak {
                seq: entry.seq,
                reason: "previous-hash link does not match",
            });
        }
        if entry.compute_hash() != entry.hash {
            return Err(ChainBreak {
                seq: entry.seq,
                reason: "entry content does not match its hash",
            });
        }
        tail = Some((entry.seq, entry.hash));
    }
    Ok(tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn chain_of(n: usize) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let draft = AuditDraft::new("system", "test.event", Some(format!("s{i}")), datetime!(2026-01-01 0:00 UTC))
                .with_details(serde_json::json!({ "i": i }));
            let prev = entries.last().map(|e| (e.seq, e.hash));
            entries.push(AuditEntry::chain(prev, &draft));
        }
        entries
    }

    #[test]
    fn intact_chain_verifies_in_pages() {
        let entries = chain_of(10);
        let tail = verify_chain(None, &entries[..4]).unwrap();
        assert_eq!(verify_chain(tail, &entries[4..]).unwrap().map(|t| t.0), Some(10));
    }

    #[test]
    fn names_the_first_broken_link() {
        let mut edited = chain_of(6);
        edited[3].details = "{\"i\":99}".into();
        assert_eq!(verify_chain(None, &edited).unwrap_err().seq, 4);

        let mut dropped = chain_of(6);
        dropped.remove(2);
        assert_eq!(verify_chain(None, &dropped).unwrap_err().seq, 3);

        let mut relinked = chain_of(6);
        relinked[4].prev_hash = [1; 32];
        relinked[4].hash = relinked[4].compute_hash();
        assert_eq!(
            verify_chain(None, &relinked).unwrap_err(),
            ChainBreak {
                seq: 5,
                reason: "previous-hash link does not match"
            }
        );
    }

    #[test]
    fn subject_none_and_empty_hash_differently() {
        let at = datetime!(2026-01-01 0:00 UTC);
        let a = AuditEntry::chain(None, &AuditDraft::new("a", "b", None, at));
        let b = AuditEntry::chain(None, &AuditDraft::new("a", "b", Some(String::new()), at));
        assert_ne!(a.hash, b.hash);
    }
}

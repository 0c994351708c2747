//! Verifying the audit chain.

use wz_core::{verify_chain, ChainBreak};

use crate::{ServiceContext, ServiceError};

/// Entries read per page while verifying.
const PAGE: u32 = 2_000;

/// Result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Entries checked (up to the break, if any).
    pub entries_checked: u64,
    /// Hash of the last good entry, hex.
    pub head_hash: Option<String>,
    /// The first broken link, if any.
    pub first_break: Option<ChainBreak>,
}

/// Audit use cases.
#[derive(Clone)]
pub struct AuditService {
    context: ServiceContext,
}

impl AuditService {
    pub(crate) fn new(context: ServiceContext) -> Self {
        Self { context }
    }

    /// Walks the chain from the first entry and names the first broken link.
    pub async fn verify(&self) -> Result<AuditReport, ServiceError> {
        let mut tail: Option<(u64, [u8; 32])> = None;
        loop {
            let after = tail.map_or(0, |t| t.0);
            let page = self.context.store.list_audit(after, PAGE).await?;
            if page.is_empty() {
                break;
            }
            // Entry by entry, so the report can say how far the chain held.
            for entry in &page {
                match verify_chain(tail, std::slice::from_ref(entry)) {
                    Ok(new_tail) => tail = new_tail,
                    Err(chain_break) => return Ok(report(tail, Some(chain_break))),
                }
            }
        }
        Ok(report(tail, None))
    }
}

fn report(tail: Option<(u64, [u8; 32])>, first_break: Option<ChainBreak>) -> AuditReport {
    AuditReport {
        entries_checked: tail.map_or(0, |t| t.0),
        head_hash: tail.map(|t| hex::encode(t.1)),
        first_break,
    }
}

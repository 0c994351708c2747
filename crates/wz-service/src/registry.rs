//! The registry (制证数据库) use cases: seeding, demo enrolment, lookup and
//! status changes with history.

use serde_json::json;
use wz_core::{AuditDraft, AuditEntry, IdentityRecord, IdentityStatus, LookupKey, NationalIdNumber, StatusChange};
use wz_store::{NewIdentity, StatusHistoryRow};

use crate::{EntropyRng, ServiceContext, ServiceError};

/// A generated person and the status their card should start with.
#[derive(Debug, Clone)]
pub struct SeedPerson {
    /// The record.
    pub record: IdentityRecord,
    /// Initial status.
    pub status: IdentityStatus,
}

/// People sealed for the registry and not yet inserted: sealing is CPU
/// work a seeder can do on other threads while the previous batch is
/// written ([`RegistryService::seed_sealed`]).
pub struct SealedBatch(Vec<NewIdentity>);

impl SealedBatch {
    /// People in the batch.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the batch holds nobody.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Registry use cases.
#[derive(Clone)]
pub struct RegistryService {
    context: ServiceContext,
}

impl RegistryService {
    pub(crate) fn new(context: ServiceContext) -> Self {
        Self { context }
    }

    fn seal(&self, record: &IdentityRecord, status: IdentityStatus) -> Result<NewIdentity, ServiceError> {
        record.validate()?;
        let mut rng = EntropyRng(self.context.entropy.as_ref());
        let sealed = self.context.keyring.sealer.seal(record, &mut rng)?;
        Ok(NewIdentity {
            lookup: sealed.lookup,
            card_serial: record.card_serial.clone(),
            status,
            sealed: sealed.sealed,
            sealed_portrait: sealed.portrait,
        })
    }

    /// Inserts a batch of generated people in one transaction with one audit
    /// entry (an operator task: `wz seed`). All or nothing.
    pub async fn seed(&self, people: &[SeedPerson], actor: &str) -> Result<AuditEntry, ServiceError> {
        self.seed_sealed(self.seal_batch(people)?, actor).await
    }

    /// Validates and seals `people` (no I/O): the first half of [`Self::seed`].
    pub fn seal_batch(&self, people: &[SeedPerson]) -> Result<SealedBatch, ServiceError> {
        people
            .iter()
            .map(|p| self.seal(&p.record, p.status))
            .collect::<Result<Vec<_>, _>>()
            .map(|mut rows| {
                // In key order the inserts walk the index forward instead of
                // touching its pages at random.
                rows.sort_unstable_by(|a, b| a.lookup.as_bytes().cmp(b.lookup.as_bytes()));
                SealedBatch(rows)
            })
    }

    /// Inserts a sealed batch in one transaction with one audit entry: the
    /// second half of [`Self::seed`]. All or nothing.
    pub async fn seed_sealed(&self, batch: SealedBatch, actor: &str) -> Result<AuditEntry, ServiceError> {
        let rows = batch.0;
        let draft = AuditDraft::new(actor, "registry.seeded", None, self.context.clock.now()).with_details(json!({ "count": rows.len() }));
        Ok(self.context.store.insert_identities(&rows, draft).await?)
    }

    /// Enrols one person with their own photo. Demo mode only: a real
    /// registry is filled by the card-making process, not by this platform.
    pub async fn enrol(&self, record: &IdentityRecord, actor: &str) -> Result<LookupKey, ServiceError> {
        if !self.context.demo {
            return Err(ServiceError::DemoModeRequired);
        }
        let row = self.seal(record, IdentityStatus::Valid)?;
        let lookup = row.lookup;
        let draft = AuditDraft::new(actor, "registry.enrolled", Some(lookup.short()), self.context.clock.now())
            .with_details(json!({ "portrait": record.portrait.is_some() }));
        self.context.store.insert_identities(&[row], draft).await?;
        tracing::info!(subject = %lookup.short(), "identity enrolled");
        Ok(lookup)
    }

    /// Opens the record and status of an ID number, if registered.
    pub async fn find(&self, id_number: &NationalIdNumber) -> Result<Option<(IdentityRecord, IdentityStatus)>, ServiceError> {
        let lookup = self.context.keyring.sealer.lookup(id_number);
        let Some(row) = self.context.store.find_identity(&lookup).await? else {
            return Ok(None);
        };
        let record = self.context.open_record(&lookup, &row, true).await?;
        Ok(Some((record, row.status)))
    }

    /// Changes the status of a person's current card, with history and audit.
    pub async fn change_status(
        &self,
        id_number: &NationalIdNumber,
        to: IdentityStatus,
        reason: &str,
        actor: &str,
    ) -> Result<AuditEntry, ServiceError> {
        let (lookup, row) = self.context.get_identity(id_number).await?;
        let change = StatusChange::new(row.status, to, reason)?;
        let now = self.context.clock.now();
        let draft = AuditDraft::new(actor, "registry.status_changed", Some(lookup.short()), now)
            .with_details(json!({ "from": change.from.as_str(), "to": change.to.as_str(), "reason": change.reason }));
        let entry = self.context.store.update_identity_status(&lookup, &change, now, draft).await?;
        tracing::info!(subject = %lookup.short(), from = %change.from, to = %change.to, "identity status changed");
        Ok(entry)
    }

    /// Status history of a person's card, oldest first.
    pub async fn history(&self, id_number: &NationalIdNumber) -> Result<Vec<StatusHistoryRow>, ServiceError> {
        let lookup = self.context.keyring.sealer.lookup(id_number);
        Ok(self.context.store.list_status_history(&lookup).await?)
    }

    /// Reseals every row still sealed whole (before issue #14) into its
    /// attributes and its portrait, in batches of 500, each one transaction
    /// with one audit entry; run at start. Safe to interrupt (a batch
    /// commits or not) and to run from two processes at once (a row changes
    /// only while it still holds what was read). Returns how many changed.
    pub async fn reseal_whole_records(&self) -> Result<u64, ServiceError> {
        const BATCH: u32 = 500;
        let mut total = 0;
        loop {
            let rows = self.context.store.whole_sealed_identities(BATCH).await?;
            if rows.is_empty() {
                return Ok(total);
            }
            let mut rng = EntropyRng(self.context.entropy.as_ref());
            let resealed = rows
                .into_iter()
                .map(|(lookup, whole)| {
                    let parts = self.context.keyring.sealer.reseal(&lookup, &whole, &mut rng)?;
                    Ok(wz_store::ResealedIdentity {
                        lookup,
                        whole,
                        sealed: parts.sealed,
                        sealed_portrait: parts.portrait,
                    })
                })
                .collect::<Result<Vec<_>, ServiceError>>()?;
            let draft = AuditDraft::new("system", "registry.resealed", None, self.context.clock.now())
                .with_details(json!({ "count": resealed.len() }));
            let changed = self.context.store.reseal_identities(&resealed, draft).await?;
            total += changed;
            if changed == 0 {
                // Another process resealed them meanwhile.
                return Ok(total);
            }
        }
    }

    /// Number of registered identities.
    pub async fn count(&self) -> Result<u64, ServiceError> {
        Ok(self.context.store.count_identities().await?)
    }
}

//! The hall's use cases, without HTTP: submit an application (checked
//! against the registries, decided by the rules where the service allows),
//! record a party's authentication, an officer's decision, a revocation,
//! and verify a certificate. Time comes in as an argument; every step is
//! written with its audit entries.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::certificate::{CertificateBody, CertificateError, DepartmentKeys, PublishedKeys, SignedCertificate};
use crate::registries::{ConnectorError, Connectors, PersonRef, Recorded};
use crate::rules::{self, Applicant, Evidence, Form, FormError, Particulars, Prefill, Verdict};
use crate::services::{self, Outcome, ServiceDefinition};
use crate::store::{ApplicationRow, ApplicationState, ApplicationUpdate, AuditDraft, CertificateRow, HallStore, HallStoreError};

/// Why a use case failed. Messages carry no personal data.
#[derive(Debug, thiserror::Error)]
pub enum HallError {
    /// No such service.
    #[error("there is no service `{0}`")]
    UnknownService(String),
    /// No such application (or not the caller's).
    #[error("no such application")]
    NoSuchApplication,
    /// No such certificate.
    #[error("no such certificate")]
    NoSuchCertificate,
    /// The form is not acceptable.
    #[error("the form is not complete: {0}")]
    Form(#[from] FormError),
    /// The application is already decided.
    #[error("the application is already decided")]
    AlreadyDecided,
    /// The caller is not a party the application waits for.
    #[error("you are not a party this application waits for")]
    NotAParty,
    /// A rejection, or an approval over a failed check, without a reason.
    #[error("a rejection, or an approval over a failed check, must give a reason")]
    ReasonRequired,
    /// Parties still have to authenticate before anyone decides.
    #[error("the application still waits for parties to authenticate")]
    AwaitingParties,
    /// A registry did not answer.
    #[error(transparent)]
    Registry(#[from] ConnectorError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] HallStoreError),
    /// The certificate could not be made.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// The identity platform did not do what was asked.
    #[error("{0}")]
    Platform(String),
    /// A stored application does not parse.
    #[error("a stored application is unreadable")]
    Corrupt,
}

/// Who decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decider {
    /// The service's rules.
    Rules,
    /// An officer, by their officer number.
    Officer(String),
}

impl Decider {
    fn label(&self) -> String {
        match self {
            Decider::Rules => "rules".into(),
            Decider::Officer(number) => format!("officer:{number}"),
        }
    }
}

/// An application as its pages show it.
#[derive(Debug, Clone)]
pub struct Application {
    /// The stored row.
    pub row: ApplicationRow,
    /// Its service.
    pub service: &'static ServiceDefinition,
    /// Its particulars.
    pub particulars: Particulars,
    /// The checks' evidence.
    pub evidence: Vec<Evidence>,
}

/// What verifying a certificate found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The certificate as it reads.
    pub body: CertificateBody,
    /// Signed by the department it names, unaltered.
    pub signature_valid: bool,
    /// The hall issued it (it is in the hall's store).
    pub issued_here: bool,
    /// Revoked: when and why.
    pub revoked: Option<(i64, String)>,
    /// Past its last valid day.
    pub expired: bool,
}

impl Verification {
    /// Whether the certificate may be relied on now.
    pub fn is_good(&self) -> bool {
        self.signature_valid && self.issued_here && self.revoked.is_none() && !self.expired
    }
}

/// The hall: its store, the departments' connectors and keys.
#[derive(Clone)]
pub struct Hall {
    store: HallStore,
    connectors: Connectors,
    keys: Arc<DepartmentKeys>,
    /// The keys' public halves, parsed once for verification.
    published: Arc<PublishedKeys>,
    /// The public verify page's URL, printed on certificates.
    verify_url: String,
}

impl std::fmt::Debug for Hall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hall(..)")
    }
}

fn draft(at: i64, actor: &str, action: &str, application: &str, detail: String) -> AuditDraft {
    AuditDraft {
        at,
        actor: actor.to_owned(),
        action: action.to_owned(),
        application_id: Some(application.to_owned()),
        detail,
    }
}

/// One audit entry per registry question an evaluation asked.
fn question_drafts(at: i64, application: &str, evidence: &[Evidence]) -> Vec<AuditDraft> {
    evidence
        .iter()
        .flat_map(|e| {
            e.asked.iter().map(move |kind| {
                draft(
                    at,
                    &format!("connector:{}", e.department),
                    "registry.asked",
                    application,
                    format!("{kind} for check {:?}: {}", e.check, if e.passed { "passed" } else { "not passed" }),
                )
            })
        })
        .collect()
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, HallError> {
    serde_json::to_string(value).map_err(|_| HallError::Corrupt)
}

fn date_of(ms: i64) -> time::Date {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

impl Hall {
    /// A hall over its store, connectors and keys.
    pub fn new(store: HallStore, connectors: Connectors, keys: DepartmentKeys, verify_url: String) -> Self {
        Self {
            store,
            connectors,
            published: Arc::new(PublishedKeys::from_set(&keys.published())),
            keys: Arc::new(keys),
            verify_url,
        }
    }

    /// The store (for the back office's queue and the audit trail).
    pub fn store(&self) -> &HallStore {
        &self.store
    }

    /// The departments' keys.
    pub fn keys(&self) -> &DepartmentKeys {
        &self.keys
    }

    fn service(code: &str) -> Result<&'static ServiceDefinition, HallError> {
        services::service(code).ok_or_else(|| HallError::UnknownService(code.to_owned()))
    }

    /// What the service's form offers `applicant`, from the registries.
    pub async fn prefill(&self, service: &str, applicant: &Applicant) -> Result<Prefill, HallError> {
        Ok(rules::prefill(Self::service(service)?, applicant, &self.connectors).await?)
    }

    /// Reads a stored application.
    pub fn parse(row: ApplicationRow) -> Result<Application, HallError> {
        let service = services::service(&row.service).ok_or(HallError::Corrupt)?;
        let particulars = serde_json::from_str(&row.particulars).map_err(|_| HallError::Corrupt)?;
        let evidence = serde_json::from_str(&row.evidence).map_err(|_| HallError::Corrupt)?;
        Ok(Application {
            row,
            service,
            particulars,
            evidence,
        })
    }

    /// One application.
    pub async fn application(&self, id: &str) -> Result<Application, HallError> {
        let row = self.store.application(id).await?.ok_or(HallError::NoSuchApplication)?;
        Self::parse(row)
    }

    /// Submits an application: the form resolved against a fresh prefill,
    /// every check run, the rules' verdict applied. `id` is the
    /// application's id (the caller draws it).
    pub async fn submit(&self, id: &str, service: &str, applicant: &Applicant, form: &Form, now: i64) -> Result<Application, HallError> {
        let definition = Self::service(service)?;
        let prefill = rules::prefill(definition, applicant, &self.connectors).await?;
        let particulars = rules::resolve(definition, applicant, &prefill, form, now)?;
        let evidence = rules::evaluate(definition, applicant, &particulars, &self.connectors).await?;
        let verdict = rules::verdict(definition, &evidence);
        let state = match verdict {
            Verdict::AwaitParties => ApplicationState::AwaitingParties,
            // Approval is a second step: the change and the certificate.
            Verdict::Review | Verdict::Approve => ApplicationState::InReview,
        };
        let new = ApplicationRow {
            id: id.to_owned(),
            service: definition.code.to_owned(),
            applicant_id_number: applicant.id_number.clone(),
            applicant_name: applicant.name.clone(),
            particulars: to_json(&particulars)?,
            evidence: to_json(&evidence)?,
            state,
            reason: None,
            registry_reference: None,
            submitted_at: now,
            decided_at: None,
            decided_by: None,
            version: 1,
        };
        let mut audit = vec![draft(
            now,
            "citizen",
            "application.submitted",
            id,
            format!("service {}", definition.code),
        )];
        audit.extend(question_drafts(now, id, &evidence));
        audit.push(draft(now, "rules", "rules.verdict", id, format!("{verdict:?}")));
        self.store.insert_application(&new, &audit).await?;
        let application = self.application(id).await?;
        if verdict == Verdict::Approve {
            return self.approve(application, &Decider::Rules, None, now).await;
        }
        Ok(application)
    }

    /// A party of a multi-party application authenticated (signed in on
    /// their own phone through the hall). The transferee is whoever signs
    /// in for that role with the name the applicant gave; everyone else
    /// must be the person on record.
    pub async fn party_authenticated(&self, id: &str, who: &Applicant, now: i64) -> Result<Application, HallError> {
        let application = self.application(id).await?;
        if application.row.state != ApplicationState::AwaitingParties {
            return Err(if application.row.state.is_final() {
                HallError::AlreadyDecided
            } else {
                HallError::NotAParty
            });
        }
        let mut particulars = application.particulars.clone();
        let person = who.person();
        let known = particulars
            .parties
            .iter_mut()
            .find(|p| p.person.as_ref().is_some_and(|known| known.id_number == person.id_number));
        let role = match known {
            // Heard before (the transaction is read again and again): nothing new.
            Some(party) if party.authenticated_at.is_some() => return Ok(application),
            Some(party) => {
                party.authenticated_at = Some(now);
                party.role.clone()
            }
            None => {
                let open = particulars
                    .parties
                    .iter_mut()
                    .find(|p| p.person.is_none() && p.expected_name.as_deref() == Some(person.name.as_str()))
                    .ok_or(HallError::NotAParty)?;
                open.person = Some(PersonRef {
                    id_number: person.id_number.clone(),
                    name: person.name.clone(),
                });
                open.authenticated_at = Some(now);
                open.role.clone()
            }
        };
        let applicant = Applicant {
            id_number: application.row.applicant_id_number.clone(),
            name: application.row.applicant_name.clone(),
        };
        let evidence = rules::evaluate(application.service, &applicant, &particulars, &self.connectors).await?;
        let verdict = rules::verdict(application.service, &evidence);
        let state = match verdict {
            Verdict::AwaitParties => ApplicationState::AwaitingParties,
            Verdict::Review | Verdict::Approve => ApplicationState::InReview,
        };
        let update = ApplicationUpdate {
            particulars: to_json(&particulars)?,
            evidence: to_json(&evidence)?,
            state,
            reason: None,
            registry_reference: None,
            decided_at: None,
            decided_by: None,
        };
        let mut audit = vec![draft(now, "citizen", "party.authenticated", id, format!("role {role}"))];
        audit.extend(question_drafts(now, id, &evidence));
        audit.push(draft(now, "rules", "rules.verdict", id, format!("{verdict:?}")));
        self.store
            .update_application(id, application.row.version, &update, None, &audit)
            .await?;
        let application = self.application(id).await?;
        if verdict == Verdict::Approve {
            return self.approve(application, &Decider::Rules, None, now).await;
        }
        Ok(application)
    }

    /// The parties still to authenticate, in order: who the platform's
    /// transaction must invite.
    pub fn waiting_parties(application: &Application) -> Vec<usize> {
        application
            .particulars
            .parties
            .iter()
            .enumerate()
            .filter(|(_, p)| p.authenticated_at.is_none() && p.invitation.is_none())
            .map(|(i, _)| i)
            .collect()
    }

    /// Records the platform's transaction and each waiting party's
    /// invitation (`invitations[i]` for `waiting_parties()[i]`).
    pub async fn attach_invitations(
        &self,
        id: &str,
        transaction_id: &str,
        invitations: &[(String, String)],
        now: i64,
    ) -> Result<Application, HallError> {
        let application = self.application(id).await?;
        if application.row.state != ApplicationState::AwaitingParties {
            return Err(HallError::AlreadyDecided);
        }
        let waiting = Self::waiting_parties(&application);
        let mut particulars = application.particulars.clone();
        for (index, (session_id, invitation)) in waiting.into_iter().zip(invitations) {
            particulars.parties[index].session_id = Some(session_id.clone());
            particulars.parties[index].invitation = Some(invitation.clone());
        }
        particulars.transaction_id = Some(transaction_id.to_owned());
        let update = ApplicationUpdate {
            particulars: to_json(&particulars)?,
            evidence: application.row.evidence.clone(),
            state: application.row.state,
            reason: None,
            registry_reference: None,
            decided_at: None,
            decided_by: None,
        };
        let audit = [draft(
            now,
            "hall",
            "parties.invited",
            id,
            format!("transaction {transaction_id}, {} invitations", invitations.len()),
        )];
        self.store
            .update_application(id, application.row.version, &update, None, &audit)
            .await?;
        self.application(id).await
    }

    /// An officer's decision on an application in review.
    pub async fn decide(&self, id: &str, officer: &str, approve: bool, reason: Option<&str>, now: i64) -> Result<Application, HallError> {
        let application = self.application(id).await?;
        if application.row.state.is_final() {
            return Err(HallError::AlreadyDecided);
        }
        if application.row.state == ApplicationState::AwaitingParties {
            return Err(HallError::AwaitingParties);
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let decider = Decider::Officer(officer.to_owned());
        if approve {
            if reason.is_none() && application.evidence.iter().any(|e| !e.passed) {
                return Err(HallError::ReasonRequired);
            }
            return self.approve(application, &decider, reason, now).await;
        }
        let reason = reason.ok_or(HallError::ReasonRequired)?;
        let update = ApplicationUpdate {
            particulars: application.row.particulars.clone(),
            evidence: application.row.evidence.clone(),
            state: ApplicationState::Rejected,
            reason: Some(reason.to_owned()),
            registry_reference: None,
            decided_at: Some(now),
            decided_by: Some(decider.label()),
        };
        let audit = [draft(
            now,
            &decider.label(),
            "application.rejected",
            id,
            "reason given to the citizen".into(),
        )];
        self.store
            .update_application(id, application.row.version, &update, None, &audit)
            .await?;
        self.application(id).await
    }

    async fn approve(&self, application: Application, decider: &Decider, reason: Option<&str>, now: i64) -> Result<Application, HallError> {
        let id = application.row.id.clone();
        let applicant = Applicant {
            id_number: application.row.applicant_id_number.clone(),
            name: application.row.applicant_name.clone(),
        };
        let definition = application.service;
        // The registry first, keyed by the application: a retry after a
        // crash here answers the same record instead of changing twice.
        let recorded = match rules::change(definition, &applicant, &application.particulars) {
            Some(change) if definition.outcome == Outcome::RegistryChangeAndCertificate => {
                Some(self.connectors.record(&id, &change).await?)
            }
            _ => None,
        };
        let certificate = self.certificate(&application, &applicant, recorded.as_ref(), now)?;
        let row = CertificateRow {
            id: certificate.body.id.clone(),
            application_id: id.clone(),
            department: definition.issuer.code().to_owned(),
            encoded: certificate.encode(),
            issued_at: now,
            revoked_at: None,
            revoke_reason: None,
        };
        let update = ApplicationUpdate {
            particulars: application.row.particulars.clone(),
            evidence: application.row.evidence.clone(),
            state: ApplicationState::Approved,
            reason: reason.map(str::to_owned),
            registry_reference: recorded.as_ref().map(|r| r.reference.clone()),
            decided_at: Some(now),
            decided_by: Some(decider.label()),
        };
        let mut audit = Vec::new();
        if let Some(recorded) = &recorded {
            audit.push(draft(
                now,
                &format!("connector:{}", definition.issuer.code()),
                "registry.recorded",
                &id,
                format!("reference {}", recorded.reference),
            ));
        }
        audit.push(draft(now, &decider.label(), "application.approved", &id, String::new()));
        audit.push(draft(
            now,
            &format!("department:{}", definition.issuer.code()),
            "certificate.issued",
            &id,
            format!("certificate {}", row.id),
        ));
        self.store
            .update_application(&id, application.row.version, &update, Some(&row), &audit)
            .await?;
        self.application(&id).await
    }

    fn certificate(
        &self,
        application: &Application,
        applicant: &Applicant,
        recorded: Option<&Recorded>,
        now: i64,
    ) -> Result<SignedCertificate, HallError> {
        let definition = application.service;
        let key = self.keys.key(definition.issuer).ok_or(CertificateError::Signing)?;
        let today = date_of(now);
        let body = CertificateBody {
            id: uuid::Uuid::new_v4().to_string(),
            title: definition.certificate_title.to_owned(),
            service: definition.code.to_owned(),
            department: definition.issuer.code().to_owned(),
            department_name: definition.issuer.name_zh().to_owned(),
            key_id: key.key_id().as_str().to_owned(),
            holder_name: applicant.name.clone(),
            holder_id_masked: wz_core::mask_id_number(&applicant.id_number),
            statements: statements(application, applicant, recorded, today),
            purpose: application.particulars.purpose.clone(),
            issued_on: today.to_string(),
            valid_until: (definition.valid_days > 0).then(|| (today + Duration::days(i64::from(definition.valid_days))).to_string()),
            verify_url: self.verify_url.clone(),
        };
        Ok(SignedCertificate::sign(body, key)?)
    }

    /// Revokes a certificate with a reason (an operator or officer).
    pub async fn revoke(&self, certificate_id: &str, reason: &str, actor: &str, now: i64) -> Result<(), HallError> {
        let row = self.store.certificate(certificate_id).await?.ok_or(HallError::NoSuchCertificate)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(HallError::ReasonRequired);
        }
        let audit = [draft(
            now,
            actor,
            "certificate.revoked",
            &row.application_id,
            format!("certificate {}", row.id),
        )];
        Ok(self.store.revoke_certificate(certificate_id, reason, now, &audit).await?)
    }

    /// Verifies a certificate's QR text: signature against the published
    /// keys, then the hall's own record (issued here, revoked, expired).
    pub async fn verify(&self, text: &str, now: i64) -> Result<Verification, HallError> {
        let certificate = SignedCertificate::decode(text)?;
        let signature_valid = certificate.verify(&self.published).is_ok();
        let stored = self.store.certificate(&certificate.body.id).await?;
        // Issued here means these exact bytes were issued, not merely a
        // certificate with the same number.
        let issued_here = stored.as_ref().is_some_and(|row| row.encoded == certificate.encode());
        let revoked = stored
            .filter(|_| issued_here)
            .and_then(|row| Some((row.revoked_at?, row.revoke_reason.unwrap_or_default())));
        let expired = certificate
            .body
            .valid_until
            .as_deref()
            .is_some_and(|until| until < date_of(now).to_string().as_str());
        Ok(Verification {
            body: certificate.body,
            signature_valid,
            issued_here,
            revoked,
            expired,
        })
    }
}

fn masked(person: &PersonRef) -> String {
    format!("{}（{}）", person.name, wz_core::mask_id_number(&person.id_number))
}

/// What a certificate states, per service: the facts its purpose needs.
fn statements(application: &Application, applicant: &Applicant, recorded: Option<&Recorded>, today: time::Date) -> Vec<String> {
    let p = &application.particulars;
    let reference = recorded.map(|r| r.reference.as_str()).unwrap_or("");
    match application.service.code {
        "house_move" => {
            let address = p.property.as_ref().map(|h| h.address.as_str()).unwrap_or("");
            let mut lines = vec![format!("{} 的户口已迁入 {address}（户号 {reference}）。", applicant.name)];
            if !p.members.is_empty() {
                let names: Vec<String> = p.members.iter().map(|m| m.name.clone()).collect();
                lines.push(format!("随迁人员：{}。", names.join("、")));
            }
            lines
        }
        "birth_registration" => {
            let birth = p.birth.as_ref();
            let child = recorded
                .and_then(|r| r.detail.as_deref())
                .map(wz_core::mask_id_number)
                .unwrap_or_default();
            vec![format!(
                "{}（{}，{} 出生）已办理出生登记，登记于户号 {reference}，公民身份号码 {child}。",
                birth.map(|b| b.child_name.as_str()).unwrap_or(""),
                birth.map(|b| b.sex.as_str()).unwrap_or(""),
                birth.map(|b| b.born.as_str()).unwrap_or("")
            )]
        }
        "join_relative" => p
            .relative
            .iter()
            .map(|r| {
                format!(
                    "{}（{}）已迁入申请人户内（户号 {reference}）。",
                    masked(&r.person),
                    r.relation.label_zh()
                )
            })
            .collect(),
        "no_criminal_record" => vec![format!(
            "经查询公安机关违法犯罪人员信息，截至 {today}，未发现 {} 有违法犯罪记录。",
            applicant.name
        )],
        "kinship" => p
            .relative
            .iter()
            .map(|r| format!("{} 与 {} 系{}关系。", applicant.name, masked(&r.person), kin_phrase(r.relation)))
            .collect(),
        "insurance_record" => application
            .evidence
            .iter()
            .filter(|e| e.passed)
            .map(|e| format!("{} 在本市社会保险{}。", applicant.name, e.finding))
            .collect(),
        "shareholder_change" => p
            .transfer
            .iter()
            .map(|t| {
                let to = p
                    .parties
                    .iter()
                    .find(|party| party.role == "transferee")
                    .and_then(|party| party.person.as_ref())
                    .map(masked)
                    .unwrap_or_default();
                format!(
                    "{}（统一社会信用代码 {}）：股东 {} 将 {}% 股权转让给 {}，全体股东已本人认证，变更登记已完成。",
                    t.company_name,
                    t.credit_code,
                    masked(&t.from),
                    t.percent,
                    to
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn kin_phrase(kinship: rules::Kinship) -> &'static str {
    match kinship {
        rules::Kinship::Parent => "子女与父母",
        rules::Kinship::Spouse => "夫妻",
        rules::Kinship::Child => "父母与子女",
    }
}

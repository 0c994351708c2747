//! Authentication sessions: the service-window flow (the RP shows a QR code
//! that rotates every second, the citizen scans it, sees who asks and for
//! what, consents or declines, proves with the wallet) and remote
//! multi-party transactions (each participant opens the invitation the RP
//! delivered through its own channel). No flow starts from a typed-in ID
//! number: the citizen always starts it by scanning or opening a link.
//!
//! Every state change is one conditional store update with its audit
//! entry, so racing wallets cannot both move a session on, and a
//! completion writes its webhook into the outbox in the same transaction:
//! a crash loses no delivery. Watchers (SSE, long-poll) learn of changes
//! through the [`SessionFeed`](crate::SessionFeed): this instance's at
//! once, other instances' through its change source.

use serde_json::json;
use wz_core::{
    check_frame, frame_session_id, unix_ms, Attribute, AuditDraft, AuthMode, FrameError, ResultCode, SessionState, SignedStatement,
};
use wz_store::{RelyingPartyRow, SessionChange, SessionRow, StoreError, WebhookRow};

use crate::{AuthRequest, AuthenticationService, EntropyRng, RelyingPartyService, ServiceContext, ServiceError, SignedRequest};

/// Longest life of a service-window session.
pub const MAX_WINDOW_SECONDS: u32 = 120;
/// Longest life of a multi-party invitation.
pub const MAX_INVITATION_SECONDS: u32 = 24 * 3600;
/// Most participants of one transaction.
pub const MAX_PARTICIPANTS: usize = 50;
/// Prefix of an invitation link's payload.
pub const INVITATION_PREFIX: &str = "WZI1:";

/// What an RP asks for.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    /// A wallet mode: `credential`, `portrait_credential`, `portrait_credential_pin`.
    pub mode: AuthMode,
    /// Shown to the citizen and kept in their history.
    pub purpose: String,
    /// Attributes wanted in full.
    pub attributes: Vec<Attribute>,
    /// Lifetime in seconds.
    pub expires_in_seconds: u32,
}

/// What the wallet shows after scanning.
#[derive(Debug, Clone)]
pub struct ScannedSession {
    /// The session.
    pub row: SessionRow,
    /// Who asks.
    pub party: RelyingPartyRow,
    /// Of the attributes asked for, those that will be released in full.
    pub released: Vec<String>,
}

/// Sessions and multi-party transactions.
#[derive(Clone)]
pub struct SessionService {
    context: ServiceContext,
    parties: RelyingPartyService,
    authentication: AuthenticationService,
    feed: crate::SessionFeed,
    watchers: crate::KeyedLimit,
}

fn refused(code: ResultCode) -> ServiceError {
    ServiceError::Refused(code)
}

impl SessionService {
    pub(crate) fn new(context: ServiceContext, parties: RelyingPartyService, authentication: AuthenticationService) -> Self {
        Self {
            context,
            parties,
            authentication,
            feed: crate::SessionFeed::new(),
            watchers: crate::KeyedLimit::default(),
        }
    }

    /// A slot for one more open watch (event stream or long-poll) of this
    /// relying party; `rate_limited` beyond [`crate::MAX_WATCHES_PER_RP`].
    pub fn watch_permit(&self, rp: &RelyingPartyRow) -> Result<crate::WatchPermit, ServiceError> {
        self.watchers
            .try_take(&rp.id, crate::MAX_WATCHES_PER_RP)
            .ok_or(ServiceError::RateLimited { retry_after: 5 })
    }

    /// The feed of session changes watchers subscribe to.
    pub fn feed(&self) -> &crate::SessionFeed {
        &self.feed
    }

    fn random<const N: usize>(&self) -> [u8; N] {
        let mut bytes = [0u8; N];
        self.context.entropy.fill(&mut bytes);
        bytes
    }

    fn check_spec(rp: &RelyingPartyRow, spec: &SessionSpec, max_seconds: u32) -> Result<(), ServiceError> {
        if !matches!(
            spec.mode,
            AuthMode::Credential | AuthMode::PortraitCredential | AuthMode::PortraitCredentialPin
        ) {
            return Err(ServiceError::InvalidInput(
                "sessions use a wallet mode: credential, portrait_credential or portrait_credential_pin",
            ));
        }
        if !rp.modes.iter().any(|m| m == spec.mode.as_str()) {
            return Err(refused(ResultCode::ModeNotAllowed));
        }
        crate::authentication::check_purpose(&spec.purpose)?;
        if !(10..=max_seconds).contains(&spec.expires_in_seconds) {
            return Err(ServiceError::InvalidInput("expires_in_seconds is out of range"));
        }
        Ok(())
    }

    fn row(&self, id: String, rp: &RelyingPartyRow, spec: &SessionSpec, transaction: Option<(&str, &str)>) -> SessionRow {
        let now_ms = unix_ms(self.context.clock.now());
        let mut attributes: Vec<String> = spec.attributes.iter().map(|a| a.as_str().to_owned()).collect();
        attributes.sort();
        attributes.dedup();
        SessionRow {
            id,
            rp_id: rp.id.clone(),
            mode: spec.mode.as_str().to_owned(),
            purpose: spec.purpose.trim().to_owned(),
            attributes,
            transaction_id: transaction.map(|(id, _)| id.to_owned()),
            label: transaction.map(|(_, label)| label.to_owned()),
            state: SessionState::Created.as_str().to_owned(),
            secret: self.random::<32>(),
            device_key: None,
            result: None,
            created_at_ms: now_ms,
            expires_at_ms: now_ms + i64::from(spec.expires_in_seconds) * 1000,
            updated_at_ms: now_ms,
        }
    }

    /// Opens a service-window session; the RP keeps the returned secret and
    /// draws the rotating frames with it.
    pub async fn create(&self, rp: &RelyingPartyRow, spec: &SessionSpec) -> Result<SessionRow, ServiceError> {
        Self::check_spec(rp, spec, MAX_WINDOW_SECONDS)?;
        let row = self.row(format!("s-{}", hex::encode(self.random::<12>())), rp, spec, None);
        let audit = AuditDraft::new(&rp.id, "session.created", Some(row.id.clone()), self.context.clock.now())
            .with_details(json!({ "mode": row.mode, "purpose": row.purpose, "attributes": row.attributes }));
        self.context.store.insert_sessions(std::slice::from_ref(&row), audit).await?;
        Ok(row)
    }

    /// Opens a multi-party transaction: one session per participant label,
    /// each reached by its own invitation.
    pub async fn create_transaction(
        &self,
        rp: &RelyingPartyRow,
        spec: &SessionSpec,
        labels: &[String],
    ) -> Result<(String, Vec<SessionRow>), ServiceError> {
        Self::check_spec(rp, spec, MAX_INVITATION_SECONDS)?;
        if labels.is_empty() || labels.len() > MAX_PARTICIPANTS {
            return Err(ServiceError::InvalidInput("a transaction has 1 to 50 participants"));
        }
        if labels.iter().any(|l| wz_core::check_display_text(l, 100).is_err()) {
            return Err(ServiceError::InvalidInput(
                "participant labels have 1 to 100 characters, without control, line-break or bidirectional characters",
            ));
        }
        let id = format!("t-{}", hex::encode(self.random::<12>()));
        // Participants' session ids sort in the order the RP gave them.
        let rows: Vec<SessionRow> = labels
            .iter()
            .enumerate()
            .map(|(i, label)| self.row(format!("s-{}-{i:02}", &id[2..]), rp, spec, Some((&id, label.trim()))))
            .collect();
        let audit = AuditDraft::new(&rp.id, "transaction.created", Some(id.clone()), self.context.clock.now())
            .with_details(json!({ "mode": spec.mode.as_str(), "purpose": spec.purpose.trim(), "participants": rows.len() }));
        self.context.store.insert_sessions(&rows, audit).await?;
        Ok((id, rows))
    }

    /// The invitation payload of a participant's session.
    pub fn invitation(row: &SessionRow) -> String {
        format!("{INVITATION_PREFIX}{}:{}", row.id, hex::encode(row.secret))
    }

    /// A session of `rp` (another RP's session does not exist for it).
    pub async fn find_for(&self, rp: &RelyingPartyRow, id: &str) -> Result<SessionRow, ServiceError> {
        match self.context.store.find_session(id).await? {
            Some(row) if row.rp_id == rp.id => Ok(row),
            _ => Err(refused(ResultCode::SessionNotFound)),
        }
    }

    /// A transaction's sessions, for its RP.
    pub async fn transaction_for(&self, rp: &RelyingPartyRow, id: &str) -> Result<Vec<SessionRow>, ServiceError> {
        let rows = self.context.store.list_transaction_sessions(id).await?;
        if rows.is_empty() || rows.iter().any(|r| r.rp_id != rp.id) {
            return Err(refused(ResultCode::SessionNotFound));
        }
        Ok(rows)
    }

    /// A completed session's signed result (opened from its sealed form).
    pub fn result_of(&self, row: &SessionRow) -> Result<Option<SignedStatement>, ServiceError> {
        let Some(sealed) = &row.result else { return Ok(None) };
        let text = self.context.keyring.sealer.open_text(&row.id, sealed)?;
        serde_json::from_str(&text).map(Some).map_err(|_| ServiceError::RecordCorrupt)
    }

    /// The state to report now.
    pub fn state_of(&self, row: &SessionRow) -> SessionState {
        let state = SessionState::parse(&row.state).unwrap_or(SessionState::Cancelled);
        state.at(unix_ms(self.context.clock.now()), row.expires_at_ms)
    }

    /// The RP withdraws an unfinished session.
    pub async fn cancel(&self, rp: &RelyingPartyRow, id: &str) -> Result<SessionRow, ServiceError> {
        let row = self.find_for(rp, id).await?;
        let from = self.state_of(&row);
        if from.is_final() {
            return Err(refused(ResultCode::SessionState));
        }
        self.change(
            &row,
            rp,
            Step {
                from,
                to: SessionState::Cancelled,
                device_key: None,
                result: None,
            },
            &rp.id,
        )
        .await
    }

    /// A wallet scanned a window frame or opened an invitation: binds its
    /// device key and shows who asks for what.
    pub async fn scan(&self, request: SignedRequest<'_>, payload: &str) -> Result<ScannedSession, ServiceError> {
        let device_key = self.context.verify_device_request(&request).await?;
        let payload = payload.trim();
        let (id, invitation) = match payload.strip_prefix(INVITATION_PREFIX) {
            Some(rest) => {
                let (id, secret) = rest.split_once(':').ok_or(refused(ResultCode::SessionFrameInvalid))?;
                (id, Some(secret))
            }
            None => (frame_session_id(payload).map_err(frame_code)?, None),
        };
        let row = self
            .context
            .store
            .find_session(id)
            .await?
            .ok_or(refused(ResultCode::SessionNotFound))?;
        let now_ms = unix_ms(self.context.clock.now());
        match (invitation, row.transaction_id.is_some()) {
            (Some(secret), true) => {
                if !wz_crypto::constant_time_eq(hex::encode(row.secret).as_bytes(), secret.as_bytes()) {
                    return Err(refused(ResultCode::SessionFrameInvalid));
                }
            }
            (None, false) => check_frame(payload, &row.secret, now_ms).map_err(frame_code)?,
            _ => return Err(refused(ResultCode::SessionFrameInvalid)),
        }
        let state = self.state_of(&row);
        if state == SessionState::Expired {
            return Err(refused(ResultCode::SessionExpired));
        }
        if state != SessionState::Created {
            return Err(refused(ResultCode::SessionState));
        }
        let party = self.parties.find(&row.rp_id).await?;
        let row = self
            .change(
                &row,
                &party,
                Step {
                    from: state,
                    to: SessionState::Scanned,
                    device_key: Some(device_key.to_sec1_bytes()),
                    result: None,
                },
                "wallet",
            )
            .await?;
        let released = row.attributes.iter().filter(|a| party.grants.contains(a)).cloned().collect();
        Ok(ScannedSession { row, party, released })
    }

    /// The scanning wallet's session in `expected` state.
    async fn own(&self, request: &SignedRequest<'_>, id: &str) -> Result<(SessionRow, SessionState), ServiceError> {
        let device_key = self.context.verify_device_request(request).await?;
        let row = self
            .context
            .store
            .find_session(id)
            .await?
            .ok_or(refused(ResultCode::SessionNotFound))?;
        if row.device_key.as_deref() != Some(device_key.to_sec1_bytes().as_slice()) {
            return Err(refused(ResultCode::SessionNotFound));
        }
        let state = self.state_of(&row);
        if state == SessionState::Expired {
            return Err(refused(ResultCode::SessionExpired));
        }
        Ok((row, state))
    }

    /// The citizen agrees to the request.
    pub async fn consent(&self, request: SignedRequest<'_>, id: &str) -> Result<SessionRow, ServiceError> {
        let (row, state) = self.own(&request, id).await?;
        if state != SessionState::Scanned {
            return Err(refused(ResultCode::SessionState));
        }
        let party = self.parties.find(&row.rp_id).await?;
        self.change(
            &row,
            &party,
            Step {
                from: state,
                to: SessionState::Consented,
                device_key: None,
                result: None,
            },
            "wallet",
        )
        .await
    }

    /// The citizen says no; the RP is told.
    pub async fn decline(&self, request: SignedRequest<'_>, id: &str) -> Result<SessionRow, ServiceError> {
        let (row, state) = self.own(&request, id).await?;
        if !matches!(state, SessionState::Scanned | SessionState::Consented) {
            return Err(refused(ResultCode::SessionState));
        }
        let party = self.parties.find(&row.rp_id).await?;
        self.change(
            &row,
            &party,
            Step {
                from: state,
                to: SessionState::Declined,
                device_key: None,
                result: None,
            },
            "wallet",
        )
        .await
    }

    /// The consenting wallet proves (its fresh code, and the portrait or
    /// password the mode needs); the signed result completes the session
    /// once and goes to the RP and back to the wallet.
    pub async fn complete(
        &self,
        request: SignedRequest<'_>,
        id: &str,
        proof: AuthRequest,
    ) -> Result<(SessionRow, SignedStatement), ServiceError> {
        let (row, state) = self.own(&request, id).await?;
        if state != SessionState::Consented {
            return Err(refused(ResultCode::SessionState));
        }
        let party = self.parties.find(&row.rp_id).await?;
        let ask = AuthRequest {
            mode: AuthMode::parse(&row.mode),
            purpose: row.purpose.clone(),
            attributes: row.attributes.iter().filter_map(|a| Attribute::parse(a)).collect(),
            alg: None,
            ..proof
        };
        let signed = self.authentication.authenticate(&party, &row.id, ask).await?;
        let result = serde_json::to_string(&signed).map_err(|_| ServiceError::RecordCorrupt)?;
        let row = self
            .change(
                &row,
                &party,
                Step {
                    from: state,
                    to: SessionState::Completed,
                    device_key: None,
                    result: Some(result),
                },
                "wallet",
            )
            .await?;
        Ok((row, signed))
    }

    /// One conditional change with its audit entry, webhook and event.
    async fn change(&self, row: &SessionRow, party: &RelyingPartyRow, step: Step, actor: &str) -> Result<SessionRow, ServiceError> {
        let Step {
            from,
            to,
            device_key,
            result,
        } = step;
        let now_ms = unix_ms(self.context.clock.now());
        // Results may hold released attributes: kept sealed at rest, like
        // the registry, and opened only for the RP and the wallet.
        let sealer = &self.context.keyring.sealer;
        let mut rng = EntropyRng(self.context.entropy.as_ref());
        let sealed_result = result.as_deref().map(|r| sealer.seal_text(&row.id, r, &mut rng)).transpose()?;
        let change = SessionChange {
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
            device_key: device_key.clone(),
            result: sealed_result.clone(),
            at_ms: now_ms,
        };
        let webhook = match (&party.webhook_url, to.is_final()) {
            (Some(url), true) => {
                let id = format!("{}:{}", row.id, to.as_str());
                let body = json!({
                    "event": format!("session.{}", to.as_str()),
                    "session_id": row.id,
                    "transaction_id": row.transaction_id,
                    "label": row.label,
                    "state": to.as_str(),
                    "result": result.as_deref().and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()),
                })
                .to_string();
                Some(WebhookRow {
                    body: sealer.seal_text(&id, &body, &mut rng)?,
                    id,
                    rp_id: row.rp_id.clone(),
                    url: url.clone(),
                    attempts: 0,
                    next_attempt_at_ms: now_ms,
                    delivered_at_ms: None,
                })
            }
            _ => None,
        };
        let audit = AuditDraft::new(
            actor,
            &format!("session.{}", to.as_str()),
            Some(row.id.clone()),
            self.context.clock.now(),
        )
        .with_details(json!({ "rp": row.rp_id, "from": from.as_str() }));
        self.context
            .store
            .change_session(&row.id, &change, webhook.as_ref(), audit)
            .await
            .map_err(|e| match e {
                StoreError::Conflict => refused(ResultCode::SessionState),
                other => other.into(),
            })?;
        self.feed.publish(&row.id);
        let mut row = row.clone();
        row.state = to.as_str().to_owned();
        row.updated_at_ms = now_ms;
        if device_key.is_some() {
            row.device_key = device_key;
        }
        if sealed_result.is_some() {
            row.result = sealed_result;
        }
        Ok(row)
    }
}

/// One state change of a session.
struct Step {
    from: SessionState,
    to: SessionState,
    device_key: Option<Vec<u8>>,
    result: Option<String>,
}

fn frame_code(error: FrameError) -> ServiceError {
    refused(match error {
        FrameError::Stale => ResultCode::SessionFrameStale,
        FrameError::Malformed | FrameError::Forged => ResultCode::SessionFrameInvalid,
    })
}

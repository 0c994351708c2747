//! Conformance cases of the credential half of the store.

use std::sync::Arc;

use wz_core::{
    AssuranceLevel, CredentialNumber, CredentialSerial, IdentityStatus, LockoutPolicy, LookupKey, PasswordAttempt, PasswordState,
    StatusChange,
};

use super::{audit_len, draft, row, AT};
use crate::UseOutcome;
use crate::{
    CredentialRow, CredentialStatus, EnrolmentRow, EnrolmentState, NewCredential, NonceUse, PasswordUpdate, Store, StoreError, TerminalRow,
};

fn credential(n: u8, serial: u8) -> CredentialRow {
    CredentialRow {
        serial: CredentialSerial::from_bytes([serial; 16]),
        number: CredentialNumber::from_bytes([n; 32]),
        lookup: LookupKey::from_bytes([n; 32]),
        level: AssuranceLevel::L3,
        device_key: vec![4; 65],
        issued_at_ms: 1_000 + i64::from(serial),
        expires_at_ms: 10_000_000,
        password_epoch: 0,
        status: CredentialStatus::Active,
        signed: vec![serial; 10],
    }
}

fn issue(row: CredentialRow) -> NewCredential {
    NewCredential {
        row,
        replaces_reason: "credential_replaced".into(),
        password: None,
        enrolment: None,
    }
}

fn password(epoch: u32) -> PasswordState {
    PasswordState {
        salt: [epoch as u8; 16],
        digest: [7; 32],
        epoch,
        failures: 0,
        locked_until_ms: None,
    }
}

fn status_of(row: &CredentialRow) -> Option<&str> {
    match &row.status {
        CredentialStatus::Active => None,
        CredentialStatus::Revoked { reason, .. } => Some(reason.as_str()),
    }
}

/// A new credential replaces the active one; the old one carries the reason.
pub async fn issuing_replaces_the_active_credential(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    store
        .insert_credential(&issue(credential(1, 1)), draft("credential.issued"))
        .await
        .unwrap();
    store
        .insert_credential(&issue(credential(1, 2)), draft("credential.issued"))
        .await
        .unwrap();
    let found = store.list_credentials(&LookupKey::from_bytes([1; 32])).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(
        (found[0].serial, status_of(&found[0])),
        (CredentialSerial::from_bytes([2; 16]), None)
    );
    assert_eq!(status_of(&found[1]), Some("credential_replaced"));
    let one = store
        .find_credential(&CredentialSerial::from_bytes([2; 16]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one, credential(1, 2));
    assert!(store
        .find_credential(&CredentialSerial::from_bytes([9; 16]))
        .await
        .unwrap()
        .is_none());
    assert_eq!(audit_len(&store).await, 3);
}

/// Racing issuances for one person leave exactly one active credential.
pub async fn racing_issuances_leave_one_active(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    let tasks: Vec<_> = (1..=20u8)
        .map(|serial| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .insert_credential(&issue(credential(1, serial)), draft("credential.issued"))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let all = store.list_credentials(&LookupKey::from_bytes([1; 32])).await.unwrap();
    assert_eq!(all.len(), 20);
    assert_eq!(all.iter().filter(|c| c.status == CredentialStatus::Active).count(), 1);
}

/// No credential for a card that is not valid; a status change away from
/// valid revokes with the card's code; a failed issuance changes nothing.
pub async fn card_status_governs_credentials(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    store
        .insert_credential(&issue(credential(1, 1)), draft("credential.issued"))
        .await
        .unwrap();
    let lookup = LookupKey::from_bytes([1; 32]);
    let lost = StatusChange::new(IdentityStatus::Valid, IdentityStatus::ReportedLost, "reported_by_holder").unwrap();
    store
        .update_identity_status(&lookup, &lost, AT, draft("registry.status_changed"))
        .await
        .unwrap();
    let found = store
        .find_credential(&CredentialSerial::from_bytes([1; 16]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status_of(&found), Some("card_reported_lost"));
    let before = audit_len(&store).await;
    let refused = store.insert_credential(&issue(credential(1, 2)), draft("credential.issued")).await;
    assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
    assert_eq!(store.list_credentials(&lookup).await.unwrap().len(), 1);
    assert_eq!(audit_len(&store).await, before);
    let missing = store.insert_credential(&issue(credential(5, 5)), draft("credential.issued")).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

/// Passwords are written with issuance only if the epoch read still holds;
/// attempts are counted atomically under concurrency and lock.
pub async fn passwords_count_every_attempt(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    let lookup = LookupKey::from_bytes([1; 32]);
    let with_password = |serial: u8, expected: Option<u32>, epoch: u32| NewCredential {
        password: Some(PasswordUpdate {
            expected_epoch: expected,
            state: password(epoch),
        }),
        ..issue(credential(1, serial))
    };
    store
        .insert_credential(&with_password(1, None, 1), draft("credential.issued"))
        .await
        .unwrap();
    let stale = store
        .insert_credential(&with_password(2, None, 1), draft("credential.issued"))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    store
        .insert_credential(&with_password(3, Some(1), 2), draft("credential.issued"))
        .await
        .unwrap();
    assert_eq!(store.find_password(&lookup).await.unwrap().unwrap().epoch, 2);

    let policy = LockoutPolicy::default();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .attempt_password(&lookup, AT, policy, &|_| false, &|outcome| {
                        draft("password.attempt").with_details(serde_json::json!({ "outcome": format!("{outcome:?}") }))
                    })
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let wrong = outcomes.iter().filter(|o| matches!(o, PasswordAttempt::Wrong { .. })).count();
    let locked = outcomes.iter().filter(|o| matches!(o, PasswordAttempt::Locked { .. })).count();
    assert_eq!((wrong, locked), (4, 4), "{outcomes:?}");
    let state = store.find_password(&lookup).await.unwrap().unwrap();
    assert_eq!(state.failures, 5);
    assert!(state.is_locked_at(AT));
    let absent = store
        .attempt_password(&LookupKey::from_bytes([2; 32]), AT, policy, &|_| true, &|_| {
            draft("password.attempt")
        })
        .await;
    assert!(matches!(absent, Err(StoreError::NotFound)), "{absent:?}");
}

/// Each nonce is fresh once; every use is audited; expired ones are purged.
pub async fn nonces_are_single_use(store: Arc<dyn Store>) {
    let use_of = |n: u8, expires_at_ms: i64| NonceUse {
        kind: "qr",
        nonce: [n; 16],
        expires_at_ms,
        credential: None,
    };
    let outcomes = store
        .record_uses(&[use_of(1, 100), use_of(2, 100), use_of(1, 100)], &|i, outcome| {
            draft("qr.verified").with_details(serde_json::json!({ "i": i, "outcome": format!("{outcome:?}") }))
        })
        .await
        .unwrap();
    assert_eq!(outcomes, vec![UseOutcome::Fresh, UseOutcome::Fresh, UseOutcome::Replayed]);
    assert_eq!(audit_len(&store).await, 3);
    assert!(!store.consume_nonce(&use_of(2, 100)).await.unwrap());
    let other_kind = NonceUse {
        kind: "request",
        ..use_of(2, 100)
    };
    assert!(store.consume_nonce(&other_kind).await.unwrap());
    assert!(store.consume_nonce(&use_of(3, 500)).await.unwrap());
    assert_eq!(store.purge_nonces(200).await.unwrap(), 3);
    assert!(!store.consume_nonce(&use_of(3, 500)).await.unwrap());
    // Several at once: the fresh ones are recorded beside the used one, and
    // a nonce twice in one list is fresh once.
    let fresh = store
        .consume_nonces(&[use_of(4, 500), use_of(3, 500), use_of(5, 500), use_of(4, 500)])
        .await
        .unwrap();
    assert_eq!(fresh, vec![true, false, true, false]);
    assert!(!store.consume_nonce(&use_of(5, 500)).await.unwrap());
    assert_eq!(store.consume_nonces(&[]).await.unwrap(), Vec::<bool>::new());

    // A use naming a credential counts only while the credential is active.
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    store
        .insert_credential(&issue(credential(1, 1)), draft("credential.issued"))
        .await
        .unwrap();
    let for_credential = |n: u8, serial: u8| NonceUse {
        credential: Some(CredentialSerial::from_bytes([serial; 16])),
        ..use_of(n, 1_000)
    };
    let outcomes = store
        .record_uses(&[for_credential(7, 1), for_credential(8, 9)], &|_, _| draft("qr.verified"))
        .await
        .unwrap();
    assert_eq!(outcomes, vec![UseOutcome::Fresh, UseOutcome::UnknownCredential]);
    let lookup = LookupKey::from_bytes([1; 32]);
    store
        .revoke_credentials(&lookup, "credential_revoked", AT, draft("credential.revoked"))
        .await
        .unwrap();
    let outcomes = store
        .record_uses(&[for_credential(9, 1)], &|_, _| draft("qr.verified"))
        .await
        .unwrap();
    assert_eq!(outcomes, vec![UseOutcome::Revoked("credential_revoked".into())]);
    // Refused uses spend nothing: the nonce is still fresh for nobody else.
    assert!(store.consume_nonce(&use_of(9, 1_000)).await.unwrap());
}

/// Terminals and their enrolment sessions: bind once, complete once.
pub async fn enrolments_bind_once_and_complete_with_issuance(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    let terminal = TerminalRow {
        id: "t-1".into(),
        name: "window 3".into(),
        public_key: vec![4; 65],
        active: true,
        created_at_ms: 1,
    };
    store.insert_terminal(&terminal, draft("terminal.registered")).await.unwrap();
    assert!(matches!(
        store.insert_terminal(&terminal, draft("terminal.registered")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.find_terminal("t-1").await.unwrap(), Some(terminal));
    let enrolment = EnrolmentRow {
        id: "e-1".into(),
        terminal_id: "t-1".into(),
        secret_digest: [3; 32],
        device_key: None,
        state: EnrolmentState::Waiting,
        credential_serial: None,
        created_at_ms: 1,
        expires_at_ms: 2,
    };
    store.insert_enrolment(&enrolment, draft("enrolment.opened")).await.unwrap();
    assert_eq!(store.find_enrolment("e-1").await.unwrap(), Some(enrolment.clone()));
    let completing = NewCredential {
        enrolment: Some("e-1".into()),
        ..issue(credential(1, 1))
    };
    // Not bound yet: completing is refused and nothing is issued.
    assert!(matches!(
        store.insert_credential(&completing, draft("credential.issued")).await,
        Err(StoreError::Conflict)
    ));
    store.bind_enrolment("e-1", &[4; 65], draft("enrolment.bound")).await.unwrap();
    assert!(matches!(
        store.bind_enrolment("e-1", &[5; 65], draft("enrolment.bound")).await,
        Err(StoreError::Conflict)
    ));
    store.insert_credential(&completing, draft("credential.issued")).await.unwrap();
    let done = store.find_enrolment("e-1").await.unwrap().unwrap();
    assert_eq!(
        (done.state, done.credential_serial),
        (EnrolmentState::Completed, Some(CredentialSerial::from_bytes([1; 16])))
    );
    let again = NewCredential {
        enrolment: Some("e-1".into()),
        ..issue(credential(1, 2))
    };
    assert!(matches!(
        store.insert_credential(&again, draft("credential.issued")).await,
        Err(StoreError::Conflict)
    ));
    // A completed enrolment cannot be cancelled; a bound one can, once,
    // and is then never completed.
    assert!(matches!(
        store.cancel_enrolment("e-1", draft("enrolment.cancelled")).await,
        Err(StoreError::Conflict)
    ));
    let second = EnrolmentRow {
        id: "e-2".into(),
        ..enrolment
    };
    store.insert_enrolment(&second, draft("enrolment.opened")).await.unwrap();
    store.bind_enrolment("e-2", &[4; 65], draft("enrolment.bound")).await.unwrap();
    store.cancel_enrolment("e-2", draft("enrolment.cancelled")).await.unwrap();
    assert_eq!(store.find_enrolment("e-2").await.unwrap().unwrap().state, EnrolmentState::Cancelled);
    assert!(matches!(
        store.cancel_enrolment("e-2", draft("enrolment.cancelled")).await,
        Err(StoreError::Conflict)
    ));
    let after_cancel = NewCredential {
        enrolment: Some("e-2".into()),
        ..issue(credential(1, 3))
    };
    assert!(matches!(
        store.insert_credential(&after_cancel, draft("credential.issued")).await,
        Err(StoreError::Conflict)
    ));
}

/// Revoking on request names the reason and audits even when none is active.
pub async fn revoking_on_request_audits(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    store
        .insert_credential(&issue(credential(1, 1)), draft("credential.issued"))
        .await
        .unwrap();
    let lookup = LookupKey::from_bytes([1; 32]);
    let revoked = store
        .revoke_credentials(&lookup, "credential_revoked", AT, draft("credential.revoked"))
        .await
        .unwrap();
    assert_eq!(revoked, 1);
    let none = store
        .revoke_credentials(&lookup, "credential_revoked", AT, draft("credential.revoked"))
        .await
        .unwrap();
    assert_eq!(none, 0);
    assert_eq!(audit_len(&store).await, 4);
    let found = store
        .find_credential(&CredentialSerial::from_bytes([1; 16]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status_of(&found), Some("credential_revoked"));
}

/// What the shared SQL layer adds: multi-row statements numbered past a
/// few hundred placeholders (one batch of 400 uses, 1,200 values; a batch
/// of 50 audit entries) and boolean columns, both the same on every
/// database.
pub async fn large_batches_and_flags_round_trip(store: Arc<dyn Store>) {
    let uses: Vec<NonceUse> = (0..400u16)
        .map(|n| {
            let mut nonce = [0u8; 16];
            nonce[..2].copy_from_slice(&n.to_be_bytes());
            NonceUse {
                kind: "qr",
                nonce,
                expires_at_ms: 100 + i64::from(n),
                credential: None,
            }
        })
        .collect();
    let outcomes = store.record_uses(&uses, &|_, _| draft("qr.verified")).await.unwrap();
    assert!(outcomes.iter().all(|o| *o == UseOutcome::Fresh), "{outcomes:?}");
    let again = store.record_uses(&uses[..3], &|_, _| draft("qr.verified")).await.unwrap();
    assert_eq!(again, vec![UseOutcome::Replayed; 3]);
    assert_eq!(audit_len(&store).await, 403);
    let entries = store.list_audit(0, 1_000).await.unwrap();
    assert!(wz_core::verify_chain(None, &entries).is_ok(), "one chain across the batch");

    let terminal = TerminalRow {
        id: "t-off".into(),
        name: "停用终端".into(),
        public_key: vec![4; 65],
        active: false,
        created_at_ms: 1,
    };
    store.insert_terminal(&terminal, draft("terminal.registered")).await.unwrap();
    assert_eq!(store.find_terminal("t-off").await.unwrap(), Some(terminal));
    let suspended = crate::RelyingPartyRow {
        active: false,
        ..super::relying_parties::party("rp-off")
    };
    store.insert_relying_party(&suspended, draft("rp.registered")).await.unwrap();
    assert_eq!(store.find_relying_party("rp-off").await.unwrap(), Some(suspended));
}

/// For the backends' migration tests: after migration 0010 moved the spent
/// wallet codes into the table keyed by expiry (decision 40), the nonce
/// `[7; 16]` that a test wrote with expiry 5000 into `used_nonces` for
/// kinds `qr` and `request` before that migration is still spent.
pub async fn nonces_spent_before_the_split_stay_spent(store: &dyn crate::CredentialStore) {
    for kind in ["qr", "request"] {
        let spent = NonceUse {
            kind,
            nonce: [7; 16],
            expires_at_ms: 5000,
            credential: None,
        };
        assert!(
            !store.consume_nonce(&spent).await.unwrap(),
            "{kind} spent before the split is fresh again"
        );
    }
}

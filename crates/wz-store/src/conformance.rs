//! The conformance suite every backend runs: expand
//! [`store_conformance_suite!`](crate::store_conformance_suite) with an
//! expression that yields a fresh, empty `Arc<dyn Store>` (or `None` to skip).

#![allow(clippy::unwrap_used, clippy::panic)] // test support: a failed step must fail the test loudly

use std::sync::Arc;

use time::macros::datetime;
use time::OffsetDateTime;
use wz_core::{verify_chain, AuditDraft, CardSerial, IdentityStatus, LookupKey, StatusChange};

use crate::{NewIdentity, Store, StoreError};

mod credentials;
mod oidc;
mod relying_parties;
mod sessions;
pub use credentials::*;
pub use oidc::*;
pub use relying_parties::*;
pub use sessions::*;

pub(crate) const AT: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

pub(crate) fn row(n: u8) -> NewIdentity {
    NewIdentity {
        lookup: LookupKey::from_bytes([n; 32]),
        card_serial: CardSerial::from_number(u64::from(n)),
        status: IdentityStatus::Valid,
        sealed: vec![n; 40],
        sealed_portrait: n.is_multiple_of(2).then(|| vec![n; 64]),
    }
}

pub(crate) fn draft(action: &str) -> AuditDraft {
    AuditDraft::new("test", action, None, AT)
}

pub(crate) async fn audit_len(store: &Arc<dyn Store>) -> usize {
    store.list_audit(0, 10_000).await.unwrap().len()
}

/// Inserted rows come back intact and are counted; absent keys are `None`.
pub async fn inserts_and_finds_identities(store: Arc<dyn Store>) {
    let entry = store.insert_identities(&[row(1), row(2)], draft("registry.seeded")).await.unwrap();
    assert_eq!(entry.seq, 1);
    let found = store.find_identity(&LookupKey::from_bytes([2; 32])).await.unwrap().unwrap();
    assert_eq!(found.sealed, vec![2; 40]);
    assert_eq!(found.status, IdentityStatus::Valid);
    assert_eq!(found.card_serial, CardSerial::from_number(2));
    assert!(store.find_identity(&LookupKey::from_bytes([3; 32])).await.unwrap().is_none());
    assert_eq!(store.count_identities().await.unwrap(), 2);
}

/// A batch with one taken key changes nothing, audit included.
pub async fn duplicate_insert_changes_nothing(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    let result = store.insert_identities(&[row(2), row(1)], draft("registry.enrolled")).await;
    assert!(matches!(result, Err(StoreError::AlreadyExists)), "{result:?}");
    assert!(store.find_identity(&LookupKey::from_bytes([2; 32])).await.unwrap().is_none());
    assert_eq!(store.count_identities().await.unwrap(), 1);
    assert_eq!(audit_len(&store).await, 1);
}

/// A seed batch spans several insert statements (1,000 rows each): every
/// row lands with its own values, and a taken key in the last statement
/// undoes the earlier ones.
pub async fn batches_larger_than_one_statement_insert_whole_or_not_at_all(store: Arc<dyn Store>) {
    let big = |n: u32| {
        let mut lookup = [0u8; 32];
        lookup[..4].copy_from_slice(&n.to_be_bytes());
        NewIdentity {
            lookup: LookupKey::from_bytes(lookup),
            card_serial: CardSerial::from_number(u64::from(n)),
            status: if n.is_multiple_of(3) {
                IdentityStatus::ReportedLost
            } else {
                IdentityStatus::Valid
            },
            sealed: n.to_be_bytes().repeat(10),
            sealed_portrait: n.is_multiple_of(2).then(|| vec![7; 16]),
        }
    };
    let rows: Vec<NewIdentity> = (0..2_500).map(big).collect();
    store.insert_identities(&rows, draft("registry.seeded")).await.unwrap();
    assert_eq!(store.count_identities().await.unwrap(), 2_500);
    for n in [0, 999, 1_000, 2_001, 2_499] {
        let found = store.find_identity(&big(n).lookup).await.unwrap().unwrap();
        assert_eq!(
            (found.sealed, found.status, found.card_serial),
            (big(n).sealed, big(n).status, big(n).card_serial),
            "row {n}"
        );
        assert_eq!(
            store.find_portrait(&big(n).lookup).await.unwrap(),
            big(n).sealed_portrait,
            "row {n}"
        );
    }
    let mut again: Vec<NewIdentity> = (2_500..4_600).map(big).collect();
    again.push(big(5));
    let result = store.insert_identities(&again, draft("registry.seeded")).await;
    assert!(matches!(result, Err(StoreError::AlreadyExists)), "{result:?}");
    assert_eq!(store.count_identities().await.unwrap(), 2_500, "nothing of the failed batch stays");
    assert_eq!(audit_len(&store).await, 1);
}

/// A status change updates the row, the history and the audit chain.
pub async fn status_change_is_recorded_with_history_and_audit(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    let lookup = LookupKey::from_bytes([1; 32]);
    let lost = StatusChange::new(IdentityStatus::Valid, IdentityStatus::ReportedLost, "reported_by_holder").unwrap();
    let entry = store
        .update_identity_status(&lookup, &lost, AT, draft("registry.status_changed"))
        .await
        .unwrap();
    assert_eq!(entry.seq, 2);
    let found = store.find_identity(&lookup).await.unwrap().unwrap();
    assert_eq!(found.status, IdentityStatus::ReportedLost);
    assert_eq!(found.updated_at_ms, AT.unix_timestamp() * 1000);
    let history = store.list_status_history(&lookup).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].from, history[0].to, history[0].reason.as_str()),
        (IdentityStatus::Valid, IdentityStatus::ReportedLost, "reported_by_holder")
    );
}

/// A change based on a stale status, or for a missing row, changes nothing.
pub async fn stale_or_missing_status_change_changes_nothing(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1)], draft("registry.enrolled")).await.unwrap();
    let lookup = LookupKey::from_bytes([1; 32]);
    let stale = StatusChange::new(IdentityStatus::Expired, IdentityStatus::Valid, "renewed").unwrap();
    let result = store
        .update_identity_status(&lookup, &stale, AT, draft("registry.status_changed"))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    let missing = StatusChange::new(IdentityStatus::Valid, IdentityStatus::Cancelled, "holder_deceased").unwrap();
    let result = store
        .update_identity_status(&LookupKey::from_bytes([9; 32]), &missing, AT, draft("x"))
        .await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    assert_eq!(store.find_identity(&lookup).await.unwrap().unwrap().status, IdentityStatus::Valid);
    assert!(store.list_status_history(&lookup).await.unwrap().is_empty());
    assert_eq!(audit_len(&store).await, 1);
}

/// Concurrent writers still produce one linear, verifiable chain.
pub async fn concurrent_audit_appends_keep_one_chain(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for i in 0..24u8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            if i % 3 == 0 {
                store.insert_identities(&[row(i)], draft("registry.enrolled")).await.map(|_| ())
            } else {
                store
                    .append_audit(draft("test.event").with_details(serde_json::json!({ "i": i })))
                    .await
                    .map(|_| ())
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let entries = store.list_audit(0, 1000).await.unwrap();
    assert_eq!(entries.len(), 24);
    assert_eq!(verify_chain(None, &entries).unwrap().map(|t| t.0), Some(24));
}

/// Audit pages continue where the previous one ended and verify across pages.
pub async fn audit_pages_are_contiguous(store: Arc<dyn Store>) {
    for i in 0..7 {
        store
            .append_audit(draft("test.event").with_details(serde_json::json!({ "i": i })))
            .await
            .unwrap();
    }
    let first = store.list_audit(0, 3).await.unwrap();
    let second = store.list_audit(3, 3).await.unwrap();
    let third = store.list_audit(6, 3).await.unwrap();
    assert_eq!((first.len(), second.len(), third.len()), (3, 3, 1));
    let tail = verify_chain(None, &first).unwrap();
    let tail = verify_chain(tail, &second).unwrap();
    assert_eq!(verify_chain(tail, &third).unwrap().map(|t| t.0), Some(7));
    assert_eq!(third[0].details, "{\"i\":6}");
}

/// Expands to one `#[tokio::test]` per conformance case. `$make` is an
/// async expression yielding `Option<Arc<dyn Store>>`; `None` skips.
#[macro_export]
macro_rules! store_conformance_suite {
    ($make:expr) => {
        $crate::store_conformance_suite!(@cases $make;
            inserts_and_finds_identities,
            duplicate_insert_changes_nothing,
            status_change_is_recorded_with_history_and_audit,
            stale_or_missing_status_change_changes_nothing,
            concurrent_audit_appends_keep_one_chain,
            audit_pages_are_contiguous,
            issuing_replaces_the_active_credential,
            racing_issuances_leave_one_active,
            card_status_governs_credentials,
            passwords_count_every_attempt,
            nonces_are_single_use,
            enrolments_bind_once_and_complete_with_issuance,
            revoking_on_request_audits,
            relying_parties_register_and_update_once,
            audit_by_subject_lists_newest_first,
            sessions_change_once_and_keep_their_webhook,
            large_batches_and_flags_round_trip,
            portraits_are_stored_apart,
            oidc_authorizations_step_once_and_revoke_their_tokens,
            key_check_values_are_recorded_once,
            quota_leases_never_exceed_the_window_limit,
            batches_larger_than_one_statement_insert_whole_or_not_at_all
        );
    };
    (@cases $make:expr; $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(store) = $make.await {
                    $crate::conformance::$case(store).await;
                }
            }
        )*
    };
}

/// The first instance records its keys' check values; later ones get the
/// recorded values back (to compare with theirs), and a new key name is
/// added without changing the others.
pub async fn key_check_values_are_recorded_once(store: Arc<dyn Store>) {
    let first = vec![
        ("platform-sm2".to_owned(), "aaaa".to_owned()),
        ("registry-data".to_owned(), "bbbb".to_owned()),
    ];
    assert_eq!(store.record_key_check_values(&first, 1_000).await.unwrap(), first);
    let other = vec![
        ("platform-sm2".to_owned(), "cccc".to_owned()),
        ("qr-mac".to_owned(), "dddd".to_owned()),
    ];
    let recorded = store.record_key_check_values(&other, 2_000).await.unwrap();
    assert_eq!(
        recorded,
        vec![
            ("platform-sm2".to_owned(), "aaaa".to_owned()),
            ("qr-mac".to_owned(), "dddd".to_owned()),
            ("registry-data".to_owned(), "bbbb".to_owned()),
        ],
        "a recorded value is never replaced"
    );
}

/// Leases from one window add up to at most its limit, even when many
/// callers race (as instances of a cluster do); a later window starts
/// afresh, an earlier one is charged to the latest, old windows are purged.
pub async fn quota_leases_never_exceed_the_window_limit(store: Arc<dyn Store>) {
    assert_eq!(store.lease_quota("rp:a", 1_000, 4, 10).await.unwrap(), 4);
    assert_eq!(store.lease_quota("rp:a", 1_000, 4, 10).await.unwrap(), 4);
    assert_eq!(store.lease_quota("rp:a", 1_000, 4, 10).await.unwrap(), 2, "only what is left");
    assert_eq!(store.lease_quota("rp:a", 1_000, 4, 10).await.unwrap(), 0, "spent");
    assert_eq!(store.lease_quota("rp:b", 1_000, 4, 10).await.unwrap(), 4, "scopes are apart");
    assert_eq!(
        store.lease_quota("rp:a", 999, 4, 10).await.unwrap(),
        0,
        "a lagging clock is charged to the latest window"
    );
    assert_eq!(store.lease_quota("rp:a", 2_000, 4, 10).await.unwrap(), 4, "a new window");
    assert_eq!(store.lease_quota("rp:a", 2_000, 0, 10).await.unwrap(), 0);

    let racers: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut got = 0;
                for _ in 0..5 {
                    got += store.lease_quota("rp:race", 5_000, 3, 100).await.unwrap();
                }
                got
            })
        })
        .collect();
    let mut total = 0;
    for racer in racers {
        total += racer.await.unwrap();
    }
    assert_eq!(total, 100, "16 × 5 × 3 = 240 asked, exactly the limit granted");

    assert_eq!(store.purge_quota_windows(2_000).await.unwrap(), 1, "rp:b's window of 1000");
    assert_eq!(
        store.lease_quota("rp:b", 1_000, 4, 10).await.unwrap(),
        4,
        "purged windows start afresh"
    );
}

/// The portrait is a row's own column: `find_identity` does not carry it,
/// `find_portrait` does; rows written now are never "whole-sealed", and a
/// reseal that does not match what a row holds changes nothing.
pub async fn portraits_are_stored_apart(store: Arc<dyn Store>) {
    store.insert_identities(&[row(1), row(2)], draft("registry.seeded")).await.unwrap();
    let lookup = |n: u8| LookupKey::from_bytes([n; 32]);
    assert_eq!(store.find_portrait(&lookup(1)).await.unwrap(), None);
    assert_eq!(store.find_portrait(&lookup(2)).await.unwrap(), Some(vec![2; 64]));
    assert_eq!(store.find_portrait(&lookup(9)).await.unwrap(), None);
    assert_eq!(store.find_identity(&lookup(2)).await.unwrap().unwrap().sealed, vec![2; 40]);
    assert!(store.whole_sealed_identities(10).await.unwrap().is_empty());
    let stale = crate::ResealedIdentity {
        lookup: lookup(2),
        whole: vec![2; 40],
        sealed: vec![7; 40],
        sealed_portrait: None,
    };
    assert_eq!(store.reseal_identities(&[stale], draft("registry.resealed")).await.unwrap(), 0);
    assert_eq!(store.find_portrait(&lookup(2)).await.unwrap(), Some(vec![2; 64]), "unchanged");
}

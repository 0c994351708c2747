//! Conformance cases of the relying-party half of the store.

use std::sync::Arc;

use wz_core::AuditDraft;

use super::{audit_len, draft, AT};
use crate::{RelyingPartyRow, Store, StoreError};

pub(crate) fn party(id: &str) -> RelyingPartyRow {
    RelyingPartyRow {
        id: id.into(),
        name: "如家酒店 北京海淀店".into(),
        category: "hotel".into(),
        modes: vec!["qr_verify".into(), "credential".into()],
        grants: vec!["name".into(), "id_number".into()],
        webhook_url: Some("https://hotel.example/wz".into()),
        secret_digest: [9; 32],
        public_key: None,
        alg: "SM2".into(),
        active: true,
        created_at_ms: 1_000,
        updated_at_ms: 1_000,
        oidc: None,
    }
}

/// Registration round-trips; a taken id changes nothing; updates need the
/// version the caller read; the list is ordered by id.
pub async fn relying_parties_register_and_update_once(store: Arc<dyn Store>) {
    let row = party("rp-b");
    store.insert_relying_party(&row, draft("rp.registered")).await.unwrap();
    assert_eq!(store.find_relying_party("rp-b").await.unwrap(), Some(row.clone()));
    assert_eq!(store.find_relying_party("rp-x").await.unwrap(), None);
    let before = audit_len(&store).await;
    assert!(matches!(
        store.insert_relying_party(&party("rp-b"), draft("rp.registered")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(audit_len(&store).await, before, "a refused registration is not audited");

    let mut rotated = row.clone();
    rotated.secret_digest = [7; 32];
    rotated.grants = vec![];
    rotated.updated_at_ms = 2_000;
    rotated.oidc = Some(wz_core::OidcClient {
        redirect_uris: vec!["https://hotel.example/cb".into()],
        jwks: Some(r#"{"keys":[]}"#.into()),
        id_token_alg: wz_core::IdTokenAlg::Sm2,
        access_token_seconds: 300,
    });
    store.update_relying_party(&rotated, 1_000, draft("rp.updated")).await.unwrap();
    assert_eq!(store.find_relying_party("rp-b").await.unwrap(), Some(rotated.clone()));
    let mut stale = rotated.clone();
    stale.secret_digest = [1; 32];
    stale.updated_at_ms = 3_000;
    assert!(matches!(
        store.update_relying_party(&stale, 1_000, draft("rp.updated")).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store.update_relying_party(&party("rp-none"), 1_000, draft("rp.updated")).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_relying_party("rp-b").await.unwrap(), Some(rotated));
    assert_eq!(audit_len(&store).await, before + 1);

    store.insert_relying_party(&party("rp-a"), draft("rp.registered")).await.unwrap();
    let ids: Vec<String> = store.list_relying_parties().await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, vec!["rp-a", "rp-b"]);
}

/// The history query returns one subject's entries of one action, newest
/// first, limited.
pub async fn audit_by_subject_lists_newest_first(store: Arc<dyn Store>) {
    for i in 0..5 {
        let subject = if i % 2 == 0 { "cn:aaaa" } else { "cn:bbbb" };
        let audit = AuditDraft::new("rp-a", "auth.completed", Some(subject.into()), AT).with_details(serde_json::json!({ "i": i }));
        store.append_audit(audit).await.unwrap();
    }
    store
        .append_audit(AuditDraft::new("x", "credential.issued", Some("cn:aaaa".into()), AT))
        .await
        .unwrap();
    let mine = store.list_audit_by_subject("cn:aaaa", "auth.completed", 10).await.unwrap();
    let order: Vec<String> = mine.iter().map(|e| e.details.clone()).collect();
    assert_eq!(order, vec![r#"{"i":4}"#, r#"{"i":2}"#, r#"{"i":0}"#]);
    assert_eq!(store.list_audit_by_subject("cn:aaaa", "auth.completed", 2).await.unwrap().len(), 2);
    assert!(store
        .list_audit_by_subject("cn:cccc", "auth.completed", 10)
        .await
        .unwrap()
        .is_empty());
}

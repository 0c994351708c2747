//! Conformance cases of the session half of the store.

use std::sync::Arc;

use super::{audit_len, draft};
use crate::conformance::relying_parties::party;
use crate::{SessionChange, SessionRow, Store, StoreError, WebhookRow};

pub(super) fn session(id: &str, expires_at_ms: i64) -> SessionRow {
    SessionRow {
        id: id.into(),
        rp_id: "rp-s".into(),
        mode: "credential".into(),
        purpose: "开户".into(),
        attributes: vec!["name".into()],
        transaction_id: Some("t1".into()),
        label: Some("股东甲".into()),
        state: "created".into(),
        secret: [5; 32],
        device_key: None,
        result: None,
        created_at_ms: 1_000,
        expires_at_ms,
        updated_at_ms: 1_000,
    }
}

fn change(from: &str, to: &str, at_ms: i64) -> SessionChange {
    SessionChange {
        from: from.into(),
        to: to.into(),
        device_key: None,
        result: None,
        at_ms,
    }
}

/// Of racing wallets exactly one moves a session on; an expired session
/// moves no more; a completion writes its webhook in the same transaction.
pub async fn sessions_change_once_and_keep_their_webhook(store: Arc<dyn Store>) {
    store.insert_relying_party(&party("rp-s"), draft("rp.registered")).await.unwrap();
    store
        .insert_sessions(&[session("s1", 100_000), session("s2", 2_000)], draft("session.created"))
        .await
        .unwrap();
    assert!(matches!(
        store.insert_sessions(&[session("s1", 100_000)], draft("session.created")).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.list_transaction_sessions("t1").await.unwrap().len(), 2);

    let before = audit_len(&store).await;
    let racers: Vec<_> = (0..8u8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let scan = SessionChange {
                    device_key: Some(vec![i; 33]),
                    ..change("created", "scanned", 5_000)
                };
                store.change_session("s1", &scan, None, draft("session.scanned")).await.is_ok()
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        winners += usize::from(racer.await.unwrap());
    }
    assert_eq!(winners, 1);
    assert_eq!(audit_len(&store).await, before + 1, "losers are not audited");
    let found = store.find_session("s1").await.unwrap().unwrap();
    assert_eq!(found.state, "scanned");
    assert_eq!(found.device_key.as_ref().map(Vec::len), Some(33));

    assert!(matches!(
        store
            .change_session("s2", &change("created", "scanned", 3_000), None, draft("x"))
            .await,
        Err(StoreError::Conflict)
    ));

    let hook = WebhookRow {
        id: "s1:completed".into(),
        rp_id: "rp-s".into(),
        url: "https://rp.example/hook".into(),
        body: "{}".into(),
        attempts: 0,
        next_attempt_at_ms: 6_000,
        delivered_at_ms: None,
    };
    let done = SessionChange {
        result: Some("{\"result\":\"success\"}".into()),
        ..change("scanned", "completed", 6_000)
    };
    store
        .change_session("s1", &done, Some(&hook), draft("session.completed"))
        .await
        .unwrap();
    assert!(matches!(
        store.change_session("s1", &done, Some(&hook), draft("session.completed")).await,
        Err(StoreError::Conflict)
    ));
    let found = store.find_session("s1").await.unwrap().unwrap();
    assert_eq!(
        (found.state.as_str(), found.result.as_deref()),
        ("completed", Some("{\"result\":\"success\"}"))
    );
    assert_eq!(found.device_key.as_ref().map(Vec::len), Some(33), "kept through later changes");

    assert!(store.due_webhooks(5_999, 10).await.unwrap().is_empty());
    let due = store.due_webhooks(6_000, 10).await.unwrap();
    assert_eq!(due, vec![hook.clone()]);
    // Two instances read it due at 6 000: the first claim wins, the second
    // (on the value it read) does not.
    assert!(store.claim_webhook(&hook.id, 6_000, 21_000).await.unwrap());
    assert!(!store.claim_webhook(&hook.id, 6_000, 21_000).await.unwrap());
    assert!(
        store.due_webhooks(20_999, 10).await.unwrap().is_empty(),
        "claimed: not due to anyone"
    );
    store.record_webhook_attempt(&hook.id, 1, 8_000, None).await.unwrap();
    assert!(store.due_webhooks(7_000, 10).await.unwrap().is_empty());
    assert_eq!(store.due_webhooks(8_000, 10).await.unwrap()[0].attempts, 1);
    store.record_webhook_attempt(&hook.id, 2, 8_000, Some(8_100)).await.unwrap();
    assert!(store.due_webhooks(100_000, 10).await.unwrap().is_empty());
    assert!(
        !store.claim_webhook(&hook.id, 8_000, 30_000).await.unwrap(),
        "a delivered webhook is not claimed"
    );
}

//! Conformance cases of the OpenID Connect provider's storage.

use std::sync::Arc;

use super::{audit_len, draft};
use crate::{
    OidcAuthorizationRow, OidcAuthorizationState as S, OidcLookup, OidcRedemption, OidcStep, OidcTokenRow, SessionRow, Store, StoreError,
};

fn authorization(id: &str, request_uri: &str) -> OidcAuthorizationRow {
    OidcAuthorizationRow {
        id: id.into(),
        rp_id: "rp-o".into(),
        request: r#"{"redirect_uri":"https://rp.example/cb"}"#.into(),
        request_uri: Some(request_uri.into()),
        session_id: None,
        browser: None,
        code_digest: None,
        state: S::Pushed,
        expires_at_ms: 60_000,
        created_at_ms: 1_000,
        updated_at_ms: 1_000,
    }
}

fn step(from: S, to: S) -> OidcStep {
    OidcStep::new(from, to, 90_000, 2_000)
}

/// A pushed request is found once by its URI (starting clears it); each
/// step happens once; the code finds its authorization; redeeming (in a
/// batch) stores the token with the audit entry once per code, whatever
/// else the batch holds; ending revokes the tokens.
pub async fn oidc_authorizations_step_once_and_revoke_their_tokens(store: Arc<dyn Store>) {
    store
        .insert_relying_party(&super::relying_parties::party("rp-o"), draft("rp.registered"))
        .await
        .unwrap();
    let row = authorization("a-1", "urn:ietf:params:oauth:request_uri:one");
    store.insert_oidc_authorization(&row).await.unwrap();
    assert!(matches!(
        store
            .insert_oidc_authorization(&authorization("a-2", "urn:ietf:params:oauth:request_uri:one"))
            .await,
        Err(StoreError::AlreadyExists)
    ));
    let by_uri = store.find_oidc_authorization_by(OidcLookup::RequestUri("urn:ietf:params:oauth:request_uri:one"));
    assert_eq!(by_uri.await.unwrap(), Some(row.clone()));

    let signing_in = SessionRow {
        rp_id: "rp-o".into(),
        transaction_id: None,
        label: None,
        ..super::sessions::session("s-o", 100_000)
    };
    store
        .insert_sessions(std::slice::from_ref(&signing_in), draft("session.created"))
        .await
        .unwrap();
    let start = OidcStep {
        browser: Some([3; 32]),
        session_id: Some("s-o".into()),
        ..step(S::Pushed, S::Started)
    };
    store.step_oidc_authorization("a-1", &start, None, None).await.unwrap();
    assert!(matches!(
        store.step_oidc_authorization("a-1", &start, None, None).await,
        Err(StoreError::Conflict)
    ));
    let started = store.find_oidc_authorization("a-1").await.unwrap().unwrap();
    assert_eq!(
        (started.state, started.request_uri, started.browser),
        (S::Started, None, Some([3; 32]))
    );
    let by_uri = store.find_oidc_authorization_by(OidcLookup::RequestUri("urn:ietf:params:oauth:request_uri:one"));
    assert_eq!(by_uri.await.unwrap(), None, "a request URI is used once");

    let issue = OidcStep {
        code_digest: Some([5; 32]),
        ..step(S::Started, S::CodeIssued)
    };
    store.step_oidc_authorization("a-1", &issue, None, None).await.unwrap();
    let by_code = store.find_oidc_authorization_by(OidcLookup::Code(&[5; 32])).await.unwrap().unwrap();
    assert_eq!(by_code.id, "a-1");
    let (with_session, session) = store.find_oidc_code(&[5; 32]).await.unwrap().unwrap();
    assert_eq!((with_session, session), (by_code, Some(signing_in)), "the session is read with it");
    assert_eq!(store.find_oidc_code(&[6; 32]).await.unwrap(), None);
    assert_eq!(store.find_oidc_authorization_by(OidcLookup::Code(&[6; 32])).await.unwrap(), None);

    let token = OidcTokenRow {
        digest: [8; 32],
        authorization_id: "a-1".into(),
        rp_id: "rp-o".into(),
        jkt: Some("thumbprint".into()),
        expires_at_ms: 600_000,
        revoked: false,
    };
    store
        .insert_oidc_authorization(&authorization("a-3", "urn:ietf:params:oauth:request_uri:three"))
        .await
        .unwrap();
    let redemption = |id: &str, digest: u8| OidcRedemption {
        authorization_id: id.into(),
        at_ms: 3_000,
        token: OidcTokenRow {
            digest: [digest; 32],
            authorization_id: id.into(),
            ..token.clone()
        },
        audit: draft("oidc.token_issued"),
    };
    let before = audit_len(&store).await;
    // One batch: a-1 twice (the second is the code raced), a-3 never issued a code.
    let batch = [redemption("a-1", 8), redemption("a-1", 9), redemption("a-3", 10)];
    assert_eq!(store.redeem_oidc_codes(&batch).await.unwrap(), vec![true, false, false]);
    assert_eq!(audit_len(&store).await, before + 1, "only the redemption that counted is audited");
    let redeemed = store.find_oidc_authorization("a-1").await.unwrap().unwrap();
    assert_eq!(
        (redeemed.state, redeemed.expires_at_ms, redeemed.updated_at_ms),
        (S::Redeemed, 600_000, 3_000)
    );
    assert_eq!(store.find_oidc_authorization("a-3").await.unwrap().unwrap().state, S::Pushed);
    assert_eq!(
        store.redeem_oidc_codes(&[redemption("a-1", 11)]).await.unwrap(),
        vec![false],
        "a redeemed code is not redeemed again"
    );
    for refused in [9, 10, 11] {
        assert_eq!(
            store.find_oidc_token(&[refused; 32]).await.unwrap(),
            None,
            "a refused redemption stores no token"
        );
    }
    assert_eq!(audit_len(&store).await, before + 1, "a refused redemption is not audited");
    assert!(store.redeem_oidc_codes(&[]).await.unwrap().is_empty());
    assert_eq!(store.find_oidc_token(&[8; 32]).await.unwrap(), Some(token.clone()));

    store
        .step_oidc_authorization("a-1", &step(S::Redeemed, S::Ended), None, Some(draft("oidc.code_reused")))
        .await
        .unwrap();
    let revoked = store.find_oidc_token(&[8; 32]).await.unwrap().unwrap();
    assert!(revoked.revoked);
    assert_eq!(store.find_oidc_authorization("a-1").await.unwrap().unwrap().state, S::Ended);
}

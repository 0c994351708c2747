//! Conformance cases of the OpenID Connect provider's storage.

use std::sync::Arc;

use super::{audit_len, draft};
use crate::{OidcAuthorizationRow, OidcAuthorizationState as S, OidcLookup, OidcStep, OidcTokenRow, Store, StoreError};

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
/// step happens once; the code finds its authorization; redeeming stores
/// the token with the audit entry; ending revokes the tokens.
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

    let start = OidcStep {
        browser: Some([3; 32]),
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
    assert_eq!(store.find_oidc_authorization_by(OidcLookup::Code(&[6; 32])).await.unwrap(), None);

    let token = OidcTokenRow {
        digest: [8; 32],
        authorization_id: "a-1".into(),
        rp_id: "rp-o".into(),
        jkt: Some("thumbprint".into()),
        expires_at_ms: 600_000,
        revoked: false,
    };
    let before = audit_len(&store).await;
    let redeem = step(S::CodeIssued, S::Redeemed);
    let entry = store
        .step_oidc_authorization("a-1", &redeem, Some(&token), Some(draft("oidc.token_issued")))
        .await
        .unwrap();
    assert!(entry.is_some());
    assert_eq!(audit_len(&store).await, before + 1);
    assert!(matches!(
        store
            .step_oidc_authorization(
                "a-1",
                &redeem,
                Some(&OidcTokenRow {
                    digest: [9; 32],
                    ..token.clone()
                }),
                Some(draft("oidc.token_issued"))
            )
            .await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.find_oidc_token(&[9; 32]).await.unwrap(),
        None,
        "a refused step stores no token"
    );
    assert_eq!(audit_len(&store).await, before + 1, "a refused step is not audited");
    assert_eq!(store.find_oidc_token(&[8; 32]).await.unwrap(), Some(token.clone()));

    store
        .step_oidc_authorization("a-1", &step(S::Redeemed, S::Ended), None, Some(draft("oidc.code_reused")))
        .await
        .unwrap();
    let revoked = store.find_oidc_token(&[8; 32]).await.unwrap().unwrap();
    assert!(revoked.revoked);
    assert_eq!(store.find_oidc_authorization("a-1").await.unwrap().unwrap().state, S::Ended);
}

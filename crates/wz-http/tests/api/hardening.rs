//! The findings of the outside probe (issue #12), each as it was
//! reproduced against the running server: every test here failed before
//! its fix. (QR codes, card reads and the PNG bomb have theirs beside the
//! other tests of those paths.)

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wz_client::ClientError;
use wz_proto::{CreateSessionRequest, RelyingPartyRequest};
use wz_testkit::{spawn_server, spawn_server_with};

use crate::audit_len;

fn party(name: &str, webhook: Option<&str>) -> RelyingPartyRequest {
    RelyingPartyRequest {
        name: name.into(),
        category: "bank".into(),
        modes: vec!["credential".into()],
        grants: vec![],
        webhook_url: webhook.map(Into::into),
        public_key: None,
        alg: None,
        oidc: None,
    }
}

fn code<T: std::fmt::Debug>(result: Result<T, ClientError>) -> String {
    result.unwrap_err().code().unwrap_or("transport").to_owned()
}

#[tokio::test]
async fn webhook_urls_pointing_inside_are_refused_and_change_nothing() {
    let server = spawn_server().await;
    let before = audit_len(&server).await;
    for url in [
        "http://127.0.0.1:1@[::1]:18402/x",
        "http://localhost:x@127.0.0.2:18403/",
        "http://127.0.0.1:80@169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://[::1]/hook",
        "https://localhost:8080/v1/admin/audit/verify",
        "https://user:pass@bank.example/hook",
        "https://2130706433/hook",
        "http://bank.example/hook",
    ] {
        let refused = server.admin.register_relying_party(&party("某银行", Some(url))).await;
        assert_eq!(code(refused), "invalid_request", "{url}");
    }
    assert_eq!(audit_len(&server).await, before, "a refused registration changed something");
    // A public https name is accepted, normalised.
    let accepted = server
        .admin
        .register_relying_party(&party("某银行", Some("https://Hooks.Bank.Example/wz")))
        .await
        .unwrap();
    let listed = server.client.relying_parties().await.unwrap();
    assert!(listed
        .relying_parties
        .iter()
        .any(|p| p.id == accepted.relying_party.id && p.webhook));
}

#[tokio::test]
async fn custom_methods_share_one_metric_label() {
    let server = spawn_server().await;
    let http = reqwest::Client::new();
    let size = || async {
        http.get(format!("{}/metrics", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let custom = |i: usize| reqwest::Method::from_bytes(format!("X{i:03}{}", "M".repeat(2_000)).as_bytes()).unwrap();
    // One of each first, so that every label set of this test exists.
    let _ = http.request(custom(999), format!("{}/healthz", server.url)).send().await.unwrap();
    let _ = size().await; // the scrape counts itself after answering
    let before = size().await.len();
    for i in 0..200 {
        let _ = http.request(custom(i), format!("{}/healthz", server.url)).send().await.unwrap();
    }
    let after = size().await;
    assert!(after.contains("method=\"other\""), "{after}");
    // 200 more distinct 2 KB methods changed counters, not label sets.
    assert!(after.len() < before + 200, "metrics grew from {before} to {} bytes", after.len());
}

#[tokio::test]
async fn a_request_whose_headers_never_finish_is_closed() {
    let server = spawn_server_with(|config| config.server.header_read_timeout_seconds = 1).await;
    let mut tcp = tokio::net::TcpStream::connect(server.url.trim_start_matches("http://"))
        .await
        .unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let mut buffer = [0u8; 1024];
    // The server closes (perhaps after a 408) instead of waiting for ever.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match tcp.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the connection was still open after 5 s");
    // A complete request on a fresh connection is served as before.
    assert!(server.client.health().await.is_ok());
}

#[tokio::test]
async fn display_strings_refuse_bidi_controls_and_line_breaks() {
    let server = spawn_server().await;
    let before = audit_len(&server).await;
    for name in ["某银行\u{202E}", "某银行\r\n客服", "a\u{2066}b"] {
        assert_eq!(
            code(server.admin.register_relying_party(&party(name, None)).await),
            "invalid_request",
            "{name:?}"
        );
    }
    let registered = server.admin.register_relying_party(&party("某银行", None)).await.unwrap();
    let auth = (registered.relying_party.id.as_str(), registered.client_secret.as_str());
    let after_registration = audit_len(&server).await;
    assert_eq!(after_registration, before + 1);
    for purpose in ["登录\u{202E}元 001 付支", "登录\r\n转账 10000 元", "登录\u{2028}转账"] {
        let request = CreateSessionRequest {
            mode: "credential".into(),
            purpose: format!("x{purpose}"),
            attributes: vec![],
            expires_in_seconds: None,
        };
        assert_eq!(
            code(server.client.create_session(auth, &request).await),
            "invalid_request",
            "{purpose:?}"
        );
    }
    assert_eq!(audit_len(&server).await, after_registration);
}

//! Authentication sessions over HTTP: the service-window flow with its
//! rotating QR frame, consent and decline, racing wallets, result to both
//! sides (long-poll, server-sent events within a second, signed webhook
//! delivered once per idempotency key even after a failed attempt), RP
//! isolation, cancellation, and remote multi-party transactions.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wz_core::{session_frame, unix_ms};
use wz_crypto::Sm2VerifyingKey;
use wz_proto::{CompleteSessionRequest, CreateSessionRequest, CreateTransactionRequest, RelyingPartyRequest};
use wz_service::{Clock, SystemClock};
use wz_testkit::{wallet, KeySigner, TestServer};

use crate::credentials::{apply, dev_face, server_with_portraits};

/// A webhook receiver: answers 500 to the first delivery, then 200;
/// records every delivery it accepted (idempotency key, body, signature).
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(String, String, String)>>>,
    refused_once: Arc<Mutex<bool>>,
}

async fn start_receiver() -> (String, Receiver) {
    use axum::http::{HeaderMap, StatusCode};
    let receiver = Receiver::default();
    let state = receiver.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let mut refused = state.refused_once.lock().unwrap();
                if !*refused {
                    *refused = true;
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                state
                    .seen
                    .lock()
                    .unwrap()
                    .push((header("idempotency-key"), body, header("x-wz-signature")));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receiver)
}

pub(crate) struct Party {
    pub(crate) id: String,
    pub(crate) secret: String,
}

impl Party {
    pub(crate) fn auth(&self) -> (&str, &str) {
        (&self.id, &self.secret)
    }
}

pub(crate) async fn register(server: &TestServer, name: &str, grants: &[&str], webhook: Option<String>) -> Party {
    let request = RelyingPartyRequest {
        name: name.into(),
        category: "government".into(),
        modes: vec!["credential".into(), "portrait_credential".into()],
        grants: grants.iter().map(|g| (*g).into()).collect(),
        webhook_url: webhook,
        public_key: None,
        alg: None,
        oidc: None,
    };
    let registered = server.admin.register_relying_party(&request).await.unwrap();
    Party {
        id: registered.relying_party.id,
        secret: registered.client_secret,
    }
}

pub(crate) fn ask(mode: &str) -> CreateSessionRequest {
    CreateSessionRequest {
        mode: mode.into(),
        purpose: "社保卡申领".into(),
        attributes: vec!["name".into(), "id_number".into()],
        expires_in_seconds: None,
    }
}

/// A citizen with a light credential: wallet, credential, QR key.
pub(crate) async fn citizen(server: &TestServer, person: &wz_core::IdentityRecord, face: &str) -> (KeySigner, String, String) {
    let phone = wallet();
    let issued = apply(&server.client, &phone, person, &dev_face(face)).await.unwrap();
    (phone, issued.credential, issued.qr_key)
}

pub(crate) fn secret_bytes(hex_text: &str) -> [u8; 32] {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

/// Reads server-sent events until one reports a final state; returns the
/// states seen and when the last arrived.
/// Follows a session's event stream to a final state; `opened` fires with
/// the first event, so the caller acts only once the stream is there.
pub(crate) async fn watch(
    url: String,
    party: (String, String),
    opened: tokio::sync::oneshot::Sender<()>,
) -> (Vec<serde_json::Value>, Instant) {
    let mut opened = Some(opened);
    let mut response = reqwest::Client::new()
        .get(url)
        .basic_auth(party.0, Some(party.1))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let (mut buffer, mut events) = (String::new(), Vec::new());
    while let Some(chunk) = response.chunk().await.unwrap() {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                let event: serde_json::Value = serde_json::from_str(data).unwrap();
                let state = event["state"].as_str().unwrap().to_owned();
                events.push(event);
                if let Some(opened) = opened.take() {
                    let _ = opened.send(());
                }
                if ["completed", "declined", "expired", "cancelled"].contains(&state.as_str()) {
                    return (events, Instant::now());
                }
            }
        }
    }
    (events, Instant::now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_session_completes_once_and_reaches_both_sides() {
    // The receiver is on loopback over plain http: the operator lists it.
    let (server, people) = server_with_portraits(2, |config| {
        config.webhooks.allow_http = true;
        config.webhooks.allowed_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    let client = &server.client;
    let (hook_url, receiver) = start_receiver().await;
    let window = register(&server, "海淀区政务服务中心", &["name", "id_number"], Some(hook_url)).await;
    let other = register(&server, "另一家依赖方", &[], None).await;
    let citizens = [
        citizen(&server, &people[0], "Colin_Powell/1.jpg").await,
        citizen(&server, &people[1], "George_W_Bush/1.jpg").await,
    ];
    let phone = &citizens[0].0;

    let created = client.create_session(window.auth(), &ask("credential")).await.unwrap();
    let secret = secret_bytes(&created.secret);
    assert!(created.expires_at_ms - unix_ms(SystemClock.now()) <= 120_000);
    // Another RP cannot see it.
    assert_eq!(
        client.session(other.auth(), &created.session_id, None).await.unwrap_err().code(),
        Some("session_not_found")
    );
    let (opened, stream_open) = tokio::sync::oneshot::channel();
    let sse = tokio::spawn(watch(
        format!("{}/v1/sessions/{}/events", server.url, created.session_id),
        (window.id.clone(), window.secret.clone()),
        opened,
    ));
    // On a busy machine the spawned watcher may connect late: it must see
    // `created` before anything happens to the session.
    stream_open.await.unwrap();

    // A frame photographed three seconds ago is stale; a forged one invalid.
    let old = session_frame(&secret, &created.session_id, unix_ms(SystemClock.now()) - 3_500);
    assert_eq!(
        client.scan_session(&old, phone).await.unwrap_err().code(),
        Some("session_frame_stale")
    );
    let forged = session_frame(&[0; 32], &created.session_id, unix_ms(SystemClock.now()));
    assert_eq!(
        client.scan_session(&forged, phone).await.unwrap_err().code(),
        Some("session_frame_invalid")
    );

    // Two wallets race to scan the current frame: one wins.
    let frame = session_frame(&secret, &created.session_id, unix_ms(SystemClock.now()));
    let (first, second) = tokio::join!(
        client.scan_session(&frame, &citizens[0].0),
        client.scan_session(&frame, &citizens[1].0)
    );
    let (scanned, winner, loser) = match (first, second) {
        (Ok(scanned), Err(e)) => (scanned, 0, e),
        (Err(e), Ok(scanned)) => (scanned, 1, e),
        other => panic!("exactly one scan must win: {other:?}"),
    };
    assert_eq!(loser.code(), Some("session_state"));
    let (phone, credential, qr_key) = &citizens[winner];
    let rival = &citizens[1 - winner].0;
    let person = &people[winner];
    assert_eq!(scanned.rp_name, "海淀区政务服务中心");
    assert_eq!(scanned.purpose, "社保卡申领");
    assert_eq!(scanned.released, vec!["id_number", "name"]);
    // The rival cannot act on the session either.
    assert_eq!(
        client.consent_session(&created.session_id, rival).await.unwrap_err().code(),
        Some("session_not_found")
    );
    let polled = client.session(window.auth(), &created.session_id, None).await.unwrap();
    assert_eq!(polled.state, "scanned");

    // Completing before consent is refused; after it, once.
    let proof = || CompleteSessionRequest {
        code: phone.qr(credential, qr_key).unwrap(),
        ..Default::default()
    };
    assert_eq!(
        client
            .complete_session(&created.session_id, &proof(), phone)
            .await
            .unwrap_err()
            .code(),
        Some("session_state")
    );
    client.consent_session(&created.session_id, phone).await.unwrap();
    let long_poll = {
        let (client, id, party) = (
            client.clone(),
            created.session_id.clone(),
            (window.id.clone(), window.secret.clone()),
        );
        tokio::spawn(async move { client.session((&party.0, &party.1), &id, Some((10, "consented"))).await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let submitted = Instant::now();
    let in_wallet = client.complete_session(&created.session_id, &proof(), phone).await.unwrap();
    assert_eq!((in_wallet.result.as_str(), in_wallet.level.as_deref()), ("success", Some("L3")));
    assert_eq!(in_wallet.attributes["name"], person.name);
    assert_eq!(
        client
            .complete_session(&created.session_id, &proof(), phone)
            .await
            .unwrap_err()
            .code(),
        Some("session_state"),
        "a session completes once"
    );

    let (events, arrived) = sse.await.unwrap();
    let states: Vec<&str> = events.iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(states.first(), Some(&"created"));
    assert_eq!(states.last(), Some(&"completed"));
    assert!(arrived.duration_since(submitted) < Duration::from_secs(1), "SSE within a second");
    let last = events.last().unwrap();
    assert_eq!(last["result"]["subject"], serde_json::json!(in_wallet.subject));
    let polled = long_poll.await.unwrap();
    assert_eq!(polled.state, "completed");
    assert_eq!(
        polled.result.unwrap().signed,
        in_wallet.signed,
        "both sides hold the same signed result"
    );
    // At rest the result (which holds the released name) is sealed.
    let stored = server
        .opened
        .services
        .context
        .store
        .find_session(&created.session_id)
        .await
        .unwrap()
        .unwrap();
    let stored = stored.result.unwrap();
    assert!(!stored.contains(&person.name) && !stored.contains(&in_wallet.signed.payload));

    // The webhook: refused once, then delivered exactly once, signed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.seen.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one delivery per idempotency key");
    let (key, body, signature) = &seen[0];
    assert_eq!(key, &format!("{}:completed", created.session_id));
    let keys = client.keys().await.unwrap();
    let platform = keys
        .keys
        .iter()
        .find(|k| k.alg == "SM2" && k.usage.contains("result"))
        .unwrap_or(&keys.keys[0]);
    let platform = Sm2VerifyingKey::from_sec1_bytes(&hex::decode(&platform.sec1_hex).unwrap(), "sm2").unwrap();
    assert!(wz_core::verify_webhook(&platform, body, signature));
    assert!(!wz_core::verify_webhook(
        &platform,
        &body.replace("session.completed", "session.declined"),
        signature
    ));
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["event"], "session.completed");
    assert_eq!(body["result"]["payload"], serde_json::json!(in_wallet.signed.payload));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_cancelled_and_expired_sessions_say_so() {
    let (server, people) = server_with_portraits(1, |_| {}).await;
    let client = &server.client;
    let window = register(&server, "海淀区政务服务中心", &[], None).await;
    let (phone, _, _) = citizen(&server, &people[0], "Colin_Powell/1.jpg").await;

    let created = client.create_session(window.auth(), &ask("credential")).await.unwrap();
    let frame = session_frame(&secret_bytes(&created.secret), &created.session_id, unix_ms(SystemClock.now()));
    client.scan_session(&frame, &phone).await.unwrap();
    client.decline_session(&created.session_id, &phone).await.unwrap();
    assert_eq!(
        client.session(window.auth(), &created.session_id, None).await.unwrap().state,
        "declined"
    );
    assert_eq!(
        client.consent_session(&created.session_id, &phone).await.unwrap_err().code(),
        Some("session_state")
    );

    let cancelled = client.create_session(window.auth(), &ask("credential")).await.unwrap();
    assert_eq!(
        client.cancel_session(window.auth(), &cancelled.session_id).await.unwrap().state,
        "cancelled"
    );
    let frame = session_frame(&secret_bytes(&cancelled.secret), &cancelled.session_id, unix_ms(SystemClock.now()));
    assert_eq!(client.scan_session(&frame, &phone).await.unwrap_err().code(), Some("session_state"));

    let short = CreateSessionRequest {
        expires_in_seconds: Some(10),
        ..ask("credential")
    };
    let long = CreateSessionRequest {
        expires_in_seconds: Some(121),
        ..ask("credential")
    };
    assert_eq!(
        client.create_session(window.auth(), &long).await.unwrap_err().code(),
        Some("invalid_request")
    );
    let not_a_wallet_mode = ask("id_name");
    assert_eq!(
        client.create_session(window.auth(), &not_a_wallet_mode).await.unwrap_err().code(),
        Some("invalid_request")
    );
    let brief = client.create_session(window.auth(), &short).await.unwrap();
    assert!(brief.expires_at_ms - unix_ms(SystemClock.now()) <= 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_party_transaction_shows_each_participant() {
    let (server, people) = server_with_portraits(2, |_| {}).await;
    let client = &server.client;
    let firm = register(&server, "某市市场监管局 股东会决议", &["name"], None).await;
    let stranger = register(&server, "另一家依赖方", &[], None).await;
    let shareholders = [
        citizen(&server, &people[0], "Colin_Powell/1.jpg").await,
        citizen(&server, &people[1], "George_W_Bush/1.jpg").await,
    ];
    let request = CreateTransactionRequest {
        mode: "credential".into(),
        purpose: "股东会决议签署".into(),
        attributes: vec!["name".into()],
        expires_in_seconds: Some(3600),
        participants: vec!["股东甲".into(), "股东乙".into()],
    };
    let created = client.create_transaction(firm.auth(), &request).await.unwrap();
    assert_eq!(created.participants.len(), 2);
    assert_eq!(
        client
            .transaction(stranger.auth(), &created.transaction_id)
            .await
            .unwrap_err()
            .code(),
        Some("session_not_found")
    );
    let status = client.transaction(firm.auth(), &created.transaction_id).await.unwrap();
    assert_eq!(status.state, "pending");

    // Each participant opens their own invitation on their own phone.
    let (phone, credential, qr_key) = &shareholders[0];
    let invitation = &created.participants[0];
    let scanned = client.scan_session(&invitation.invitation, phone).await.unwrap();
    assert_eq!(scanned.purpose, "股东会决议签署");
    client.consent_session(&invitation.session_id, phone).await.unwrap();
    let proof = CompleteSessionRequest {
        code: phone.qr(credential, qr_key).unwrap(),
        ..Default::default()
    };
    client.complete_session(&invitation.session_id, &proof, phone).await.unwrap();
    let status = client.transaction(firm.auth(), &created.transaction_id).await.unwrap();
    let states: Vec<&str> = status.participants.iter().map(|p| p.state.as_str()).collect();
    assert_eq!((status.state.as_str(), states), ("pending", vec!["completed", "created"]));
    let first_label = status.participants.iter().find(|p| p.state == "completed").unwrap().label.clone();
    assert_eq!(first_label.as_deref(), Some("股东甲"));

    // A window frame is not an invitation, and a forged invitation fails.
    let forged = format!("WZI1:{}:{}", created.participants[1].session_id, "00".repeat(32));
    let (phone, credential, qr_key) = &shareholders[1];
    assert_eq!(
        client.scan_session(&forged, phone).await.unwrap_err().code(),
        Some("session_frame_invalid")
    );
    let invitation = &created.participants[1];
    client.scan_session(&invitation.invitation, phone).await.unwrap();
    client.consent_session(&invitation.session_id, phone).await.unwrap();
    let proof = CompleteSessionRequest {
        code: phone.qr(credential, qr_key).unwrap(),
        ..Default::default()
    };
    client.complete_session(&invitation.session_id, &proof, phone).await.unwrap();
    let status = client.transaction(firm.auth(), &created.transaction_id).await.unwrap();
    assert_eq!(status.state, "completed");
    let names: Vec<String> = status
        .participants
        .iter()
        .map(|p| p.result.as_ref().unwrap().attributes["name"].clone())
        .collect();
    assert!(names.contains(&people[0].name) && names.contains(&people[1].name));
}

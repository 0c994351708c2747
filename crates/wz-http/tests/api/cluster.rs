//! Several instances over one PostgreSQL database, as an operator runs them
//! behind a load balancer (run when `WZ_TEST_DATABASE_URL` is set; each test
//! gets its own schema). The instances share one keys directory and talk
//! to each other only through the database: a session change's commit
//! notifies, every instance listens.

use std::time::{Duration, Instant};

use wz_core::{session_frame, unix_ms, IdentityRecord, IdentityStatus, Validity};
use wz_proto::{CompleteSessionRequest, CreateTransactionRequest, QrVerifyRequest, SessionStatus};
use wz_service::{Clock, SystemClock};
use wz_testkit::{fresh_schema_url, generated_people, spawn_server_with, TestServer, TEST_NOW};

use crate::credentials::{dev_face, verifier};
use crate::sessions::{ask, citizen, register, secret_bytes, watch, Party};

/// `n` instances on a fresh schema of the test database, with `people`
/// seeded (portraits from the dev set); `None` without a database.
async fn cluster(n: usize, people: usize) -> Option<(Vec<TestServer>, Vec<IdentityRecord>, tempfile::TempDir)> {
    cluster_with(n, people, |_| {}).await
}

/// [`cluster`] with every instance's configuration adjusted.
async fn cluster_with(
    n: usize,
    people: usize,
    adjust: impl Fn(&mut wz_server::Config) + Clone + Send + 'static,
) -> Option<(Vec<TestServer>, Vec<IdentityRecord>, tempfile::TempDir)> {
    let Ok(url) = std::env::var("WZ_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: WZ_TEST_DATABASE_URL is not set; the cluster tests need PostgreSQL");
        return None;
    };
    let database = fresh_schema_url(&url, "wz_test_cluster").await;
    // One keys directory for all: what a mounted secret gives each instance.
    let keys = tempfile::tempdir().unwrap();
    let mut servers = Vec::new();
    for _ in 0..n {
        let (database, dir, adjust) = (database.clone(), keys.path().to_path_buf(), adjust.clone());
        servers.push(
            spawn_server_with(move |config| {
                config.database_url = Some(database);
                config.data_dir = dir;
                adjust(config);
            })
            .await,
        );
    }
    let mut seeded = generated_people(91, people);
    let today = SystemClock.now().date().max(TEST_NOW.date());
    for (i, person) in seeded.iter_mut().enumerate() {
        person.status = IdentityStatus::Valid;
        person.record.validity = Validity::by_age_rule(person.record.birth_date(), today);
        let face = ["Colin_Powell/1.jpg", "George_W_Bush/1.jpg"][i % 2];
        person.record.portrait = Some(dev_face(face));
    }
    servers[0].opened.services.registry.seed(&seeded, "test").await.unwrap();
    Some((servers, seeded.into_iter().map(|p| p.record).collect(), keys))
}

/// A long-poll on `server` for a change from state `after`: the status and when it came.
fn spawn_long_poll(server: &TestServer, party: &Party, id: &str, after: &'static str) -> tokio::task::JoinHandle<(SessionStatus, Instant)> {
    let (client, id, party) = (server.client.clone(), id.to_owned(), (party.id.clone(), party.secret.clone()));
    tokio::spawn(async move {
        let status = client.session((&party.0, &party.1), &id, Some((10, after))).await.unwrap();
        (status, Instant::now())
    })
}

/// An RP watches a session by SSE on instance A and by long-poll on B; the
/// citizen's wallet talks only to C. Both watchers get `completed` within a
/// second of the wallet's completion; the same holds for a participant of
/// a multi-party transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_reaches_watchers_on_every_instance_within_a_second() {
    let Some((servers, people, _keys)) = cluster(3, 2).await else {
        return;
    };
    let (a, b, c) = (&servers[0], &servers[1], &servers[2]);
    let window = register(a, "城市政务服务中心", &["name"], None).await;
    let (phone, credential, qr_key) = citizen(c, &people[0], "Colin_Powell/1.jpg").await;

    let created = a.client.create_session(window.auth(), &ask("credential")).await.unwrap();
    let (opened, stream_open) = tokio::sync::oneshot::channel();
    let sse = tokio::spawn(watch(
        format!("{}/v1/sessions/{}/events", a.url, created.session_id),
        (window.id.clone(), window.secret.clone()),
        opened,
    ));
    stream_open.await.unwrap();
    let frame = session_frame(&secret_bytes(&created.secret), &created.session_id, unix_ms(SystemClock.now()));
    c.client.scan_session(&frame, &phone).await.unwrap();
    c.client.consent_session(&created.session_id, &phone).await.unwrap();
    let long_poll = spawn_long_poll(b, &window, &created.session_id, "consented");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let proof = CompleteSessionRequest {
        code: phone.qr(&credential, &qr_key).unwrap(),
        ..Default::default()
    };
    let submitted = Instant::now();
    c.client.complete_session(&created.session_id, &proof, &phone).await.unwrap();
    let (events, arrived) = sse.await.unwrap();
    let states: Vec<&str> = events.iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(
        (states.first(), states.last()),
        (Some(&"created"), Some(&"completed")),
        "{states:?}"
    );
    // Announcements may arrive after the next change; a state is never told twice.
    assert!(states.windows(2).all(|pair| pair[0] != pair[1]), "{states:?}");
    assert!(
        arrived.duration_since(submitted) < Duration::from_secs(1),
        "SSE on A within a second"
    );
    let (polled, answered) = long_poll.await.unwrap();
    assert_eq!(polled.state, "completed");
    assert!(
        answered.duration_since(submitted) < Duration::from_secs(1),
        "long-poll on B within a second"
    );

    // A multi-party participant: the RP long-polls on A and streams on B.
    let request = CreateTransactionRequest {
        mode: "credential".into(),
        purpose: "股东会决议签署".into(),
        attributes: vec!["name".into()],
        expires_in_seconds: Some(600),
        participants: vec!["股东甲".into()],
    };
    let transaction = a.client.create_transaction(window.auth(), &request).await.unwrap();
    let invitation = &transaction.participants[0];
    let (opened, stream_open) = tokio::sync::oneshot::channel();
    let sse = tokio::spawn(watch(
        format!("{}/v1/sessions/{}/events", b.url, invitation.session_id),
        (window.id.clone(), window.secret.clone()),
        opened,
    ));
    stream_open.await.unwrap();
    let long_poll = spawn_long_poll(a, &window, &invitation.session_id, "created");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let moved = Instant::now();
    c.client.scan_session(&invitation.invitation, &phone).await.unwrap();
    let (polled, answered) = long_poll.await.unwrap();
    assert_eq!(polled.state, "scanned");
    assert!(
        answered.duration_since(moved) < Duration::from_secs(1),
        "long-poll on A within a second"
    );
    c.client.consent_session(&invitation.session_id, &phone).await.unwrap();
    let proof = CompleteSessionRequest {
        code: phone.qr(&credential, &qr_key).unwrap(),
        ..Default::default()
    };
    let submitted = Instant::now();
    c.client.complete_session(&invitation.session_id, &proof, &phone).await.unwrap();
    let (events, arrived) = sse.await.unwrap();
    assert_eq!(events.last().unwrap()["state"], "completed");
    assert!(
        arrived.duration_since(submitted) < Duration::from_secs(1),
        "SSE on B within a second"
    );
    let whole = a.client.transaction(window.auth(), &transaction.transaction_id).await.unwrap();
    assert_eq!(whole.state, "completed");
}

/// The same wallet code presented at three instances at once is accepted
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_code_raced_at_three_instances_is_accepted_once() {
    let Some((servers, people, _keys)) = cluster(3, 1).await else {
        return;
    };
    let hotel = verifier(&servers[0]).await;
    let (phone, credential, qr_key) = citizen(&servers[1], &people[0], "Colin_Powell/1.jpg").await;
    for _ in 0..5 {
        let code = phone.qr(&credential, &qr_key).unwrap();
        let attempts: Vec<_> = servers
            .iter()
            .map(|server| {
                let (client, code, hotel) = (server.client.clone(), code.clone(), hotel.clone());
                tokio::spawn(async move { client.verify_qr((&hotel.0, &hotel.1), &QrVerifyRequest { code }).await })
            })
            .collect();
        let mut results = Vec::new();
        for attempt in attempts {
            results.push(attempt.await.unwrap());
        }
        let accepted = results.iter().filter(|r| r.is_ok()).count();
        let replayed = results
            .iter()
            .filter(|r| r.as_ref().err().and_then(|e| e.code()) == Some("qr_replayed"))
            .count();
        assert_eq!((accepted, replayed), (1, 2), "{results:?}");
    }
}

/// Changes made on one instance hold on the others within a second,
/// whatever the others have cached: a card reported lost on A refuses the
/// holder's next wallet code on B (which had just verified one, so its
/// caches were warm); a relying party suspended on A is refused on B; a
/// secret rotated on A stops working on B and the new one works there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_suspension_and_rotation_on_one_instance_hold_on_another_within_a_second() {
    let Some((servers, people, _keys)) = cluster(2, 1).await else {
        return;
    };
    let (a, b) = (&servers[0], &servers[1]);
    let (id, secret) = verifier(a).await;
    let (phone, credential, qr_key) = citizen(b, &people[0], "Colin_Powell/1.jpg").await;
    let verify = |server: &TestServer, secret: String, code: String| {
        let (client, id) = (server.client.clone(), id.clone());
        async move {
            match client.verify_qr((&id, &secret), &QrVerifyRequest { code }).await {
                Ok(_) => "ok".to_owned(),
                Err(error) => error.code().unwrap_or("transport").to_owned(),
            }
        }
    };
    // Polls `check` on B until it says `expected`; how long that took.
    async fn until_says<F, Fut>(expected: &str, check: F) -> Duration
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = String>,
    {
        let started = Instant::now();
        loop {
            let seen = check().await;
            if seen == expected {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_millis(1500),
                "still `{seen}` after 1.5 s, expected `{expected}`"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(verify(b, secret.clone(), phone.qr(&credential, &qr_key).unwrap()).await, "ok");

    let lost = wz_proto::ChangeStatusRequest {
        id_number: people[0].id_number.expose().into(),
        status: "reported_lost".into(),
        reason: "reported_by_holder".into(),
    };
    a.admin.change_status(&lost).await.unwrap();
    let took = until_says("card_reported_lost", || {
        verify(b, secret.clone(), phone.qr(&credential, &qr_key).unwrap())
    })
    .await;
    assert!(took < Duration::from_secs(1), "lost card on B after {took:?}");

    // A malformed code answers `qr_malformed` to an authorised RP and
    // `unauthorized` to a suspended one or a wrong secret.
    assert_eq!(verify(b, secret.clone(), "hello".into()).await, "qr_malformed");
    a.admin.set_relying_party_state(&id, false).await.unwrap();
    let took = until_says("unauthorized", || verify(b, secret.clone(), "hello".into())).await;
    assert!(took < Duration::from_millis(1100), "suspension on B after {took:?}");
    a.admin.set_relying_party_state(&id, true).await.unwrap();
    until_says("qr_malformed", || verify(b, secret.clone(), "hello".into())).await;

    let rotated = a.admin.rotate_relying_party_secret(&id).await.unwrap().client_secret;
    let took = until_says("unauthorized", || verify(b, secret.clone(), "hello".into())).await;
    assert!(took < Duration::from_millis(1100), "old secret on B after {took:?}");
    let took = until_says("qr_malformed", || verify(b, rotated.clone(), "hello".into())).await;
    assert!(took < Duration::from_millis(1100), "new secret on B after {took:?}");
}

/// A relying party's quota of N requests a second holds for the cluster:
/// a burst spread over three instances within one second gets N answers
/// and 429 for the rest (each instance counting alone would let 3N pass).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relying_partys_quota_holds_for_the_whole_cluster() {
    const QUOTA: u32 = 10;
    let Some((servers, _people, _keys)) = cluster_with(3, 0, |config| config.credentials.rp_requests_per_second = QUOTA).await else {
        return;
    };
    let party = register(&servers[0], "某银行", &["name"], None).await;
    // Charged before it is checked, so an incomplete request is a cheap unit.
    let request = wz_proto::AuthenticationRequest {
        mode: "credential".into(),
        purpose: "开户".into(),
        ..Default::default()
    };
    for round in 0..3 {
        // Start just after a second begins so the burst fits in one window.
        let now_ms = unix_ms(SystemClock.now());
        tokio::time::sleep(Duration::from_millis(u64::try_from(1_020 - now_ms.rem_euclid(1_000)).unwrap())).await;
        let started = unix_ms(SystemClock.now());
        let burst: Vec<_> = (0..6 * QUOTA as usize)
            .map(|i| {
                let (client, id, secret, request) = (
                    servers[i % 3].client.clone(),
                    party.id.clone(),
                    party.secret.clone(),
                    request.clone(),
                );
                tokio::spawn(async move { client.authenticate(&id, &secret, &request).await })
            })
            .collect();
        let mut answers = Vec::new();
        for answer in burst {
            answers.push(answer.await.unwrap());
        }
        let ended = unix_ms(SystemClock.now());
        let limited = answers
            .iter()
            .filter(|a| a.as_ref().err().and_then(|e| e.code()) == Some("rate_limited"))
            .count();
        let passed = answers.len() - limited;
        assert!(
            answers.iter().all(|a| a.as_ref().err().and_then(|e| e.code()).is_some()),
            "every answer is a refusal with a code: {answers:?}"
        );
        if started / 1_000 == ended / 1_000 {
            assert_eq!(passed, QUOTA as usize, "one window: exactly the quota passes (round {round})");
            return;
        }
        assert!(passed <= 2 * QUOTA as usize, "two windows: at most twice the quota ({passed})");
    }
    panic!("no burst fitted in one second in three tries");
}

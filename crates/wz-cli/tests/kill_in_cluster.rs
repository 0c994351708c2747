//! SIGKILL of one of three real `wz serve` processes on one PostgreSQL
//! database, behind HAProxy, in the middle of a burst of wallet-code
//! verifications and session completions (run when `WZ_TEST_DATABASE_URL`
//! is set; its own schema). Afterwards: every verification a client was
//! told succeeded has its spent nonce, and each spent nonce exactly one
//! successful audit entry; no accepted code is accepted again; every
//! session a wallet was told completed is completed; every completed
//! session's webhook reached the receiver (none lost, none invented); the
//! killed instance rejoins on restart; `wz audit verify` passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::collections::HashSet;
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use wz_client::{Client, ClientError};
use wz_core::{session_frame, unix_ms, WalletQr};
use wz_proto::{CompleteSessionRequest, CreateSessionRequest, LightApplicationRequest, QrVerifyRequest, RelyingPartyRequest};
use wz_service::{Clock, SystemClock};
use wz_testkit::{wallet, KeySigner};

use common::{banner, faces_dir, images, Citizen, Guard};

fn wz(keys: &Path, database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wz"));
    command
        .arg("--data-dir")
        .arg(keys)
        .arg("--database-url")
        .arg(database)
        .env_remove("WZ_DATABASE_URL")
        .env("WZ_LOG__FILTER", "warn");
    command
}

/// Starts one demo instance on a free port (the first seeds the demo
/// registry, the others find it); returns it, its URL and the citizens
/// with portraits it printed.
fn start(keys: &Path, database: &str) -> (Guard, String, Vec<Citizen>) {
    let mut child = wz(keys, database)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("WZ_DEMO_PEOPLE", "40")
        .env("WZ_DEMO_FACES_DIR", faces_dir())
        // The light applications below send one still image eight times.
        .env("WZ_DEMO_LIVENESS", "presence")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = banner(&mut child);
    (Guard(child), url.0, url.1)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// HAProxy in front of `instances`, health-checking `/readyz` twice a
/// second, a request that could not reach an instance sent to another.
fn haproxy(dir: &Path, instances: &[String]) -> (Guard, String) {
    let port = free_port();
    let servers: String = instances
        .iter()
        .enumerate()
        .map(|(i, url)| {
            format!(
                "  server wz{i} {} check inter 500ms fall 1 rise 2\n",
                url.trim_start_matches("http://")
            )
        })
        .collect();
    let config = format!(
        "global\n  maxconn 1024\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  \
         retries 2\n  option redispatch\nfrontend wangzheng\n  bind 127.0.0.1:{port}\n  default_backend instances\n\
         backend instances\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n{servers}"
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    let child = Command::new("haproxy")
        .arg("-f")
        .arg(&path)
        .arg("-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy runs");
    (Guard(child), format!("http://127.0.0.1:{port}"))
}

async fn until_ready(url: &str) {
    let client = Client::new(url);
    for _ in 0..200 {
        if client.ready().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not become ready");
}

/// Receives webhooks: the idempotency key of every delivery, repeats kept.
async fn start_receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let state = Arc::clone(&state);
            async move {
                let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
                state.lock().unwrap().push(key.to_owned());
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// What a client learnt from one request.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Accepted,
    /// The API refused, with this code.
    Refused(String),
    /// No API answer (the instance died mid-request): the outcome is unknown.
    Unknown,
}

fn answer<T>(result: &Result<T, ClientError>) -> Answer {
    match result {
        Ok(_) => Answer::Accepted,
        Err(error) => error.code().map_or(Answer::Unknown, |code| Answer::Refused(code.to_owned())),
    }
}

#[derive(Default)]
struct Told {
    /// Each wallet code sent, with its answer.
    codes: Vec<(String, Answer)>,
    /// Each session created, with the answer to its completion
    /// (`Unknown` also when an earlier step got no answer).
    sessions: Vec<(String, Answer)>,
    /// Answers received after the kill.
    after_kill: usize,
}

struct Holder {
    phone: KeySigner,
    credential: String,
    qr_key: String,
}

/// One session through HAProxy: created by the RP, scanned, consented and
/// completed by the wallet.
async fn one_session(lb: &Client, rp: (&str, &str), holder: &Holder) -> Option<(String, Answer)> {
    let ask = CreateSessionRequest {
        mode: "credential".into(),
        purpose: "社保卡申领".into(),
        attributes: vec!["name".into()],
        expires_in_seconds: None,
    };
    let created = lb.create_session(rp, &ask).await.ok()?;
    let secret: [u8; 32] = hex::decode(&created.secret).unwrap().try_into().unwrap();
    let frame = session_frame(&secret, &created.session_id, unix_ms(SystemClock.now()));
    let id = created.session_id;
    if lb.scan_session(&frame, &holder.phone).await.is_err() || lb.consent_session(&id, &holder.phone).await.is_err() {
        return Some((id, Answer::Unknown));
    }
    let proof = CompleteSessionRequest {
        code: holder.phone.qr(&holder.credential, &holder.qr_key).unwrap(),
        ..Default::default()
    };
    let completed = lb.complete_session(&id, &proof, &holder.phone).await;
    Some((id, answer(&completed)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_one_instance_behind_haproxy_loses_no_answer_and_no_webhook() {
    let Ok(url) = std::env::var("WZ_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: WZ_TEST_DATABASE_URL is not set; the cluster tests need PostgreSQL");
        return;
    };
    if Command::new("haproxy").arg("-v").output().is_err() {
        assert!(
            std::env::var_os("WZ_REQUIRE_HAPROXY").is_none(),
            "haproxy is not installed (Debian: apt-get install haproxy)"
        );
        eprintln!("SKIPPED: haproxy is not installed (Debian: apt-get install haproxy)");
        return;
    }
    let database = wz_testkit::fresh_schema_url(&url, "wz_test_kill").await;

    // One keys directory for all, migrations once, instances one after another.
    let keys = tempfile::tempdir().unwrap();
    let migrated = wz(keys.path(), &database).arg("migrate").output().unwrap();
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    let mut instances = Vec::new();
    let mut citizens = Vec::new();
    for i in 0..3 {
        let (guard, url, printed) = start(keys.path(), &database);
        if i == 0 {
            citizens = printed;
        }
        instances.push((guard, url));
    }
    let urls: Vec<String> = instances.iter().map(|(_, url)| url.clone()).collect();
    let (_haproxy, lb_url) = haproxy(keys.path(), &urls);
    until_ready(&lb_url).await;
    let lb = Client::new(&lb_url);

    // A relying party with a webhook, and four citizens with light credentials.
    let (hook, delivered) = start_receiver().await;
    let token = std::fs::read_to_string(keys.path().join("keys/admin.token")).unwrap();
    let registered = Client::new(&lb_url)
        .with_admin_token(token.trim())
        .register_relying_party(&RelyingPartyRequest {
            name: "城市政务服务中心".into(),
            category: "government".into(),
            modes: vec!["credential".into()],
            grants: vec!["name".into()],
            webhook_url: Some(hook),
            public_key: None,
            alg: None,
            oidc: None,
        })
        .await
        .unwrap();
    let rp = Arc::new((registered.relying_party.id, registered.client_secret));
    let mut holders = Vec::new();
    for citizen in &citizens {
        // The portrait itself as the live frames: this test is about the
        // kill, not the face check (some dev photos hold several faces).
        let face = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&images(citizen)[0]).unwrap());
        let phone = wallet();
        let challenge = lb.liveness_challenge().await.unwrap();
        let request = LightApplicationRequest {
            id_number: citizen.id_number.clone(),
            name: citizen.name.clone(),
            challenge_token: challenge.token,
            frames: vec![face; 8],
            speech: None,
        };
        match lb.apply_light(&request, &phone).await {
            Ok(issued) => holders.push(Arc::new(Holder {
                phone,
                credential: issued.credential,
                qr_key: issued.qr_key,
            })),
            Err(error) => eprintln!("a light application failed: {error}"),
        }
        if holders.len() == 4 {
            break;
        }
    }
    assert_eq!(holders.len(), 4, "four demo citizens obtain light credentials");

    // The burst: twelve clients, half verifying wallet codes, half taking
    // sessions to completion, all through HAProxy.
    let told = Arc::new(Mutex::new(Told::default()));
    let (stop, killed, answered) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut workers = Vec::new();
    for worker in 0..12 {
        let (lb, rp, holder) = (lb.clone(), Arc::clone(&rp), Arc::clone(&holders[worker % holders.len()]));
        let (told, stop, killed, answered) = (Arc::clone(&told), Arc::clone(&stop), Arc::clone(&killed), Arc::clone(&answered));
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                if worker % 2 == 0 {
                    let code = holder.phone.qr(&holder.credential, &holder.qr_key).unwrap();
                    let result = lb.verify_qr((&rp.0, &rp.1), &QrVerifyRequest { code: code.clone() }).await;
                    let after = killed.load(Ordering::SeqCst);
                    let mut told = told.lock().unwrap();
                    told.codes.push((code, answer(&result)));
                    told.after_kill += usize::from(after && result.is_ok());
                } else if let Some((id, outcome)) = one_session(&lb, (&rp.0, &rp.1), &holder).await {
                    let after = killed.load(Ordering::SeqCst);
                    let mut told = told.lock().unwrap();
                    told.after_kill += usize::from(after && outcome == Answer::Accepted);
                    told.sessions.push((id, outcome));
                }
                answered.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    let started = Instant::now();
    while answered.load(Ordering::SeqCst) < 60 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let victim = &mut instances[1].0 .0;
    victim.kill().unwrap();
    victim.wait().unwrap();
    killed.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    let told = std::mem::take(&mut *told.lock().unwrap());
    let count = |list: &[(String, Answer)], wanted: &Answer| list.iter().filter(|(_, a)| a == wanted).count();
    eprintln!(
        "codes: {} accepted, {} unknown of {}; sessions: {} completed, {} unknown of {}; {} accepted after the kill",
        count(&told.codes, &Answer::Accepted),
        count(&told.codes, &Answer::Unknown),
        told.codes.len(),
        count(&told.sessions, &Answer::Accepted),
        count(&told.sessions, &Answer::Unknown),
        told.sessions.len(),
        told.after_kill
    );
    for (_, answer) in told.codes.iter().chain(&told.sessions) {
        assert!(!matches!(answer, Answer::Refused(_)), "a request was refused: {answer:?}");
    }
    assert!(
        count(&told.codes, &Answer::Accepted) >= 10,
        "too few verifications to test anything"
    );
    assert!(count(&told.sessions, &Answer::Accepted) >= 5, "too few sessions to test anything");
    assert!(told.after_kill >= 5, "the survivors went on answering after the kill");

    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    // Every code a client was told was accepted is spent, and is not accepted again.
    let spent: HashSet<Vec<u8>> = sqlx::query_scalar::<_, Vec<u8>>("SELECT nonce FROM used_nonces_by_expiry WHERE kind = 'qr'")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (code, first) in &told.codes {
        let nonce = WalletQr::parse(code).unwrap().nonce.to_vec();
        if *first == Answer::Accepted {
            assert!(
                spent.contains(&nonce),
                "a code a client was told was accepted is not in the database"
            );
            let again = lb.verify_qr((&rp.0, &rp.1), &QrVerifyRequest { code: code.clone() }).await;
            assert_eq!(
                answer(&again),
                Answer::Refused("qr_replayed".into()),
                "an accepted code was accepted again"
            );
        }
    }
    // The wallet's completion of each session writes one more spent nonce;
    // each spent nonce has exactly one successful audit entry.
    let audited_codes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('qr.verified', 'auth.completed') AND details::jsonb->>'result' = 'success'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    eprintln!("{} spent wallet codes, {audited_codes} successful uses audited", spent.len());
    assert_eq!(spent.len() as i64, audited_codes, "spent codes and their audit entries differ");

    // Every session a wallet was told completed is completed.
    let completed: HashSet<String> = sqlx::query_scalar::<_, String>("SELECT id FROM sessions WHERE state = 'completed'")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (id, answer) in &told.sessions {
        if *answer == Answer::Accepted {
            assert!(completed.contains(id), "a session a wallet was told completed is not completed");
        }
    }
    // The killed instance rejoins without manual steps.
    let (restarted, restarted_url, _) = start(keys.path(), &database);
    until_ready(&restarted_url).await;
    instances[1] = (restarted, restarted_url);

    // Every completed session's webhook arrives, including those the
    // killed instance had claimed (claims lapse after 15 s).
    let expected: HashSet<String> = completed.iter().map(|id| format!("{id}:completed")).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let undelivered: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_outbox WHERE delivered_at_ms IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
        let arrived: HashSet<String> = delivered.lock().unwrap().iter().cloned().collect();
        if undelivered == 0 && arrived.is_superset(&expected) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "webhooks lost: {undelivered} undelivered, {} of {} arrived",
            arrived.intersection(&expected).count(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let outbox: HashSet<String> = sqlx::query_scalar::<_, String>("SELECT id FROM webhook_outbox")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(outbox, expected, "one webhook per completed session");
    let arrived = delivered.lock().unwrap().clone();
    let distinct: HashSet<&String> = arrived.iter().collect();
    eprintln!("{} webhooks expected, {} deliveries received", expected.len(), arrived.len());
    assert!(
        distinct.iter().all(|key| expected.contains(*key)),
        "a webhook for no completed session"
    );
    pool.close().await;

    let verify = wz(keys.path(), &database).args(["audit", "verify"]).output().unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

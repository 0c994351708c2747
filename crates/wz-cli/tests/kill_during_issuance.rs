//! SIGKILL of a real `wz serve` process in the middle of a burst of
//! terminal enrolments: after a restart no credential is half-issued (each
//! has its audit entry and its completed enrolment, each completed
//! enrolment its credential), one person never holds two active
//! credentials, every credential a kiosk was told about is there, and the
//! audit chain verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use wz_client::Client;
use wz_core::{CardChallenge, CardFile};
use wz_proto::{BindEnrolmentRequest, CompleteEnrolmentRequest, RegisterTerminalRequest};
use wz_testkit::{fresh_key, terminal_signer, wallet, KeySigner};

use common::{banner, faces_dir, images, Citizen, Guard};

/// Starts `wz serve --demo` on a free port; returns the child, its URL
/// and the featured citizens with portraits.
fn start(data_dir: &Path) -> (Guard, String, Vec<Citizen>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wz"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env_remove("WZ_DATABASE_URL")
        .env("WZ_DEMO_PEOPLE", "40")
        .env("WZ_DEMO_FACES_DIR", faces_dir())
        .env("WZ_LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (url, citizens) = banner(&mut child);
    (Guard(child), url, citizens)
}

async fn enrol(client: &Client, kiosk: &KeySigner, card: &CardFile, face: &[u8]) -> Result<String, String> {
    let phone = wallet();
    let opened = client.open_enrolment(kiosk).await.map_err(|e| e.to_string())?;
    let bind = BindEnrolmentRequest {
        qr_payload: opened.qr_payload,
    };
    client.bind_enrolment(&bind, &phone).await.map_err(|e| e.to_string())?;
    let challenge = client.card_challenge().await.map_err(|e| e.to_string())?;
    let challenge = CardChallenge {
        nonce: challenge.nonce,
        expires_at: challenge.expires_at,
        mac: challenge.mac,
    };
    let completion = CompleteEnrolmentRequest {
        card: serde_json::to_value(card.present(challenge).unwrap()).unwrap(),
        password: "20481357".into(),
        password_confirmation: "20481357".into(),
        face: base64::engine::general_purpose::STANDARD.encode(face),
    };
    let issued = client
        .complete_enrolment(&opened.enrolment_id, &completion, kiosk)
        .await
        .map_err(|e| e.to_string())?;
    Ok(issued.serial)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_enrolments_leaves_no_half_issued_credential() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url, citizens) = start(dir.path());
    assert!(citizens.len() >= 6, "the demo should feature citizens with portraits");

    let token = std::fs::read_to_string(dir.path().join("keys/admin.token")).unwrap();
    let client = Client::new(&url);
    let key = fresh_key("terminal");
    let registered = Client::new(&url)
        .with_admin_token(token.trim())
        .register_terminal(&RegisterTerminalRequest {
            name: "crash test kiosk".into(),
            public_key: hex::encode(key.verifying_key().to_sec1_bytes()),
        })
        .await
        .unwrap();
    let kiosk = Arc::new(terminal_signer(&registered.id, key));

    // Cards are made offline by the card authority (the CLI, beside the server).
    let mut people = Vec::new();
    for citizen in &citizens {
        let out = dir.path().join(format!("{}.card", citizen.id_number));
        let issued = Command::new(env!("CARGO_BIN_EXE_wz"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["card", "issue", "--id-number", &citizen.id_number, "--out"])
            .arg(&out)
            .env_remove("WZ_DATABASE_URL")
            .output()
            .unwrap();
        assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
        let card = CardFile::parse(&std::fs::read(&out).unwrap()).unwrap();
        // The portrait is the folder's first image; the live face another.
        let face = std::fs::read(&images(citizen)[1]).unwrap();
        people.push(Arc::new((card, face)));
    }

    // Four enrolments per person, all at once: re-enrolments revoke the
    // previous credential inside the same transaction as the new one.
    let told = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for round in 0..4 {
        for person in &people {
            let (client, kiosk, person, told) = (client.clone(), kiosk.clone(), person.clone(), told.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(round * 40)).await;
                if let Ok(serial) = enrol(&client, &kiosk, &person.0, &person.1).await {
                    told.lock().unwrap().push(serial);
                }
            }));
        }
    }
    let total = tasks.len();
    for _ in 0..600 {
        if told.lock().unwrap().len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    let told: Vec<String> = told.lock().unwrap().clone();
    eprintln!("{} of {total} enrolments answered before the kill", told.len());
    assert!(told.len() >= 4, "the burst issued nothing before the kill");
    assert!(told.len() < total, "the kill came after the burst had finished; nothing was tested");

    // Restart on the same data: it opens, and the chain verifies offline.
    let (again, url, _) = start(dir.path());
    let health = Client::new(&url).health().await;
    drop(again);
    assert!(health.is_ok(), "the restarted server answers");
    let verify = Command::new(env!("CARGO_BIN_EXE_wz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["audit", "verify"])
        .env_remove("WZ_DATABASE_URL")
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("wz.db").display()))
        .await
        .unwrap();
    let serials: HashSet<String> = sqlx::query_scalar::<_, String>("SELECT lower(hex(serial)) FROM credentials")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let audited: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT json_extract(details, '$.serial') FROM audit_log WHERE action = 'credential.issued'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    eprintln!("{} credentials on disk after the restart", serials.len());
    assert_eq!(
        serials, audited,
        "every credential has its audit entry and no entry lacks its credential"
    );
    for serial in &told {
        assert!(
            serials.contains(&serial.to_lowercase()),
            "a credential the kiosk was told about is lost"
        );
    }
    let completed_without: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM enrolments e WHERE e.state = 'completed' AND NOT EXISTS \
         (SELECT 1 FROM credentials c WHERE c.serial = e.credential_serial)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(completed_without, 0, "a completed enrolment without its credential");
    let enrolled: i64 = sqlx::query_scalar("SELECT count(*) FROM enrolments WHERE state = 'completed'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(enrolled as usize, serials.len(), "a credential without its completed enrolment");
    let doubled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT lookup FROM credentials WHERE status = 'active' GROUP BY lookup HAVING count(*) > 1)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(doubled, 0, "someone holds two active credentials");
    // Nobody's card changed status: each person who was issued anything
    // holds exactly one active credential, the newest.
    let without_active: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT lookup) FROM credentials WHERE lookup NOT IN \
         (SELECT lookup FROM credentials WHERE status = 'active')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(without_active, 0, "a re-enrolment revoked the old credential without the new one");
}

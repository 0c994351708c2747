//! No personal data in logs, error bodies or metrics.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use wz_core::{CardChallenge, NationalIdNumber};
use wz_proto::{ChangeStatusRequest, ReadCardRequest};

use crate::server_with_people;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .init();
            captured
        })
        .clone()
}

#[tokio::test]
async fn logs_errors_and_metrics_never_contain_names_or_id_numbers() {
    let logs = capture_logs();
    let (server, people) = server_with_people(2).await;
    let person = &people[0];
    let id = person.id_number.expose().to_owned();
    let mut bodies = Vec::new();

    // A successful and a refused card read, a status change, bad requests carrying the number.
    let card = server.opened.services.cards.issue(&person.id_number, "test").await.unwrap();
    for tamper in [false, true] {
        let challenge = server.client.card_challenge().await.unwrap();
        let mut card = card.clone();
        if tamper {
            card.chip.name.push('丙');
        }
        let challenge = CardChallenge {
            nonce: challenge.nonce,
            expires_at: challenge.expires_at,
            mac: challenge.mac,
        };
        let presentation = serde_json::to_value(card.present(challenge).unwrap()).unwrap();
        let result = server.client.read_card(&ReadCardRequest { presentation }).await;
        bodies.push(format!("{result:?}"));
    }
    let change = |status: &str, reason: &str| ChangeStatusRequest {
        id_number: id.clone(),
        status: status.into(),
        reason: reason.into(),
    };
    server
        .admin
        .change_status(&change("reported_lost", "reported_by_holder"))
        .await
        .unwrap();
    bodies.push(format!("{:?}", server.admin.change_status(&change("valid", &person.name)).await));
    bodies.push(format!("{:?}", server.admin.change_status(&change("nonsense", "x")).await));
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/admin/identities/status", server.url))
        .header("content-type", "application/json")
        .body(format!("{{\"id_number\": {id}, \"status\": 1}}"))
        .send()
        .await
        .unwrap();
    bodies.push(raw.text().await.unwrap());
    // Relying-party authentications, successful, refused and malformed.
    let rp = server
        .admin
        .register_relying_party(&wz_proto::RelyingPartyRequest {
            name: "某银行".into(),
            category: "bank".into(),
            modes: vec!["id_name".into()],
            grants: vec![],
            webhook_url: None,
            public_key: None,
            alg: None,
            oidc: None,
        })
        .await
        .unwrap();
    let (rp_id, rp_secret) = (rp.relying_party.id.as_str(), rp.client_secret.as_str());
    for name in [people[1].name.clone(), format!("{}甲", people[1].name)] {
        let ask = wz_proto::AuthenticationRequest {
            mode: "id_name".into(),
            purpose: "开户".into(),
            id_number: Some(people[1].id_number.expose().into()),
            name: Some(name),
            ..Default::default()
        };
        server.client.authenticate(rp_id, rp_secret, &ask).await.unwrap();
        bodies.push(format!("{:?}", server.client.authenticate(rp_id, "wrong", &ask).await));
    }
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/authentications", server.url))
        .basic_auth(rp_id, Some(rp_secret))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"mode\": \"id_name\", \"purpose\": \"x\", \"id_number\": {id}, \"name\": \"{}\"}}",
            person.name
        ))
        .send()
        .await
        .unwrap();
    bodies.push(raw.text().await.unwrap());
    let metrics = reqwest::get(format!("{}/metrics", server.url)).await.unwrap().text().await.unwrap();
    server.stop().await;

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("/v1/cards/read"), "log capture is not working: {logs}");
    assert!(logs.contains("/v1/authentications"), "authentications were not logged");
    let masked = NationalIdNumber::parse(&id).unwrap().masked();
    for (what, text) in [
        ("logs", logs.as_str()),
        ("metrics", metrics.as_str()),
        ("error bodies", &bodies.join("\n")),
    ] {
        let other = &people[1];
        for secret in [
            id.as_str(),
            &id[6..14],
            person.name.as_str(),
            person.address.as_str(),
            other.id_number.expose(),
            other.name.as_str(),
        ] {
            assert!(!text.contains(secret), "{what} contain personal data: {text}");
        }
        assert!(
            !text.contains(&masked) || what == "error bodies",
            "{what} contain even a masked number"
        );
    }
}

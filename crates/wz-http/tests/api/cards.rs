use wz_client::Client;
use wz_core::{CardChallenge, CardFile};
use wz_crypto::Sm2SigningKey;
use wz_proto::{ChangeStatusRequest, ReadCardRequest};
use wz_service::{EntropyRng, OsEntropy};

use crate::{audit_len, server_with_people};

async fn read(client: &Client, card: &CardFile) -> Result<wz_proto::ReadCardResponse, wz_client::ClientError> {
    let challenge = client.card_challenge().await.unwrap();
    let challenge = CardChallenge {
        nonce: challenge.nonce,
        expires_at: challenge.expires_at,
        mac: challenge.mac,
    };
    let presentation = card.present(challenge).unwrap();
    client
        .read_card(&ReadCardRequest {
            presentation: serde_json::to_value(&presentation).unwrap(),
        })
        .await
}

#[tokio::test]
async fn card_read_succeeds_then_each_fault_is_named() {
    let (server, people) = server_with_people(3).await;
    let person = &people[0];
    let card = server.opened.services.cards.issue(&person.id_number, "test").await.unwrap();

    let ok = read(&server.client, &card).await.unwrap();
    assert_eq!((ok.result.as_str(), ok.status.as_str()), ("success", "valid"));
    assert_eq!(ok.masked_id_number, person.id_number.masked());

    let mut edited = card.clone();
    edited.chip.issuing_authority = "伪造公安局".into();
    assert_eq!(
        read(&server.client, &edited).await.unwrap_err().code(),
        Some("card_signature_invalid")
    );

    let chip = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "chip").unwrap();
    let mut cloned = card.clone();
    cloned.chip_secret_key = hex::encode(chip.to_scalar_bytes().as_slice());
    assert_eq!(read(&server.client, &cloned).await.unwrap_err().code(), Some("card_chip_mismatch"));

    let rogue = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "card-authority").unwrap();
    let forged = CardFile::issue(person, &rogue, &chip).unwrap();
    assert_eq!(
        read(&server.client, &forged).await.unwrap_err().code(),
        Some("card_authority_unknown")
    );

    let lost = ChangeStatusRequest {
        id_number: person.id_number.expose().into(),
        status: "reported_lost".into(),
        reason: "reported_by_holder".into(),
    };
    server.admin.change_status(&lost).await.unwrap();
    let refused = read(&server.client, &card).await.unwrap_err();
    assert_eq!(refused.code(), Some("card_reported_lost"));
    assert!(matches!(refused, wz_client::ClientError::Api { status, .. } if status == 422));
}

#[tokio::test]
async fn malformed_presentations_and_bodies_get_clear_codes_and_change_nothing() {
    let (server, _) = server_with_people(1).await;
    let before = audit_len(&server).await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/cards/read", server.url);
    let send = |body: String, content_type: &'static str| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let response = http
                .post(&url)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body["code"].as_str().unwrap().to_owned())
        }
    };
    assert_eq!(
        send("{\"presentation\": {\"chip\": 1}}".into(), "application/json").await,
        (400, "card_malformed".into())
    );
    assert_eq!(
        send("{\"presentation\": ".into(), "application/json").await,
        (400, "invalid_request".into())
    );
    assert_eq!(send("[]".into(), "application/json").await, (400, "invalid_request".into()));
    assert_eq!(send("{}".into(), "text/plain").await, (415, "unsupported_media_type".into()));
    let huge = format!("{{\"presentation\": \"{}\"}}", "x".repeat(300 * 1024));
    assert_eq!(send(huge, "application/json").await, (413, "body_too_large".into()));
    assert_eq!(audit_len(&server).await, before);
}

#[tokio::test]
async fn a_replayed_card_presentation_is_refused() {
    let (server, people) = server_with_people(1).await;
    let card = server.opened.services.cards.issue(&people[0].id_number, "test").await.unwrap();
    let challenge = server.client.card_challenge().await.unwrap();
    let presentation = card
        .present(CardChallenge {
            nonce: challenge.nonce,
            expires_at: challenge.expires_at,
            mac: challenge.mac,
        })
        .unwrap();
    let request = ReadCardRequest {
        presentation: serde_json::to_value(&presentation).unwrap(),
    };
    assert_eq!(server.client.read_card(&request).await.unwrap().result, "success");
    // The same answer again, well inside the challenge's 60 s.
    let replayed = server.client.read_card(&request).await.unwrap_err();
    assert_eq!(replayed.code(), Some("card_challenge_invalid"));
}

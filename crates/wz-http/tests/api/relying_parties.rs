//! Relying parties over HTTP: registration, grants and keys, the public
//! list, each server-to-server mode with its success and failure codes,
//! signed results checked offline against `/v1/keys`, data minimisation,
//! pairwise subjects, the citizen's history and per-RP rate limits.

use base64::Engine;
use wz_client::{Client, ClientError};
use wz_core::{CardChallenge, IdentityRecord, ResultAlg, SignedStatement};
use wz_crypto::{Es256VerifyingKey, Sm2VerifyingKey};
use wz_proto::{AuthenticationRequest, AuthenticationResponse, ChangeStatusRequest, RelyingPartyRequest, WalletHistoryRequest};
use wz_testkit::{wallet, KeySigner, TestServer};

use crate::audit_len;
use crate::credentials::{apply, dev_face, enrol_at_terminal, server_with_portraits, terminal};

/// A registered RP: id and secret.
struct Party {
    id: String,
    secret: String,
}

fn request(name: &str, category: &str, modes: &[&str], grants: &[&str]) -> RelyingPartyRequest {
    RelyingPartyRequest {
        name: name.into(),
        category: category.into(),
        modes: modes.iter().map(|m| (*m).into()).collect(),
        grants: grants.iter().map(|g| (*g).into()).collect(),
        webhook_url: None,
        public_key: None,
        alg: None,
        oidc: None,
    }
}

async fn register(server: &TestServer, name: &str, category: &str, modes: &[&str], grants: &[&str]) -> Party {
    let registered = server
        .admin
        .register_relying_party(&request(name, category, modes, grants))
        .await
        .unwrap();
    Party {
        id: registered.relying_party.id,
        secret: registered.client_secret,
    }
}

const ALL_MODES: [&str; 9] = [
    "id_name",
    "id_name_validity",
    "portrait_id_name",
    "portrait_id_name_validity",
    "credential",
    "portrait_credential",
    "portrait_credential_pin",
    "card_portrait_credential",
    "qr_verify",
];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn ask(mode: &str) -> AuthenticationRequest {
    AuthenticationRequest {
        mode: mode.into(),
        purpose: "办理入住登记".into(),
        ..Default::default()
    }
}

fn by_id(mode: &str, person: &IdentityRecord) -> AuthenticationRequest {
    AuthenticationRequest {
        id_number: Some(person.id_number.expose().into()),
        name: Some(person.name.clone()),
        validity: Some(person.validity.printed()),
        ..ask(mode)
    }
}

async fn auth(client: &Client, party: &Party, request: &AuthenticationRequest) -> AuthenticationResponse {
    client.authenticate(&party.id, &party.secret, request).await.unwrap()
}

fn error_code<T: std::fmt::Debug>(result: Result<T, ClientError>) -> String {
    result.unwrap_err().code().unwrap_or("transport").to_owned()
}

/// Checks the signature offline with the published key and returns the
/// statement, which must agree with the readable fields.
pub(crate) async fn checked(client: &Client, response: &AuthenticationResponse) -> wz_core::AuthStatement {
    let keys = client.keys().await.unwrap();
    let key = keys.keys.iter().find(|k| k.kid == response.signed.key_id).unwrap();
    let signed = SignedStatement {
        alg: if response.signed.alg == "SM2" {
            ResultAlg::Sm2
        } else {
            ResultAlg::Es256
        },
        key_id: response.signed.key_id.clone(),
        payload: response.signed.payload.clone(),
        signature: response.signed.signature.clone(),
        index: response.signed.index,
        path: response.signed.path.clone(),
    };
    let bytes = hex::decode(&key.sec1_hex).unwrap();
    let statement = match signed.alg {
        ResultAlg::Sm2 => signed.verify_sm2(&Sm2VerifyingKey::from_sec1_bytes(&bytes, "sm2").unwrap()),
        ResultAlg::Es256 => signed.verify_es256(&Es256VerifyingKey::from_sec1_bytes(&bytes).unwrap()),
    }
    .unwrap();
    assert_eq!(statement.result, response.result);
    assert_eq!(statement.subject, response.subject);
    assert_eq!(statement.attributes, response.attributes);
    statement
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_public_secrets_rotate_and_rules_hold() {
    let (server, people) = server_with_portraits(1, |_| {}).await;
    let hotel = register(&server, "如家酒店 北京海淀店", "hotel", &["qr_verify"], &["name", "id_number"]).await;
    let site = register(&server, "某视频网站", "internet", &["id_name"], &[]).await;

    let listed = server.client.relying_parties().await.unwrap().relying_parties;
    assert_eq!(listed.len(), 2);
    let text = serde_json::to_string(&listed).unwrap();
    assert!(
        !text.contains(&hotel.secret) && !text.contains(&site.secret),
        "the list never shows secrets"
    );
    let listed_hotel = listed.iter().find(|p| p.id == hotel.id).unwrap();
    assert_eq!(listed_hotel.grants, vec!["id_number", "name"]);
    assert_eq!(listed_hotel.category, "hotel");

    // Refusals change nothing.
    let before = audit_len(&server).await;
    let greedy = request("某网站", "internet", &["id_name"], &["id_number"]);
    assert_eq!(error_code(server.admin.register_relying_party(&greedy).await), "invalid_request");
    let unknown_mode = request("某银行", "bank", &["telepathy"], &[]);
    assert_eq!(
        error_code(server.admin.register_relying_party(&unknown_mode).await),
        "invalid_request"
    );
    let insecure = RelyingPartyRequest {
        webhook_url: Some("http://bank.example/hook".into()),
        ..request("某银行", "bank", &["credential"], &[])
    };
    assert_eq!(error_code(server.admin.register_relying_party(&insecure).await), "invalid_request");
    assert_eq!(
        error_code(
            server
                .client
                .register_relying_party(&request("x", "bank", &["credential"], &[]))
                .await
        ),
        "unauthorized"
    );
    assert_eq!(audit_len(&server).await, before);

    // The secret works, a wrong one does not, a rotated one replaces it.
    let person = &people[0];
    assert_eq!(auth(&server.client, &site, &by_id("id_name", person)).await.result, "success");
    let wrong = Party {
        id: site.id.clone(),
        secret: "00".repeat(32),
    };
    assert_eq!(
        error_code(
            server
                .client
                .authenticate(&wrong.id, &wrong.secret, &by_id("id_name", person))
                .await
        ),
        "unauthorized"
    );
    let rotated = server.admin.rotate_relying_party_secret(&site.id).await.unwrap();
    assert_eq!(
        error_code(server.client.authenticate(&site.id, &site.secret, &by_id("id_name", person)).await),
        "unauthorized"
    );
    let site = Party {
        id: site.id,
        secret: rotated.client_secret,
    };
    assert_eq!(auth(&server.client, &site, &by_id("id_name", person)).await.result, "success");
    server.admin.set_relying_party_state(&site.id, false).await.unwrap();
    assert_eq!(
        error_code(server.client.authenticate(&site.id, &site.secret, &by_id("id_name", person)).await),
        "unauthorized"
    );

    // A mode outside the registration is refused before anything is checked.
    assert_eq!(
        error_code(
            server
                .client
                .authenticate(&hotel.id, &hotel.secret, &by_id("id_name", person))
                .await
        ),
        "mode_not_allowed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_number_modes_answer_every_reason_signed() {
    let (server, people) = server_with_portraits(2, |_| {}).await;
    let bank = register(&server, "某银行 远程开户", "bank", &ALL_MODES, &["name", "id_number"]).await;
    let client = &server.client;
    let person = &people[0];

    let ok = auth(client, &bank, &by_id("id_name", person)).await;
    let statement = checked(client, &ok).await;
    assert_eq!((ok.result.as_str(), ok.level.as_deref()), ("success", Some("L1")));
    assert_eq!(statement.mode, "id_name");
    assert_eq!(statement.rp_id, bank.id);
    // The ID-number modes release only desensitised fields, grant or not.
    assert_eq!(ok.attributes["name_masked"], wz_core::mask_name(&person.name));
    assert!(!ok.attributes.contains_key("name") && !ok.attributes.contains_key("id_number"));

    let with_validity = auth(client, &bank, &by_id("id_name_validity", person)).await;
    assert_eq!(with_validity.result, "success");
    let wrong_validity = AuthenticationRequest {
        validity: Some("2001.01.01-2011.01.01".into()),
        ..by_id("id_name_validity", person)
    };
    assert_eq!(auth(client, &bank, &wrong_validity).await.result, "validity_mismatch");

    let wrong_name = AuthenticationRequest {
        name: Some("王小明".into()),
        ..by_id("id_name", person)
    };
    let refused = auth(client, &bank, &wrong_name).await;
    assert_eq!(refused.result, "name_mismatch");
    assert_eq!((refused.level.clone(), refused.subject.clone()), (None, None));
    assert!(refused.attributes.is_empty());
    checked(client, &refused).await;

    let stranger = AuthenticationRequest {
        id_number: Some("11010519491231002X".into()),
        ..by_id("id_name", person)
    };
    assert_eq!(auth(client, &bank, &stranger).await.result, "identity_not_found");
    let typo = AuthenticationRequest {
        id_number: Some("110105194912310021".into()),
        ..by_id("id_name", person)
    };
    assert_eq!(auth(client, &bank, &typo).await.result, "id_number_check_digit");

    let face = AuthenticationRequest {
        portrait: Some(b64(&dev_face("Colin_Powell/2.jpg"))),
        ..by_id("portrait_id_name", person)
    };
    let portrait = auth(client, &bank, &face).await;
    assert_eq!((portrait.result.as_str(), portrait.level.as_deref()), ("success", Some("L2")));
    let other_face = AuthenticationRequest {
        portrait: Some(b64(&dev_face("George_W_Bush/2.jpg"))),
        ..by_id("portrait_id_name_validity", person)
    };
    assert_eq!(auth(client, &bank, &other_face).await.result, "face_mismatch");
    let not_an_image = AuthenticationRequest {
        portrait: Some(b64(b"not an image")),
        ..by_id("portrait_id_name", person)
    };
    assert_eq!(
        error_code(client.authenticate(&bank.id, &bank.secret, &not_an_image).await),
        "invalid_image"
    );
    let missing = AuthenticationRequest {
        name: None,
        ..by_id("id_name", person)
    };
    assert_eq!(
        error_code(client.authenticate(&bank.id, &bank.secret, &missing).await),
        "invalid_request"
    );

    // ES256 on request, checked against the published P-256 key.
    let es = AuthenticationRequest {
        alg: Some("ES256".into()),
        ..by_id("id_name", person)
    };
    let es = auth(client, &bank, &es).await;
    assert_eq!(es.signed.alg, "ES256");
    checked(client, &es).await;

    // A card reported lost answers with its status.
    let change = ChangeStatusRequest {
        id_number: people[1].id_number.expose().into(),
        status: "reported_lost".into(),
        reason: "reported_by_holder".into(),
    };
    server.admin.change_status(&change).await.unwrap();
    assert_eq!(
        auth(client, &bank, &by_id("id_name", &people[1])).await.result,
        "card_reported_lost"
    );
}

/// Enrols `person` at a terminal into a new wallet (L4, password 20481357).
async fn upgraded(server: &TestServer, person: &IdentityRecord, face: &str) -> (KeySigner, String, String) {
    let kiosk = terminal(server).await;
    let phone = wallet();
    let issued = enrol_at_terminal(server, &kiosk, &phone, person, &dev_face(face)).await.unwrap();
    (phone, issued.credential, issued.qr_key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_modes_minimise_data_and_record_history() {
    let (server, people) = server_with_portraits(3, |_| {}).await;
    let client = &server.client;
    let hotel = register(
        &server,
        "如家酒店 北京海淀店",
        "hotel",
        &["qr_verify", "credential"],
        &["name", "id_number"],
    )
    .await;
    let site = register(&server, "某视频网站", "internet", &["credential"], &[]).await;
    let bank = register(&server, "某银行", "bank", &ALL_MODES, &["name"]).await;
    let (person, other) = (&people[0], &people[1]);
    let (phone, credential, qr_key) = upgraded(&server, person, "Colin_Powell/2.jpg").await;
    let code = || phone.qr(&credential, &qr_key).unwrap();
    let wanted = |mode: &str| AuthenticationRequest {
        code: Some(code()),
        attributes: vec!["name".into(), "id_number".into(), "address".into()],
        ..ask(mode)
    };

    // The hotel's grant covers name and ID number; the address is masked.
    let at_hotel = auth(client, &hotel, &wanted("qr_verify")).await;
    checked(client, &at_hotel).await;
    assert_eq!((at_hotel.result.as_str(), at_hotel.level.as_deref()), ("success", Some("L4")));
    assert_eq!(at_hotel.attributes["name"], person.name);
    assert_eq!(at_hotel.attributes["id_number"], person.id_number.expose());
    assert_eq!(at_hotel.attributes["address_masked"], wz_core::mask_address(&person.address));
    assert!(!at_hotel.attributes.contains_key("address"));

    // The internet service asked for the same and gets only masked fields.
    let at_site = auth(client, &site, &wanted("credential")).await;
    assert_eq!(at_site.result, "success");
    let site_text = serde_json::to_string(&at_site).unwrap();
    assert!(!site_text.contains(person.id_number.expose()) && !site_text.contains(&person.name));
    assert_ne!(
        at_site.subject, at_hotel.subject,
        "pairwise subjects differ between relying parties"
    );
    let again = auth(client, &hotel, &wanted("credential")).await;
    assert_eq!(again.subject, at_hotel.subject, "and repeat within one");

    // A code is good once.
    let once = wanted("credential");
    assert_eq!(auth(client, &bank, &once).await.result, "success");
    assert_eq!(auth(client, &bank, &once).await.result, "qr_replayed");
    let tampered = AuthenticationRequest {
        code: Some("WZQR1:AAAA".into()),
        ..ask("credential")
    };
    assert_eq!(auth(client, &bank, &tampered).await.result, "qr_malformed");

    // Portrait, password and card on top of the credential.
    let face = |name: &str| Some(b64(&dev_face(name)));
    let with_face = AuthenticationRequest {
        portrait: face("Colin_Powell/3.jpg"),
        ..wanted("portrait_credential")
    };
    assert_eq!(auth(client, &bank, &with_face).await.result, "success");
    let wrong_face = AuthenticationRequest {
        portrait: face("George_W_Bush/2.jpg"),
        ..wanted("portrait_credential")
    };
    assert_eq!(auth(client, &bank, &wrong_face).await.result, "face_mismatch");
    let with_pin = |password: &str| AuthenticationRequest {
        portrait: face("Colin_Powell/3.jpg"),
        password: Some(password.into()),
        ..wanted("portrait_credential_pin")
    };
    assert_eq!(auth(client, &bank, &with_pin("20481357")).await.level.as_deref(), Some("L4"));
    assert_eq!(auth(client, &bank, &with_pin("11112222")).await.result, "password_wrong");
    let card_of = |who: &IdentityRecord| {
        let (server, who) = (&server, who.clone());
        async move {
            let card = server.opened.services.cards.issue(&who.id_number, "test").await.unwrap();
            let challenge = server.client.card_challenge().await.unwrap();
            let challenge = CardChallenge {
                nonce: challenge.nonce,
                expires_at: challenge.expires_at,
                mac: challenge.mac,
            };
            serde_json::to_value(card.present(challenge).unwrap()).unwrap()
        }
    };
    let with_card = AuthenticationRequest {
        portrait: face("Colin_Powell/3.jpg"),
        card: Some(card_of(person).await),
        ..wanted("card_portrait_credential")
    };
    assert_eq!(auth(client, &bank, &with_card).await.result, "success");
    let someone_elses_card = AuthenticationRequest {
        portrait: face("Colin_Powell/3.jpg"),
        card: Some(card_of(other).await),
        ..wanted("card_portrait_credential")
    };
    assert_eq!(auth(client, &bank, &someone_elses_card).await.result, "card_credential_mismatch");

    // A light (L3) credential cannot reach the password mode.
    let light_phone = wallet();
    let light = apply(client, &light_phone, other, &dev_face("George_W_Bush/1.jpg")).await.unwrap();
    let light_pin = AuthenticationRequest {
        code: Some(light_phone.qr(&light.credential, &light.qr_key).unwrap()),
        portrait: face("George_W_Bush/2.jpg"),
        password: Some("20481357".into()),
        ..ask("portrait_credential_pin")
    };
    assert_eq!(auth(client, &bank, &light_pin).await.result, "level_insufficient");

    // The citizen sees every use, with the RP's name and purpose.
    let history = client
        .wallet_history(
            &WalletHistoryRequest {
                credential: credential.clone(),
            },
            &phone,
        )
        .await
        .unwrap()
        .entries;
    assert_eq!(history.len(), 11, "{history:?}");
    assert!(history.iter().all(|e| e.purpose == "办理入住登记"));
    let newest = &history[0];
    assert_eq!(
        (newest.rp_name.as_str(), newest.result.as_str()),
        ("某银行", "card_credential_mismatch")
    );
    let oldest = history.last().unwrap();
    assert_eq!(
        (oldest.rp_name.as_str(), oldest.mode.as_str()),
        ("如家酒店 北京海淀店", "qr_verify")
    );
    assert_eq!(oldest.released, vec!["name", "id_number"]);
    assert!(history.iter().any(|e| e.rp_category == "internet" && e.released.is_empty()));
    // Another wallet cannot read it.
    let thief = wallet();
    assert!(client.wallet_history(&WalletHistoryRequest { credential }, &thief).await.is_err());
    let audit = server.admin.verify_audit().await.unwrap();
    assert!(audit.intact);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_relying_party_has_its_own_rate_limit() {
    let (server, people) = server_with_portraits(1, |config| config.credentials.rp_requests_per_second = 3).await;
    let busy = register(&server, "某银行", "bank", &["id_name"], &[]).await;
    let calm = register(&server, "某政务网", "government", &["id_name"], &[]).await;
    for _ in 0..3 {
        auth(&server.client, &busy, &by_id("id_name", &people[0])).await;
    }
    let mut builder = reqwest::Client::new()
        .post(format!("{}/v1/authentications", server.url))
        .basic_auth(&busy.id, Some(&busy.secret));
    builder = builder.json(&by_id("id_name", &people[0]));
    let response = builder.send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(auth(&server.client, &calm, &by_id("id_name", &people[0])).await.result, "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_request_key_makes_signatures_mandatory() {
    let (server, people) = server_with_portraits(1, |_| {}).await;
    let key = wz_testkit::fresh_key("rp");
    let with_key = RelyingPartyRequest {
        public_key: Some(hex::encode(key.verifying_key().to_sec1_bytes())),
        ..request("某银行", "bank", &["id_name"], &[])
    };
    let registered = server.admin.register_relying_party(&with_key).await.unwrap();
    let bank = Party {
        id: registered.relying_party.id.clone(),
        secret: registered.client_secret,
    };
    let ask = by_id("id_name", &people[0]);
    // The secret alone no longer suffices.
    assert_eq!(
        error_code(server.client.authenticate(&bank.id, &bank.secret, &ask).await),
        "request_signature_invalid"
    );
    let signer = std::sync::Arc::new(wz_testkit::rp_signer(&bank.id, key));
    let signing = Client::new(&server.url).with_rp_signer(signer.clone());
    assert_eq!(auth(&signing, &bank, &ask).await.result, "success");

    // The same signed request again is a replay.
    let body = serde_json::to_vec(&ask).unwrap();
    let send = || {
        let mut builder = reqwest::Client::new()
            .post(format!("{}/v1/authentications", server.url))
            .basic_auth(&bank.id, Some(&bank.secret))
            .header("content-type", "application/json");
        for (name, value) in wz_client::RequestSigner::headers(signer.as_ref(), "POST", "/v1/authentications", &body) {
            builder = builder.header(name, value);
        }
        builder.body(body.clone())
    };
    let first = send();
    let replay = first.try_clone().unwrap();
    assert_eq!(first.send().await.unwrap().status(), 200);
    let replayed = replay.send().await.unwrap();
    assert_eq!(replayed.json::<wz_proto::ErrorBody>().await.unwrap().code, "request_replayed");

    // Key rotation: after the update the old key's signatures fail.
    let new_key = wz_testkit::fresh_key("rp");
    let rotated = RelyingPartyRequest {
        public_key: Some(hex::encode(new_key.verifying_key().to_sec1_bytes())),
        ..request("某银行", "bank", &["id_name"], &[])
    };
    server.admin.update_relying_party(&bank.id, &rotated).await.unwrap();
    assert_eq!(
        error_code(signing.authenticate(&bank.id, &bank.secret, &ask).await),
        "request_signature_invalid"
    );
    let renewed = Client::new(&server.url).with_rp_signer(std::sync::Arc::new(wz_testkit::rp_signer(&bank.id, new_key)));
    assert_eq!(auth(&renewed, &bank, &ask).await.result, "success");
}

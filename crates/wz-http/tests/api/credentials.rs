//! The network ID credential over HTTP: light issuance, terminal
//! enrolment, device binding, the card password, wallet QR codes and the
//! card lifecycle, each success and each named failure.
//!
//! Liveness: no camera can film a live person here, so these servers use
//! `ScriptedLiveness` for the geometry verdict (tests that need the real
//! check switch it to `Verdict::Real`); face detection and the comparison
//! with the registry portrait run for real on the dev photos. The server
//! remembers every picture it has checked and refuses it in a later
//! sequence, so each application sends pictures of its own
//! ([`unseen_picture`]).

use base64::Engine;
use image::ImageEncoder;
use wz_client::{Client, ClientError};
use wz_core::{unix_ms, CardChallenge, IdentityRecord, IdentityStatus, Validity};
use wz_proto::{
    BindEnrolmentRequest, ChangeStatusRequest, CompleteEnrolmentRequest, CredentialResponse, CredentialStatusRequest,
    EnrolledCredentialRequest, LightApplicationRequest, PasswordCheckRequest, QrVerifyRequest, RegisterTerminalRequest,
};
use wz_service::{Clock, SystemClock};
use wz_testkit::{
    fresh_key, generated_people, impostor, spawn_server_with, terminal_signer, wallet, KeySigner, TestServer, Verdict, TEST_NOW,
};

/// Dev photos: (portrait, live photo) of one person each.
const FACES: [(&str, &str); 4] = [
    ("Colin_Powell/1.jpg", "Colin_Powell/2.jpg"),
    ("George_W_Bush/1.jpg", "George_W_Bush/2.jpg"),
    ("Gerhard_Schroeder/1.jpg", "Gerhard_Schroeder/2.jpg"),
    ("Jacques_Chirac/1.jpg", "Jacques_Chirac/2.jpg"),
];

pub fn dev_face(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/faces/dev")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("the dev face set is expected at {}: {e}", path.display()))
}

/// `photo` with one corner pixel changed to a value no earlier call gave:
/// the same face, a picture the server has not seen (PNG, so the change
/// survives). Bytes that are no image are returned as they are.
pub fn unseen_picture(photo: &[u8]) -> Vec<u8> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let Ok(decoded) = image::load_from_memory(photo) else {
        return photo.to_vec();
    };
    let mut image = decoded.to_rgb8();
    let [a, b, c, _] = n.to_be_bytes();
    image.put_pixel(0, 0, image::Rgb([a, b, c]));
    image.put_pixel(1, 0, image::Rgb([0x5a, 0xa5, (n % 251) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A server whose registry holds `n` adults with valid cards, person `i`
/// with the portrait of `FACES[i % 4]`.
pub async fn server_with_portraits(n: usize, adjust: impl FnOnce(&mut wz_server::Config)) -> (TestServer, Vec<IdentityRecord>) {
    let server = spawn_server_with(adjust).await;
    let mut people = generated_people(77, n);
    let today = SystemClock.now().date().max(TEST_NOW.date());
    for (i, person) in people.iter_mut().enumerate() {
        person.status = IdentityStatus::Valid;
        person.record.validity = Validity::by_age_rule(person.record.birth_date(), today);
        person.record.portrait = Some(dev_face(FACES[i % FACES.len()].0));
    }
    server.opened.services.registry.seed(&people, "test").await.unwrap();
    (server, people.into_iter().map(|p| p.record).collect())
}

/// Applies for a light credential with 8 frames of `frame` (made a
/// picture the server has not seen).
pub async fn apply(client: &Client, wallet: &KeySigner, person: &IdentityRecord, frame: &[u8]) -> Result<CredentialResponse, ClientError> {
    let challenge = client.liveness_challenge().await.unwrap();
    let request = LightApplicationRequest {
        id_number: person.id_number.expose().into(),
        name: person.name.clone(),
        challenge_token: challenge.token,
        frames: vec![b64(&unseen_picture(frame)); 8],
        speech: None,
    };
    client.apply_light(&request, wallet).await
}

fn code(result: Result<impl std::fmt::Debug, ClientError>) -> String {
    match result {
        Ok(value) => panic!("expected a refusal, got {value:?}"),
        Err(error) => error.code().unwrap_or("transport").to_owned(),
    }
}

async fn state(client: &Client, wallet: &KeySigner, credential: &str) -> String {
    let request = CredentialStatusRequest {
        credential: credential.into(),
    };
    client.credential_status(&request, wallet).await.unwrap().state
}

/// A relying party allowed to verify wallet codes.
pub(crate) async fn verifier(server: &TestServer) -> (String, String) {
    let request = wz_proto::RelyingPartyRequest {
        name: "验码窗口".into(),
        category: "government".into(),
        modes: vec!["credential".into()],
        grants: vec![],
        webhook_url: None,
        public_key: None,
        alg: None,
        oidc: None,
    };
    let registered = server.admin.register_relying_party(&request).await.unwrap();
    (registered.relying_party.id, registered.client_secret)
}

/// The code's text with one byte of its device signature flipped (the CBOR
/// array's fifth element), the MAC left as it was.
fn flip_signature_byte(text: &str) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bytes = engine.decode(text.strip_prefix("WZQR1:").unwrap()).unwrap();
    let mut value: ciborium::Value = ciborium::from_reader(&bytes[..]).unwrap();
    let ciborium::Value::Array(fields) = &mut value else {
        panic!("not an array")
    };
    let ciborium::Value::Bytes(signature) = &mut fields[4] else {
        panic!("no signature")
    };
    signature[10] ^= 0x01;
    let mut out = Vec::new();
    ciborium::into_writer(&value, &mut out).unwrap();
    format!("WZQR1:{}", engine.encode(out))
}

/// Verifies a code as the relying party `rp`.
async fn verify(client: &Client, rp: &(String, String), code_text: String) -> Result<wz_proto::QrVerifyResponse, ClientError> {
    client.verify_qr((&rp.0, &rp.1), &QrVerifyRequest { code: code_text }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn light_issuance_binds_one_device_and_its_qr_codes_verify_once() {
    let (server, people) = server_with_portraits(2, |_| {}).await;
    let (person, client) = (&people[0], &server.client);
    let rp = verifier(&server).await;
    let phone = wallet();
    let issued = apply(client, &phone, person, &dev_face(FACES[0].1)).await.unwrap();
    assert_eq!(issued.level, "L3");
    assert!(!issued.credential.contains(person.id_number.expose()));
    assert_eq!(state(client, &phone, &issued.credential).await, "success");

    // Only an authenticated relying party may spend a code, and it learns
    // no stable identifier but its own pairwise subject (finding: the full
    // credential number went to anyone).
    let unauthenticated = server
        .client
        .verify_qr(
            ("nobody", "nothing"),
            &QrVerifyRequest {
                code: phone.qr(&issued.credential, &issued.qr_key).unwrap(),
            },
        )
        .await;
    assert_eq!(code(unauthenticated), "unauthorized");
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/qr/verify", server.url))
        .json(&serde_json::json!({ "code": phone.qr(&issued.credential, &issued.qr_key).unwrap() }))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let verified = verify(client, &rp, phone.qr(&issued.credential, &issued.qr_key).unwrap())
        .await
        .unwrap();
    assert_eq!((verified.result.as_str(), verified.level.as_str()), ("success", "L3"));
    let number = wz_core::Credential::from_text(&issued.credential).unwrap().body().number.to_hex();
    assert!(!serde_json::to_string(&verified).unwrap().contains(&number[..16]));
    let other_rp = verifier(&server).await;
    let seen_by_other = verify(client, &other_rp, phone.qr(&issued.credential, &issued.qr_key).unwrap())
        .await
        .unwrap();
    assert_ne!(seen_by_other.subject, verified.subject);
    assert_eq!(
        verify(client, &rp, phone.qr(&issued.credential, &issued.qr_key).unwrap())
            .await
            .unwrap()
            .subject,
        verified.subject
    );
    let once = phone.qr(&issued.credential, &issued.qr_key).unwrap();
    verify(client, &rp, once.clone()).await.unwrap();
    assert_eq!(code(verify(client, &rp, once).await), "qr_replayed");
    let old = phone
        .qr_at(&issued.credential, &issued.qr_key, unix_ms(SystemClock.now()) - 61_000)
        .unwrap();
    assert_eq!(code(verify(client, &rp, old).await), "qr_expired");
    // A copied credential in another wallet, without the QR key (held only
    // by the wallet the platform handed it to).
    let thief = wallet();
    let guessed_key = "00".repeat(32);
    assert_eq!(
        code(verify(client, &rp, thief.qr(&issued.credential, &guessed_key).unwrap()).await),
        "qr_wrong_device"
    );
    // The right device with a wrong QR key still verifies, on the signature.
    verify(client, &rp, phone.qr(&issued.credential, &guessed_key).unwrap())
        .await
        .unwrap();
    // An altered nonce (or time) breaks both the MAC and the signature.
    let mut tampered = wz_core::WalletQr::parse(&phone.qr(&issued.credential, &issued.qr_key).unwrap()).unwrap();
    tampered.nonce[0] ^= 1;
    assert_eq!(code(verify(client, &rp, tampered.to_text()).await), "qr_tampered");
    // A flipped signature byte with the MAC intact is refused as an offline
    // verifier would refuse it (finding: the MAC did not cover it).
    let genuine = phone.qr(&issued.credential, &issued.qr_key).unwrap();
    let flipped = flip_signature_byte(&genuine);
    assert_eq!(code(verify(client, &rp, flipped).await), "qr_tampered");
    assert_eq!(code(verify(client, &rp, "hello".into()).await), "qr_malformed");

    // Enrolling the same person on a new phone revokes the old phone's.
    let new_phone = wallet();
    let second = apply(client, &new_phone, person, &dev_face(FACES[0].1)).await.unwrap();
    assert_eq!(state(client, &phone, &issued.credential).await, "credential_replaced");
    assert_eq!(
        code(verify(client, &rp, phone.qr(&issued.credential, &issued.qr_key).unwrap()).await),
        "credential_replaced"
    );
    verify(client, &rp, new_phone.qr(&second.credential, &second.qr_key).unwrap())
        .await
        .unwrap();
    // Another wallet cannot ask about a credential that is not its own.
    let request = CredentialStatusRequest {
        credential: second.credential.clone(),
    };
    assert_eq!(code(client.credential_status(&request, &phone).await), "request_signature_invalid");

    // The card reported lost revokes at once, with the card's own code.
    let lost = ChangeStatusRequest {
        id_number: person.id_number.expose().into(),
        status: "reported_lost".into(),
        reason: "reported_by_holder".into(),
    };
    server.admin.change_status(&lost).await.unwrap();
    assert_eq!(state(client, &new_phone, &second.credential).await, "card_reported_lost");
    assert_eq!(
        code(verify(client, &rp, new_phone.qr(&second.credential, &second.qr_key).unwrap()).await),
        "card_reported_lost"
    );
    assert!(server.admin.verify_audit().await.unwrap().intact);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn light_issuance_names_every_refusal_and_issues_nothing() {
    let (server, people) = server_with_portraits(3, |config| config.credentials.light_per_identity_per_10_minutes = 50).await;
    let (client, phone) = (&server.client, wallet());
    let person = &people[0];
    let live = dev_face(FACES[0].1);

    let mut wrong_name = person.clone();
    wrong_name.name = "张三丰".into();
    assert_eq!(code(apply(client, &phone, &wrong_name, &live).await), "name_mismatch");
    let mut unknown = people[1].clone();
    unknown.id_number = wz_core::NationalIdNumber::parse("11010519491231002X").unwrap();
    assert_eq!(code(apply(client, &phone, &unknown, &live).await), "identity_not_found");
    assert_eq!(code(apply(client, &phone, &people[1], &live).await), "face_mismatch");
    assert_eq!(code(apply(client, &phone, &people[2], &vec![7u8; 2000]).await), "invalid_image");

    server.liveness.set(Verdict::Fail(wz_face::LivenessFailure::NoSpeech));
    assert_eq!(
        code(apply(client, &phone, &people[2], &dev_face(FACES[2].1)).await),
        "liveness_failed"
    );
    // The real geometry check on the same still photo eight times.
    server.liveness.set(Verdict::Real);
    assert_eq!(
        code(apply(client, &phone, &people[2], &dev_face(FACES[2].1)).await),
        "liveness_failed"
    );
    server.liveness.set(Verdict::Pass);

    // A challenge answers once.
    let challenge = client.liveness_challenge().await.unwrap();
    let request = LightApplicationRequest {
        id_number: people[2].id_number.expose().into(),
        name: people[2].name.clone(),
        challenge_token: challenge.token.clone(),
        frames: vec![b64(&unseen_picture(&dev_face(FACES[2].1))); 8],
        speech: None,
    };
    client.apply_light(&request, &phone).await.unwrap();
    assert_eq!(code(client.apply_light(&request, &wallet()).await), "liveness_challenge_invalid");
    let forged = LightApplicationRequest {
        challenge_token: challenge.token.replace('A', "B"),
        ..request.clone()
    };
    assert_eq!(code(client.apply_light(&forged, &phone).await), "liveness_challenge_invalid");
    let few = LightApplicationRequest {
        frames: vec![b64(&live); 3],
        speech: None,
        challenge_token: client.liveness_challenge().await.unwrap().token,
        ..request.clone()
    };
    assert_eq!(code(client.apply_light(&few, &phone).await), "liveness_failed");

    // Unsigned, or signed by a key other than the one it claims.
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/credentials/light", server.url))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let liar = impostor(wallet().signer, fresh_key("terminal"));
    assert_eq!(code(client.apply_light(&request, &liar).await), "request_signature_invalid");

    // Nothing was issued to the refused people; every refusal is audited.
    for refused in &people[..2] {
        let lookup = server.opened.services.context.keyring.sealer.lookup(&refused.id_number);
        assert!(server
            .opened
            .services
            .context
            .store
            .list_credentials(&lookup)
            .await
            .unwrap()
            .is_empty());
    }
    let audit = server.opened.services.context.store.list_audit(0, 1000).await.unwrap();
    assert!(audit.iter().filter(|e| e.action == "credential.light_refused").count() >= 6);
}

/// A sequence that was accepted, sent again with a fresh challenge, is a
/// replayed recording: refused, however the same pictures are wrapped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_sequence_is_refused_under_a_fresh_challenge() {
    let (server, people) = server_with_portraits(1, |config| config.credentials.light_per_identity_per_10_minutes = 50).await;
    let (client, phone) = (&server.client, wallet());
    let person = &people[0];
    let picture = unseen_picture(&dev_face(FACES[0].1));
    let send = |frames: Vec<String>| async {
        let challenge = client.liveness_challenge().await.unwrap();
        let request = LightApplicationRequest {
            id_number: person.id_number.expose().into(),
            name: person.name.clone(),
            challenge_token: challenge.token,
            frames,
            speech: None,
        };
        client.apply_light(&request, &phone).await
    };
    let first = send(vec![b64(&picture); 8]).await.unwrap();
    assert_eq!(code(send(vec![b64(&picture); 8]).await), "liveness_failed");
    // The same pixels in another file: bytes after the end, or compressed
    // otherwise.
    let mut trailing = picture.clone();
    trailing.extend_from_slice(b"not an image");
    assert_eq!(code(send(vec![b64(&trailing); 8]).await), "liveness_failed");
    let decoded = image::load_from_memory(&picture).unwrap().to_rgb8();
    let mut recompressed = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut recompressed,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(decoded.as_raw(), decoded.width(), decoded.height(), image::ExtendedColorType::Rgb8)
    .unwrap();
    assert_ne!(recompressed, picture);
    assert_eq!(code(send(vec![b64(&recompressed); 8]).await), "liveness_failed");
    // One replayed picture among new ones is enough.
    let mut mixed = vec![b64(&unseen_picture(&dev_face(FACES[0].1))); 7];
    mixed.push(b64(&picture));
    assert_eq!(code(send(mixed).await), "liveness_failed");
    // Nothing replaced the first credential.
    assert_eq!(state(client, &phone, &first.credential).await, "success");
    // New pictures of the same face still pass.
    send(vec![b64(&unseen_picture(&dev_face(FACES[0].1))); 8]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn light_issuance_is_rate_limited_per_identity_with_retry_after() {
    let (server, people) = server_with_portraits(1, |_| {}).await;
    let (client, phone) = (&server.client, wallet());
    let live = dev_face(FACES[0].1);
    let mut wrong = people[0].clone();
    wrong.name = "错名".into();
    for _ in 0..5 {
        assert_eq!(code(apply(client, &phone, &wrong, &live).await), "name_mismatch");
    }
    let challenge = client.liveness_challenge().await.unwrap();
    let body = LightApplicationRequest {
        id_number: people[0].id_number.expose().into(),
        name: people[0].name.clone(),
        challenge_token: challenge.token,
        frames: vec![b64(&live); 8],
        speech: None,
    };
    let bytes = serde_json::to_vec(&body).unwrap();
    let mut builder = reqwest::Client::new()
        .post(format!("{}/v1/credentials/light", server.url))
        .header("content-type", "application/json");
    for (name, value) in wz_client::RequestSigner::headers(&phone, "POST", "/v1/credentials/light", &bytes) {
        builder = builder.header(name, value);
    }
    let response = builder.body(bytes).send().await.unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=601).contains(&retry_after), "{retry_after}");
}

/// Registers a terminal and returns its signer.
pub async fn terminal(server: &TestServer) -> KeySigner {
    let key = fresh_key("terminal");
    let request = RegisterTerminalRequest {
        name: "海淀区政务服务中心 3号窗口".into(),
        public_key: hex::encode(key.verifying_key().to_sec1_bytes()),
    };
    let registered = server.admin.register_terminal(&request).await.unwrap();
    terminal_signer(&registered.id, key)
}

/// A card presentation of `person`'s card answering a fresh challenge.
async fn present_card(server: &TestServer, person: &IdentityRecord) -> serde_json::Value {
    let card = server.opened.services.cards.issue(&person.id_number, "test").await.unwrap();
    let challenge = server.client.card_challenge().await.unwrap();
    let challenge = CardChallenge {
        nonce: challenge.nonce,
        expires_at: challenge.expires_at,
        mac: challenge.mac,
    };
    serde_json::to_value(card.present(challenge).unwrap()).unwrap()
}

/// Completes an enrolment at `kiosk` for `person` into `phone`.
pub async fn enrol_at_terminal(
    server: &TestServer,
    kiosk: &KeySigner,
    phone: &KeySigner,
    person: &IdentityRecord,
    face: &[u8],
) -> Result<CredentialResponse, ClientError> {
    let client = &server.client;
    let opened = client.open_enrolment(kiosk).await.unwrap();
    let bind = BindEnrolmentRequest {
        qr_payload: opened.qr_payload,
    };
    client.bind_enrolment(&bind, phone).await.unwrap();
    let completion = CompleteEnrolmentRequest {
        card: present_card(server, person).await,
        password: "20481357".into(),
        password_confirmation: "20481357".into(),
        face: b64(face),
    };
    client.complete_enrolment(&opened.enrolment_id, &completion, kiosk).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_enrolment_issues_an_upgraded_credential_and_the_password_locks() {
    let (server, people) = server_with_portraits(2, |_| {}).await;
    let (client, person) = (&server.client, &people[0]);
    let rp = verifier(&server).await;
    let kiosk = terminal(&server).await;
    let phone = wallet();

    let opened = client.open_enrolment(&kiosk).await.unwrap();
    assert!(opened.qr_payload.starts_with("WZENROL1:"));
    let completion = |password: &str, confirmation: &str, card: serde_json::Value| CompleteEnrolmentRequest {
        card,
        password: password.into(),
        password_confirmation: confirmation.into(),
        face: b64(&dev_face(FACES[0].1)),
    };
    // Not scanned yet: nothing to complete.
    let early = completion("20481357", "20481357", present_card(&server, person).await);
    assert_eq!(
        code(client.complete_enrolment(&opened.enrolment_id, &early, &kiosk).await),
        "enrolment_state"
    );
    let binding = client
        .bind_enrolment(
            &BindEnrolmentRequest {
                qr_payload: opened.qr_payload.clone(),
            },
            &phone,
        )
        .await
        .unwrap();
    assert_eq!(binding.terminal_name, "海淀区政务服务中心 3号窗口");
    let again = BindEnrolmentRequest {
        qr_payload: opened.qr_payload.clone(),
    };
    assert_eq!(code(client.bind_enrolment(&again, &wallet()).await), "enrolment_state");
    // Change the secret's last digit (to another digit: "0" may already be it).
    let last = if opened.qr_payload.ends_with('0') { '1' } else { '0' };
    let forged = BindEnrolmentRequest {
        qr_payload: format!("{}{last}", &opened.qr_payload[..opened.qr_payload.len() - 1]),
    };
    assert_eq!(code(client.bind_enrolment(&forged, &phone).await), "enrolment_not_found");

    let weak = completion("12345678", "12345678", present_card(&server, person).await);
    assert_eq!(
        code(client.complete_enrolment(&opened.enrolment_id, &weak, &kiosk).await),
        "password_too_weak"
    );
    let mismatch = completion("20481357", "20481358", present_card(&server, person).await);
    assert_eq!(
        code(client.complete_enrolment(&opened.enrolment_id, &mismatch, &kiosk).await),
        "password_mismatch"
    );
    let other_face = CompleteEnrolmentRequest {
        face: b64(&dev_face(FACES[1].1)),
        ..completion("20481357", "20481357", present_card(&server, person).await)
    };
    assert_eq!(
        code(client.complete_enrolment(&opened.enrolment_id, &other_face, &kiosk).await),
        "face_mismatch"
    );
    let stranger = terminal_signer(&kiosk_id(&kiosk), fresh_key("terminal"));
    let good = completion("20481357", "20481357", present_card(&server, person).await);
    assert_eq!(
        code(client.complete_enrolment(&opened.enrolment_id, &good, &stranger).await),
        "request_signature_invalid"
    );
    let issued = client.complete_enrolment(&opened.enrolment_id, &good, &kiosk).await.unwrap();
    assert_eq!(issued.level, "L4");
    // The card answer was spent: the same presentation cannot issue twice.
    let reopened = client.open_enrolment(&kiosk).await.unwrap();
    let other_phone = wallet();
    client
        .bind_enrolment(
            &BindEnrolmentRequest {
                qr_payload: reopened.qr_payload,
            },
            &other_phone,
        )
        .await
        .unwrap();
    assert_eq!(
        code(client.complete_enrolment(&reopened.enrolment_id, &good, &kiosk).await),
        "card_challenge_invalid"
    );

    // The wallet fetches what it was issued.
    let fetched = client
        .enrolled_credential(
            &EnrolledCredentialRequest {
                enrolment_id: opened.enrolment_id.clone(),
            },
            &phone,
        )
        .await
        .unwrap();
    assert_eq!(fetched, issued);
    assert_eq!(state(client, &phone, &issued.credential).await, "success");
    verify(client, &rp, phone.qr(&issued.credential, &issued.qr_key).unwrap())
        .await
        .unwrap();

    // Password: right, then five wrong in a row lock it, even the right one.
    let check = |password: &str| PasswordCheckRequest {
        credential: issued.credential.clone(),
        password: password.into(),
    };
    assert_eq!(client.check_password(&check("20481357"), &phone).await.unwrap().result, "success");
    for remaining in [4, 3, 2, 1] {
        let answer = client.check_password(&check("11112222"), &phone).await.unwrap();
        assert_eq!(
            (answer.result.as_str(), answer.remaining_attempts),
            ("password_wrong", Some(remaining))
        );
    }
    let locked = client.check_password(&check("11112222"), &phone).await.unwrap();
    assert_eq!(locked.result, "password_locked");
    assert!(locked.locked_until_ms.unwrap() > unix_ms(SystemClock.now()) + 59 * 60_000);
    assert_eq!(
        client.check_password(&check("20481357"), &phone).await.unwrap().result,
        "password_locked"
    );
    assert_eq!(code(client.check_password(&check("2048"), &phone).await), "password_format");

    // Enrolling again at a terminal sets a new password: the old credential
    // is void with the reset's own code.
    let newer = wallet();
    enrol_at_terminal(&server, &kiosk, &newer, person, &dev_face(FACES[0].1))
        .await
        .unwrap();
    assert_eq!(state(client, &phone, &issued.credential).await, "credential_password_reset");
    assert!(server.admin.verify_audit().await.unwrap().intact);
}

fn kiosk_id(kiosk: &KeySigner) -> String {
    match &kiosk.signer {
        wz_core::Signer::Terminal(id) => id.clone(),
        wz_core::Signer::Device(_) | wz_core::Signer::RelyingParty(_) => unreachable!("a terminal signer"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_enrolment_tells_the_wallet_and_can_never_complete() {
    let (server, people) = server_with_portraits(1, |_| {}).await;
    let client = &server.client;
    let (kiosk, other_kiosk, phone) = (terminal(&server).await, terminal(&server).await, wallet());
    let opened = client.open_enrolment(&kiosk).await.unwrap();
    let bind = BindEnrolmentRequest {
        qr_payload: opened.qr_payload,
    };
    client.bind_enrolment(&bind, &phone).await.unwrap();
    let waiting = EnrolledCredentialRequest {
        enrolment_id: opened.enrolment_id.clone(),
    };
    assert_eq!(code(client.enrolled_credential(&waiting, &phone).await), "enrolment_state");
    // Only the terminal that opened it may end it.
    assert_eq!(
        code(client.cancel_enrolment(&opened.enrolment_id, &other_kiosk).await),
        "enrolment_not_found"
    );
    let cancelled = client.cancel_enrolment(&opened.enrolment_id, &kiosk).await.unwrap();
    assert_eq!(cancelled.state, "cancelled");
    assert_eq!(code(client.enrolled_credential(&waiting, &phone).await), "enrolment_cancelled");
    assert_eq!(
        code(client.cancel_enrolment(&opened.enrolment_id, &kiosk).await),
        "enrolment_cancelled"
    );
    let completion = CompleteEnrolmentRequest {
        card: present_card(&server, &people[0]).await,
        password: "20481357".into(),
        password_confirmation: "20481357".into(),
        face: b64(people[0].portrait.as_deref().unwrap()),
    };
    assert_eq!(
        code(client.complete_enrolment(&opened.enrolment_id, &completion, &kiosk).await),
        "enrolment_cancelled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_terminals_and_replayed_requests_are_refused() {
    let (server, _) = server_with_portraits(1, |_| {}).await;
    let nobody = terminal_signer("t-0000000000000000", fresh_key("terminal"));
    assert_eq!(code(server.client.open_enrolment(&nobody).await), "terminal_unknown");
    let kiosk = terminal(&server).await;
    // The same signed request twice: the nonce is spent.
    let body = b"{}".to_vec();
    let headers = wz_client::RequestSigner::headers(&kiosk, "POST", "/v1/terminal/enrolments", &body);
    let send = || {
        let mut builder = reqwest::Client::new()
            .post(format!("{}/v1/terminal/enrolments", server.url))
            .header("content-type", "application/json");
        for (name, value) in &headers {
            builder = builder.header(*name, value);
        }
        builder.body(body.clone()).send()
    };
    assert_eq!(send().await.unwrap().status(), 200);
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), 401);
    assert_eq!(replay.json::<wz_proto::ErrorBody>().await.unwrap().code, "request_replayed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_parallel_light_issuances_all_succeed() {
    // 100 × 9 face inferences queue for 2 cores: allow the last its wait.
    let (server, people) = server_with_portraits(100, |config| config.server.request_timeout_seconds = 300).await;
    let tasks: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(i, person)| {
            let (client, person) = (server.client.clone(), person.clone());
            tokio::spawn(async move { apply(&client, &wallet(), &person, &dev_face(FACES[i % FACES.len()].0)).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().level, "L3");
    }
    let audit = server.admin.verify_audit().await.unwrap();
    assert!(audit.intact);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_racing_enrolments_leave_one_active_credential() {
    let (server, people) = server_with_portraits(1, |config| config.credentials.light_per_identity_per_10_minutes = 50).await;
    let person = people[0].clone();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (client, person) = (server.client.clone(), person.clone());
            tokio::spawn(async move { apply(&client, &wallet(), &person, &dev_face(FACES[0].0)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let lookup = server.opened.services.context.keyring.sealer.lookup(&person.id_number);
    let all = server.opened.services.context.store.list_credentials(&lookup).await.unwrap();
    assert_eq!(all.len(), 20);
    assert_eq!(all.iter().filter(|c| c.status == wz_store::CredentialStatus::Active).count(), 1);
}

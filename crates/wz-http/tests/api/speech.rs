//! The spoken digits over HTTP: light issuance with the audio recorded
//! while filming. The geometry verdict is scripted (no camera films a live
//! person here, see `credentials.rs`); voice activity, lip timing and the
//! recogniser run for real on espeak-ng recordings (`wz-speech/tests/audio`)
//! and the dev photos of one person. Needs `scripts/fetch-models`.

use base64::Engine;
use wz_client::{Client, ClientError};
use wz_core::IdentityRecord;
use wz_proto::{CredentialResponse, LightApplicationRequest, SpokenDigits};
use wz_speech::{encode_wav, Recording, Whisper};
use wz_testkit::{wallet, KeySigner};

use crate::credentials::{b64, dev_face, server_with_portraits, unseen_picture};

fn audio_file(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../wz-speech/tests/audio")
            .join(name),
    )
    .unwrap()
}

/// Eight photos of the portrait's person (the six of Colin Powell besides
/// the portrait that hold one face, two of them twice; the mouth ratio
/// differs between them, 0.08–0.24, as it does while speaking), each made
/// unseen.
fn frames() -> Vec<String> {
    [2, 5, 6, 7, 8, 9, 2, 5]
        .iter()
        .map(|n| b64(&unseen_picture(&dev_face(&format!("Colin_Powell/{n}.jpg")))))
        .collect()
}

/// `wav` with the eight frames spread evenly over it.
fn spoken(wav: Vec<u8>, language: &str) -> SpokenDigits {
    let duration = Recording::from_wav(&wav).map_or(3000, |r| r.duration_ms());
    SpokenDigits {
        audio: base64::engine::general_purpose::STANDARD.encode(&wav),
        frame_times_ms: (1..=8).map(|i| i * duration / 9).collect(),
        language: language.into(),
    }
}

async fn apply(
    client: &Client,
    phone: &KeySigner,
    person: &IdentityRecord,
    speech: impl FnOnce(&str) -> Option<SpokenDigits>,
) -> Result<CredentialResponse, ClientError> {
    let challenge = client.liveness_challenge().await.unwrap();
    let request = LightApplicationRequest {
        id_number: person.id_number.expose().into(),
        name: person.name.clone(),
        challenge_token: challenge.token,
        frames: frames(),
        speech: speech(&challenge.digits),
    };
    client.apply_light(&request, phone).await
}

fn code(result: Result<CredentialResponse, ClientError>) -> String {
    match result {
        Ok(_) => panic!("expected a refusal"),
        Err(error) => error.code().unwrap_or("transport").to_owned(),
    }
}

/// A live sequence answering a fresh challenge with its digits read in
/// English: the first of up to six challenges whose spliced take the same
/// model, run here, hears right (its accuracy is measured elsewhere; the
/// tests using this check the wiring).
pub(crate) async fn heard_live_sequence(client: &Client) -> wz_proto::LiveSequence {
    let whisper = Whisper::load(&wz_testkit::speech_model_dir()).unwrap();
    for _ in 0..6 {
        let challenge = client.liveness_challenge().await.unwrap();
        let take = say(&challenge.digits);
        let heard = whisper.transcribe(&Recording::from_wav(&take).unwrap()).unwrap();
        if wz_speech::spoken_digits(&heard.text) == challenge.digits {
            return wz_proto::LiveSequence {
                challenge_token: challenge.token,
                frames: frames(),
                speech: Some(spoken(take, "en")),
            };
        }
    }
    panic!("no spliced take was heard right in six challenges");
}

/// The challenge's digits spoken: the per-digit clips joined with pauses.
fn say(digits: &str) -> Vec<u8> {
    let pause = vec![0.0f32; 2400];
    let mut samples = vec![0.0f32; 4800];
    for digit in digits.chars() {
        samples.extend_from_slice(Recording::from_wav(&audio_file(&format!("digits/{digit}.wav"))).unwrap().samples());
        samples.extend_from_slice(&pause);
    }
    samples.extend_from_slice(&vec![0.0; 4800]);
    encode_wav(&samples)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digits_read_aloud_are_heard_and_checked() {
    let (server, people) = server_with_portraits(1, |config| config.credentials.light_per_identity_per_10_minutes = 50).await;
    let (client, phone, person) = (&server.client, wallet(), &people[0]);

    // Mandarin: the voice is heard while the mouth moves; the digits are
    // not checked (the recogniser is English only).
    apply(client, &phone, person, |_| Some(spoken(audio_file("cmn_4719.wav"), "zh")))
        .await
        .unwrap();
    // English: another challenge's digits are refused (a replayed take).
    let replayed = apply(client, &phone, person, |digits| {
        assert_ne!(digits, "4719", "a one-in-10,000 challenge: run the test again");
        Some(spoken(audio_file("en_us_4719.wav"), "en"))
    });
    assert_eq!(code(replayed.await), "liveness_failed");
    // A voice over a face whose mouth does not move (one photo eight times).
    let still = LightApplicationRequest {
        id_number: person.id_number.expose().into(),
        name: person.name.clone(),
        challenge_token: client.liveness_challenge().await.unwrap().token,
        frames: (0..8).map(|_| b64(&unseen_picture(&dev_face("Colin_Powell/2.jpg")))).collect(),
        speech: Some(spoken(audio_file("cmn_4719.wav"), "zh")),
    };
    assert_eq!(code(client.apply_light(&still, &phone).await), "liveness_failed");
    // Silence, however well timed, is no reading.
    assert_eq!(
        code(apply(client, &phone, person, |_| Some(spoken(audio_file("silence.wav"), "zh"))).await),
        "liveness_failed"
    );

    // The challenge's own digits, spliced from per-digit clips and heard
    // right by the same model (see `heard_live_sequence`): issued.
    let live = heard_live_sequence(client).await;
    let request = LightApplicationRequest {
        id_number: person.id_number.expose().into(),
        name: person.name.clone(),
        challenge_token: live.challenge_token,
        frames: live.frames,
        speech: live.speech,
    };
    client.apply_light(&request, &phone).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_audio_is_refused_before_the_challenge_is_spent() {
    let (server, people) = server_with_portraits(1, |config| config.credentials.light_per_identity_per_10_minutes = 50).await;
    let (client, phone, person) = (&server.client, wallet(), &people[0]);
    let challenge = client.liveness_challenge().await.unwrap();
    let request = |speech: Option<SpokenDigits>| LightApplicationRequest {
        id_number: person.id_number.expose().into(),
        name: person.name.clone(),
        challenge_token: challenge.token.clone(),
        frames: frames(),
        speech,
    };
    let mut eight_khz = audio_file("en_us_4719.wav");
    eight_khz[24..28].copy_from_slice(&8000u32.to_le_bytes());
    let mut too_few_times = spoken(audio_file("cmn_4719.wav"), "zh");
    too_few_times.frame_times_ms.pop();
    let mut backwards = spoken(audio_file("cmn_4719.wav"), "zh");
    backwards.frame_times_ms.swap(0, 1);
    for bad in [
        spoken(b"RIFF not a wav".to_vec(), "zh"),
        spoken(eight_khz, "zh"),
        spoken(audio_file("cmn_4719.wav"), "fr"),
        too_few_times,
        backwards,
        SpokenDigits {
            audio: "%%%".into(),
            ..spoken(audio_file("cmn_4719.wav"), "zh")
        },
    ] {
        assert_eq!(code(client.apply_light(&request(Some(bad)), &phone).await), "audio_invalid");
    }
    // Nothing was spent: the same challenge still answers.
    client
        .apply_light(&request(Some(spoken(audio_file("cmn_4719.wav"), "zh"))), &phone)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_requiring_speech_refuses_silent_applications() {
    let (server, people) = server_with_portraits(1, |config| {
        config.credentials.light_per_identity_per_10_minutes = 50;
        config.credentials.require_speech = true;
    })
    .await;
    let (client, phone, person) = (&server.client, wallet(), &people[0]);
    assert_eq!(code(apply(client, &phone, person, |_| None).await), "liveness_failed");
    apply(client, &phone, person, |_| Some(spoken(audio_file("cmn_4719.wav"), "zh")))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_model_the_server_says_so_for_english_and_still_hears_mandarin() {
    let empty = tempfile::tempdir().unwrap();
    let folder = empty.path().to_path_buf();
    let (server, people) = server_with_portraits(1, move |config| config.credentials.speech_model_dir = folder).await;
    let (client, phone, person) = (&server.client, wallet(), &people[0]);
    let english = apply(client, &phone, person, |digits| Some(spoken(say(digits), "en")));
    assert_eq!(code(english.await), "service_unavailable");
    apply(client, &phone, person, |_| Some(spoken(audio_file("cmn_4719.wav"), "zh")))
        .await
        .unwrap();
}

/// A session's face check from a live sequence: the challenge's digits read
/// aloud while filming, and the signed result says `spoken_digits`; the same
/// answer sent again is refused (a challenge is answered once); a still
/// portrait is still compared, but its result claims no liveness.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_face_check_from_a_live_sequence_says_so_in_the_signed_result() {
    use wz_core::{session_frame, unix_ms};
    use wz_proto::{AuthenticationResponse, CompleteSessionRequest, LiveSequence};
    use wz_service::{Clock, SystemClock};

    let (server, people) = server_with_portraits(1, |_| {}).await;
    let client = &server.client;
    let phone = wallet();
    let issued = apply(client, &phone, &people[0], |_| None).await.unwrap();
    let window = crate::sessions::register(&server, "海淀区政务服务中心", &["name"], None).await;
    let complete = |live: Option<LiveSequence>, portrait: Option<String>| {
        let (window, phone, issued) = (&window, &phone, &issued);
        async move {
            let created = client
                .create_session(window.auth(), &crate::sessions::ask("portrait_credential"))
                .await
                .unwrap();
            let secret = crate::sessions::secret_bytes(&created.secret);
            let frame = session_frame(&secret, &created.session_id, unix_ms(SystemClock.now()));
            let scanned = client.scan_session(&frame, phone).await.unwrap();
            client.consent_session(&scanned.session_id, phone).await.unwrap();
            let proof = CompleteSessionRequest {
                code: phone.qr(&issued.credential, &issued.qr_key).unwrap(),
                portrait,
                live,
                password: None,
            };
            client.complete_session(&scanned.session_id, &proof, phone).await
        }
    };
    let liveness = |response: AuthenticationResponse| async move { crate::relying_parties::checked(client, &response).await.liveness };

    let live = heard_live_sequence(client).await;
    let done = complete(Some(live.clone()), None).await.unwrap();
    assert_eq!(done.result, "success");
    assert_eq!(liveness(done).await.as_deref(), Some("spoken_digits"));

    // Refusals are signed results too.
    let replayed = complete(Some(live), None).await.unwrap();
    assert_eq!(replayed.result, "liveness_challenge_invalid");

    // Other digits than the challenge's: refused as a failed liveness check.
    let challenge = client.liveness_challenge().await.unwrap();
    let wrong: String = challenge
        .digits
        .chars()
        .map(|d| char::from_digit((d.to_digit(10).unwrap() + 1) % 10, 10).unwrap())
        .collect();
    let misread = LiveSequence {
        challenge_token: challenge.token,
        frames: frames(),
        speech: Some(spoken(say(&wrong), "en")),
    };
    assert_eq!(complete(Some(misread), None).await.unwrap().result, "liveness_failed");

    let still = base64::engine::general_purpose::STANDARD.encode(dev_face("Colin_Powell/2.jpg"));
    let done = complete(None, Some(still)).await.unwrap();
    assert_eq!(done.result, "success");
    assert_eq!(liveness(done).await, None);
}

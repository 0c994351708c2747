//! Light issuance (轻量版, L3) online: name + ID number + a live face
//! sequence answering a liveness challenge, compared with the registry
//! portrait, bound to the wallet key that signed the request.

use std::net::IpAddr;

use serde_json::json;
use wz_core::{unix_ms, AssuranceLevel, AuditDraft, Credential, NationalIdNumber, ResultCode};
use wz_face::{FrameObservation, LivenessChallenge, LivenessFailure, MAX_FRAMES, MIN_FRAMES};
use wz_speech::{FrameMouth, SpeechFailure};
use wz_store::NonceUse;

use super::{short_number, CredentialService, IssueRequest};
use crate::faces::ObservedFrame;
use crate::liveness::{open_challenge, seal_challenge, IssuedChallenge};
use crate::{ServiceError, SignedRequest};

/// What a wallet sends to apply (personal and biometric data:
/// deliberately not `Debug`).
pub struct LightApplication {
    /// ID number as typed.
    pub id_number: String,
    /// Name as typed.
    pub name: String,
    /// The face sequence answering the liveness challenge.
    pub sequence: LiveSequence,
}

/// A face sequence answering a liveness challenge: light issuance, and a
/// session's face check when the wallet proves a person is there
/// (biometric data: deliberately not `Debug`).
pub struct LiveSequence {
    /// The token of the liveness challenge answered.
    pub challenge_token: String,
    /// The frames, JPEG or PNG.
    pub frames: Vec<Vec<u8>>,
    /// The digits read aloud while filming, if the wallet recorded them.
    pub speech: Option<SpokenAudio>,
}

/// The audio of a light application.
pub struct SpokenAudio {
    /// 16 kHz mono 16-bit PCM WAV.
    pub wav: Vec<u8>,
    /// When each frame was taken, milliseconds from the start of the audio.
    pub frame_times_ms: Vec<u32>,
    /// The language the digits were read in.
    pub language: SpeechLanguage,
}

/// Languages the digits may be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechLanguage {
    /// English: the digits heard are checked against the challenge.
    English,
    /// Mandarin: voice and lip timing only (the recogniser is English only).
    Mandarin,
}

impl SpeechLanguage {
    /// `en` or `zh`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "en" => Some(Self::English),
            "zh" => Some(Self::Mandarin),
            _ => None,
        }
    }
}

impl CredentialService {
    /// A fresh liveness challenge (stateless token, single use on answer).
    pub fn liveness_challenge(&self) -> IssuedChallenge {
        let nonce = self.random::<16>();
        let random = self.random::<5>();
        let now_ms = unix_ms(self.context.clock.now());
        let lifetime_ms = self.context.policy.challenge_lifetime.whole_milliseconds() as i64;
        let challenge = wz_face::LivenessChallenge::new(nonce, random, now_ms, lifetime_ms);
        seal_challenge(&self.context.keyring.liveness_key, &challenge, random)
    }

    /// Issues a light credential to the wallet that signed `request`.
    /// Every attempt past the rate limits and signature is audited with its
    /// result, without personal data.
    pub async fn apply_light(
        &self,
        request: SignedRequest<'_>,
        application: LightApplication,
        client: IpAddr,
    ) -> Result<Credential, ServiceError> {
        self.limits
            .per_client
            .check(&client)
            .map_err(|retry_after| ServiceError::RateLimited { retry_after })?;
        let device_key = self.context.verify_device_request(&request).await?;
        let id_number = NationalIdNumber::parse(application.id_number.trim())?;
        let lookup = self.context.keyring.sealer.lookup(&id_number);
        self.limits
            .per_identity
            .check(&hex::encode(lookup.as_bytes()))
            .await
            .map_err(|retry_after| ServiceError::RateLimited { retry_after })?;
        let number = wz_core::CredentialNumber::derive(&self.context.keyring.credential_number_key, &id_number);
        let result = self.light_checks(&application, &id_number, &device_key).await;
        let now = self.context.clock.now();
        let code = match &result {
            Ok(_) => ResultCode::Success,
            Err(error) => error.result_code(),
        };
        if result.is_err() {
            let audit = AuditDraft::new("wallet", "credential.light_refused", Some(short_number(&number)), now)
                .with_details(json!({ "result": code.as_str() }));
            self.context.store.append_audit(audit).await?;
        }
        result
    }

    /// Records the pictures of a sequence as seen, cluster-wide (the nonce
    /// table), and says whether none was seen in an earlier one. A picture
    /// repeated inside one sequence counts once (a camera that stalls); the
    /// geometry check refuses a sequence that does not move.
    async fn frames_unseen(&self, frames: &[ObservedFrame], now_ms: i64) -> Result<bool, ServiceError> {
        let memory_ms = self.context.policy.liveness_frame_memory.whole_milliseconds() as i64;
        let mut distinct: Vec<[u8; 16]> = frames.iter().map(|frame| frame.pixels).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let uses: Vec<NonceUse> = distinct
            .into_iter()
            .map(|pixels| NonceUse {
                kind: "liveness_frame",
                nonce: pixels,
                expires_at_ms: now_ms.saturating_add(memory_ms),
                credential: None,
            })
            .collect();
        Ok(self.context.store.consume_nonces(&uses).await?.into_iter().all(|fresh| fresh))
    }

    async fn light_checks(
        &self,
        application: &LightApplication,
        id_number: &NationalIdNumber,
        device_key: &wz_crypto::Sm2VerifyingKey,
    ) -> Result<Credential, ServiceError> {
        let context = &self.context;
        let challenge = self.well_formed(&application.sequence)?;
        let (lookup, row) = context.get_identity(id_number).await?;
        let record = context.open_record(&lookup, &row, true).await?;
        if record.name != application.name.trim() {
            return Err(ServiceError::Refused(ResultCode::NameMismatch));
        }
        if let Some(code) = row.status.refusal() {
            return Err(ServiceError::CardRefused(code));
        }
        let frames = self.answered(&application.sequence, &challenge).await?;
        self.compare_with_portrait(&record, frames[0].descriptor.clone(), AssuranceLevel::L3)
            .await?;
        self.issue(IssueRequest {
            lookup,
            record: &record,
            level: AssuranceLevel::L3,
            device_key,
            new_password: None,
            enrolment: None,
            actor: "wallet",
        })
        .await
    }

    /// The live face of a sequence that answers its challenge, for a
    /// session's face check: the cheap checks, then [`Self::answered`].
    pub(crate) async fn live_face(&self, sequence: &LiveSequence) -> Result<wz_face::FaceDescriptor, ServiceError> {
        let challenge = self.well_formed(sequence)?;
        let frames = self.answered(sequence, &challenge).await?;
        Ok(frames[0].descriptor.clone())
    }

    /// The cheap checks, before anything is spent or looked up: the
    /// challenge is ours and current, the frame count fits, the audio is
    /// well-formed (or present, when speech is required).
    fn well_formed(&self, sequence: &LiveSequence) -> Result<LivenessChallenge, ServiceError> {
        let context = &self.context;
        let challenge = open_challenge(&context.keyring.liveness_key, &sequence.challenge_token)?;
        let now_ms = unix_ms(context.clock.now());
        if now_ms > challenge.expires_at_ms {
            return Err(ServiceError::Refused(ResultCode::LivenessChallengeInvalid));
        }
        if !(MIN_FRAMES..=MAX_FRAMES).contains(&sequence.frames.len()) {
            return Err(ServiceError::Refused(ResultCode::LivenessFailed));
        }
        // Malformed audio is refused before anything is spent.
        if let Some(speech) = &sequence.speech {
            let times_fit =
                speech.frame_times_ms.len() == sequence.frames.len() && speech.frame_times_ms.windows(2).all(|pair| pair[0] < pair[1]);
            if !times_fit || wz_speech::Recording::from_wav(&speech.wav).is_err() {
                return Err(ServiceError::Refused(ResultCode::AudioInvalid));
            }
        } else if context.policy.require_speech {
            tracing::info!("liveness failed: no audio of the digits");
            return Err(ServiceError::Refused(ResultCode::LivenessFailed));
        }
        Ok(challenge)
    }

    /// The sequence answers `challenge`: its nonce spent (single use, before
    /// the expensive work, so a replayed answer fails even while the first
    /// is being checked), no frame seen in an earlier sequence, one face
    /// performing the challenge throughout, and the spoken digits when
    /// sent. The frames observed.
    async fn answered(&self, sequence: &LiveSequence, challenge: &LivenessChallenge) -> Result<Vec<FrameObservation>, ServiceError> {
        let context = &self.context;
        let now_ms = unix_ms(context.clock.now());
        let spent = NonceUse {
            kind: "liveness",
            nonce: challenge.nonce,
            expires_at_ms: challenge.expires_at_ms,
            credential: None,
        };
        if !context.store.consume_nonce(&spent).await? {
            return Err(ServiceError::Refused(ResultCode::LivenessChallengeInvalid));
        }
        let observed = context.face.observe_frames(sequence.frames.clone()).await?;
        if context.liveness.refuses_replayed_frames() && !self.frames_unseen(&observed, now_ms).await? {
            tracing::info!("liveness failed: frames of an earlier sequence sent again");
            return Err(ServiceError::Refused(ResultCode::LivenessFailed));
        }
        let Some(frames) = observed.into_iter().map(|frame| frame.observation).collect::<Option<Vec<_>>>() else {
            return Err(ServiceError::Refused(ResultCode::NoFace));
        };
        match context.liveness.check(challenge, &challenge.nonce, &frames, now_ms) {
            Ok(()) => {}
            Err(LivenessFailure::NoFace) => return Err(ServiceError::Refused(ResultCode::NoFace)),
            Err(failure) => {
                tracing::info!(reason = %failure, "liveness failed");
                return Err(ServiceError::Refused(ResultCode::LivenessFailed));
            }
        }
        if let Some(speech) = &sequence.speech {
            self.check_speech(speech, challenge, &frames).await?;
        }
        Ok(frames)
    }

    /// The spoken half of the challenge: a voice heard while filming, the
    /// mouth moving while it is heard, and in English the challenge's digits.
    async fn check_speech(
        &self,
        speech: &SpokenAudio,
        challenge: &LivenessChallenge,
        frames: &[FrameObservation],
    ) -> Result<(), ServiceError> {
        let heard = match self
            .context
            .speech
            .hear(speech.wav.clone(), speech.language == SpeechLanguage::English)
            .await?
        {
            Ok(heard) => heard,
            Err(_) => return Err(ServiceError::Refused(ResultCode::AudioInvalid)),
        };
        let mouths: Vec<FrameMouth> = frames
            .iter()
            .zip(&speech.frame_times_ms)
            .map(|(frame, &at_ms)| FrameMouth {
                at_ms,
                mouth_ratio: wz_face::mouth_aspect_ratio(&frame.landmarks),
            })
            .collect();
        match wz_speech::check_speech(
            &heard.voice,
            heard.duration_ms,
            &mouths,
            heard.transcript.as_deref(),
            &challenge.digits,
            self.context.liveness.expects_movement(),
        ) {
            Ok(_) => Ok(()),
            Err(SpeechFailure::FrameTimes) => Err(ServiceError::Refused(ResultCode::AudioInvalid)),
            Err(failure) => {
                tracing::info!(reason = %failure, "liveness failed");
                Err(ServiceError::Refused(ResultCode::LivenessFailed))
            }
        }
    }
}

//! The network ID credential (网证) on the wire: liveness challenges, light
//! issuance, terminal enrolment, the wallet's own requests and QR code
//! verification. Requests marked "signed" carry the headers `x-wz-signer`,
//! `x-wz-timestamp`, `x-wz-nonce` and `x-wz-signature`
//! (docs/credential-format.md).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A liveness challenge to show the citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LivenessChallengeResponse {
    /// Opaque token to send back with the frames.
    pub token: String,
    /// Digits to read aloud.
    pub digits: String,
    /// `blink`, `turn_left` or `turn_right` (`open_mouth` is no longer
    /// issued; clients should still show it).
    pub action: String,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// Light issuance (signed by the wallet's device key).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LightApplicationRequest {
    /// 18-character ID number.
    pub id_number: String,
    /// Name as on the card.
    pub name: String,
    /// Token of the liveness challenge answered.
    pub challenge_token: String,
    /// 8–30 frames, JPEG or PNG, standard base64.
    pub frames: Vec<String>,
    /// The digits read aloud while filming (optional unless the server
    /// requires speech; docs/credentials.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech: Option<SpokenDigits>,
}

/// A live face sequence answering a liveness challenge, as a wallet sends
/// it to prove a person is there when a session compares faces.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveSequence {
    /// Token of the liveness challenge answered.
    pub challenge_token: String,
    /// 8–30 frames, JPEG or PNG, standard base64.
    pub frames: Vec<String>,
    /// The digits read aloud while filming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech: Option<SpokenDigits>,
}

impl std::fmt::Debug for LiveSequence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LiveSequence({} frames, <biometric data>)", self.frames.len())
    }
}

/// The audio recorded while the frames were filmed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpokenDigits {
    /// 16 kHz mono 16-bit PCM WAV, 0.5–20 s, standard base64.
    pub audio: String,
    /// When each frame was taken, milliseconds from the start of the
    /// audio, increasing; one per frame.
    pub frame_times_ms: Vec<u32>,
    /// The language the digits were read in: `en` (the digits heard are
    /// checked against the challenge) or `zh` (voice and lip timing only:
    /// the server's recogniser knows English only).
    pub language: String,
}

impl std::fmt::Debug for LightApplicationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LightApplicationRequest({} frames, <personal data>)", self.frames.len())
    }
}

/// An issued credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CredentialResponse {
    /// The signed credential, base64url (keep it in the wallet).
    pub credential: String,
    /// Serial, hex.
    pub serial: String,
    /// `L3` or `L4`.
    pub level: String,
    /// Unix milliseconds.
    pub issued_at_ms: i64,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
    /// The credential's QR key, hex: the wallet MACs its QR codes with it
    /// so the platform can verify them without an SM2 operation. Secret.
    pub qr_key: String,
}

/// A wallet's request about its own credential (signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialStatusRequest {
    /// The credential, base64url.
    pub credential: String,
}

/// A credential as the platform sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CredentialStatusResponse {
    /// Serial, hex.
    pub serial: String,
    /// `L3` or `L4`.
    pub level: String,
    /// Unix milliseconds.
    pub issued_at_ms: i64,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
    /// `success` while usable, else the result code it is refused with.
    pub state: String,
}

/// A password check (signed by the wallet).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordCheckRequest {
    /// The credential, base64url.
    pub credential: String,
    /// 8 digits.
    pub password: String,
}

impl std::fmt::Debug for PasswordCheckRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordCheckRequest(<secret>)")
    }
}

/// The result of a password check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordCheckResponse {
    /// `success`, `password_wrong` or `password_locked`.
    pub result: String,
    /// Attempts left before the lock (with `password_wrong`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub remaining_attempts: Option<u32>,
    /// Locked until, Unix milliseconds (with `password_locked`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub locked_until_ms: Option<i64>,
}

/// A scanned wallet QR code to verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QrVerifyRequest {
    /// The text of the code (`WZQR1:…`).
    pub code: String,
}

/// A verified wallet code: no personal data, and no identifier but the
/// calling relying party's own pairwise subject of the holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QrVerifyResponse {
    /// Always `success` (failures are error bodies).
    pub result: String,
    /// The holder's pairwise subject for this relying party (the same as
    /// in its authentication results; another RP sees another value).
    pub subject: String,
    /// `L3` or `L4`.
    pub level: String,
    /// When the credential expires, Unix milliseconds.
    pub credential_expires_at_ms: i64,
}

/// Registering a trusted terminal (operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterTerminalRequest {
    /// Where it stands.
    pub name: String,
    /// Its SM2 public key: SPKI PEM, or SEC1 hex.
    pub public_key: String,
}

/// A registered terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TerminalResponse {
    /// Terminal id, used as `terminal:<id>` in `x-wz-signer`.
    pub id: String,
    /// Where it stands.
    pub name: String,
    /// Key id of its public key.
    pub key_id: String,
}

/// An enrolment session opened by a terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OpenEnrolmentResponse {
    /// Session id.
    pub enrolment_id: String,
    /// Text for the QR code the terminal shows (holds a one-time secret).
    pub qr_payload: String,
    /// Unix milliseconds.
    pub expires_at_ms: i64,
}

/// An enrolment the terminal ended without issuing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CancelledEnrolmentResponse {
    /// Session id.
    pub enrolment_id: String,
    /// Always `cancelled`.
    pub state: String,
}

/// The wallet scanned a terminal's code (signed by the wallet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindEnrolmentRequest {
    /// The scanned text (`WZENROL1:…`).
    pub qr_payload: String,
}

/// What the wallet shows after binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BindEnrolmentResponse {
    /// Session id.
    pub enrolment_id: String,
    /// The terminal's registered name, for the citizen to check.
    pub terminal_name: String,
}

/// The terminal completes an enrolment (signed by the terminal).
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteEnrolmentRequest {
    /// Card presentation (`wz-card/1`), answering a `/v1/cards/challenge`.
    #[schema(value_type = Object)]
    pub card: serde_json::Value,
    /// New 8-digit password.
    pub password: String,
    /// The same again.
    pub password_confirmation: String,
    /// Face photo taken at the terminal, JPEG or PNG, standard base64.
    pub face: String,
}

impl std::fmt::Debug for CompleteEnrolmentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompleteEnrolmentRequest(<personal data>)")
    }
}

/// The wallet fetches what an enrolment issued to it (signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolledCredentialRequest {
    /// Session id.
    pub enrolment_id: String,
}

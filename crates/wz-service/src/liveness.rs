//! Liveness challenges as stateless tokens, and the check of a frame
//! sequence against one.
//!
//! A token is `base64url(nonce[16] || random[5] || expires_ms[8] || mac[32])`
//! with `mac = HMAC-SM3(liveness key, domain || the first 29 bytes)`: any
//! server instance can open it, nothing is stored until it is used, and the
//! nonce is recorded as used when a sequence is checked (single use).

use base64::Engine;
use wz_core::ResultCode;
use wz_crypto::MacKey;
use wz_face::{FrameObservation, LivenessChallenge, LivenessFailure};

use crate::ServiceError;

const TOKEN_DOMAIN: &[u8] = b"wz-liveness-token/1\0";
const BODY_LEN: usize = 16 + 5 + 8;

/// Decides whether a frame sequence shows the challenge performed live.
/// Production uses [`GeometryLiveness`]; end-to-end tests that cannot film
/// a live person substitute a scripted verdict (and say so).
pub trait LivenessCheck: Send + Sync {
    /// Checks `frames` against `challenge` at `now_ms`.
    fn check(
        &self,
        challenge: &LivenessChallenge,
        nonce: &[u8; 16],
        frames: &[FrameObservation],
        now_ms: i64,
    ) -> Result<(), LivenessFailure>;

    /// Whether a frame once checked is refused in any later sequence (a
    /// replayed recording), for the policy's frame memory. `false` only for
    /// checks whose camera is a recording by design.
    fn refuses_replayed_frames(&self) -> bool {
        true
    }

    /// Whether the frames are expected to move (so that the lips must move
    /// while the digits are heard). `false` only for a recorded camera.
    fn expects_movement(&self) -> bool {
        true
    }
}

/// The landmark-geometry check of `wz_face::verify_liveness`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GeometryLiveness;

impl LivenessCheck for GeometryLiveness {
    fn check(
        &self,
        challenge: &LivenessChallenge,
        nonce: &[u8; 16],
        frames: &[FrameObservation],
        now_ms: i64,
    ) -> Result<(), LivenessFailure> {
        wz_face::verify_liveness(challenge, nonce, frames, now_ms)
    }
}

/// The checks of `wz_face::verify_presence` only (one face, the same
/// person, nonce and expiry; no movement). For demonstrations and browser
/// tests whose camera is a recording; the server accepts it in demo mode only.
#[derive(Debug, Clone, Copy, Default)]
pub struct PresenceLiveness;

impl LivenessCheck for PresenceLiveness {
    fn check(
        &self,
        challenge: &LivenessChallenge,
        nonce: &[u8; 16],
        frames: &[FrameObservation],
        now_ms: i64,
    ) -> Result<(), LivenessFailure> {
        wz_face::verify_presence(challenge, nonce, frames, now_ms)
    }

    /// The demonstration camera plays the same recording to every
    /// application.
    fn refuses_replayed_frames(&self) -> bool {
        false
    }

    /// Its looped photo never moves its lips.
    fn expects_movement(&self) -> bool {
        false
    }
}

/// A challenge and the token that carries it.
#[derive(Debug, Clone)]
pub struct IssuedChallenge {
    /// Opaque token the client sends back with its frames.
    pub token: String,
    /// The challenge to show the citizen.
    pub challenge: LivenessChallenge,
}

/// Builds the token for `challenge` (whose random bytes were `random`).
pub(crate) fn seal_challenge(key: &MacKey, challenge: &LivenessChallenge, random: [u8; 5]) -> IssuedChallenge {
    let mut body = Vec::with_capacity(BODY_LEN + 32);
    body.extend_from_slice(&challenge.nonce);
    body.extend_from_slice(&random);
    body.extend_from_slice(&challenge.expires_at_ms.to_be_bytes());
    let mac = key.mac(&[TOKEN_DOMAIN, &body].concat());
    body.extend_from_slice(&mac);
    IssuedChallenge {
        token: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body),
        challenge: challenge.clone(),
    }
}

/// Opens a token made by [`seal_challenge`]; refuses forged or malformed ones
/// (expiry is checked with the frames).
pub(crate) fn open_challenge(key: &MacKey, token: &str) -> Result<LivenessChallenge, ServiceError> {
    let invalid = || ServiceError::Refused(ResultCode::LivenessChallengeInvalid);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| invalid())?;
    if bytes.len() != BODY_LEN + 32 || !key.verify(&[TOKEN_DOMAIN, &bytes[..BODY_LEN]].concat(), &bytes[BODY_LEN..]) {
        return Err(invalid());
    }
    let nonce: [u8; 16] = bytes[..16].try_into().map_err(|_| invalid())?;
    let random: [u8; 5] = bytes[16..21].try_into().map_err(|_| invalid())?;
    let expires_at_ms = i64::from_be_bytes(bytes[21..29].try_into().map_err(|_| invalid())?);
    // `new` adds a lifetime to a start; rebuild with lifetime 0 from the expiry.
    Ok(LivenessChallenge::new(nonce, random, expires_at_ms, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_forgery() {
        let key = MacKey::from_bytes([1; 32]);
        let challenge = LivenessChallenge::new([2; 16], [3, 4, 5, 6, 7], 1_000, 60_000);
        let issued = seal_challenge(&key, &challenge, [3, 4, 5, 6, 7]);
        assert_eq!(open_challenge(&key, &issued.token).unwrap(), challenge);
        assert!(open_challenge(&MacKey::from_bytes([9; 32]), &issued.token).is_err());
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&issued.token).unwrap();
        bytes[21] ^= 1; // a later expiry
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        assert!(open_challenge(&key, &forged).is_err());
        assert!(open_challenge(&key, "not a token").is_err());
    }
}

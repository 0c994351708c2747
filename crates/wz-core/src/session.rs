//! Authentication sessions (the service-window flow): states, and the
//! rotating QR frame the relying party shows.
//!
//! A frame is `WZS1:<session id>:<step>:<mac>` where `step` is the Unix
//! second and `mac` the first 16 bytes, hex, of
//! `HMAC-SM3(session secret, "wz-session-frame/1\0" || id || ":" || step)`.
//! The RP server holds the secret and draws a new frame every second; the
//! platform accepts a frame for [`FRAME_MAX_AGE_SECONDS`], so a photographed
//! or relayed code goes stale almost at once.

use wz_crypto::MacKey;

/// Prefix of a session frame.
pub const FRAME_PREFIX: &str = "WZS1:";
/// Oldest frame accepted, in seconds (the current and the previous step, plus one for transit).
pub const FRAME_MAX_AGE_SECONDS: i64 = 2;
const FRAME_DOMAIN: &[u8] = b"wz-session-frame/1\0";

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Waiting for a wallet.
    Created,
    /// A wallet scanned it and is showing the request.
    Scanned,
    /// The citizen agreed.
    Consented,
    /// The result is in (success or the reason it failed).
    Completed,
    /// The citizen said no.
    Declined,
    /// Nobody finished in time.
    Expired,
    /// The relying party withdrew it.
    Cancelled,
}

impl SessionState {
    /// All states.
    pub const ALL: [SessionState; 7] = [
        Self::Created,
        Self::Scanned,
        Self::Consented,
        Self::Completed,
        Self::Declined,
        Self::Expired,
        Self::Cancelled,
    ];

    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Scanned => "scanned",
            Self::Consented => "consented",
            Self::Completed => "completed",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// No further change can happen.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Declined | Self::Expired | Self::Cancelled)
    }

    /// The state to report at `now_ms` for a session expiring at `expires_at_ms`.
    pub fn at(self, now_ms: i64, expires_at_ms: i64) -> Self {
        if !self.is_final() && now_ms > expires_at_ms {
            Self::Expired
        } else {
            self
        }
    }
}

fn frame_mac(secret: &[u8; 32], id: &str, step: i64) -> String {
    let key = MacKey::from_bytes(*secret);
    let mut data = FRAME_DOMAIN.to_vec();
    data.extend_from_slice(id.as_bytes());
    data.push(b':');
    data.extend_from_slice(step.to_string().as_bytes());
    hex::encode(&key.mac(&data)[..16])
}

/// The frame to show at `now_ms`.
pub fn session_frame(secret: &[u8; 32], id: &str, now_ms: i64) -> String {
    let step = now_ms.div_euclid(1000);
    format!("{FRAME_PREFIX}{id}:{step}:{}", frame_mac(secret, id, step))
}

/// Why a scanned frame is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not a session frame.
    #[error("not a session code")]
    Malformed,
    /// Older than [`FRAME_MAX_AGE_SECONDS`] (or from the future).
    #[error("the session code is stale")]
    Stale,
    /// The MAC does not check.
    #[error("the session code is not genuine")]
    Forged,
}

/// The session id a frame names, before its MAC is checked.
pub fn frame_session_id(frame: &str) -> Result<&str, FrameError> {
    let rest = frame.trim().strip_prefix(FRAME_PREFIX).ok_or(FrameError::Malformed)?;
    let id = rest.split(':').next().ok_or(FrameError::Malformed)?;
    if id.is_empty() || id.len() > 64 {
        return Err(FrameError::Malformed);
    }
    Ok(id)
}

/// Checks a frame of session `id` with `secret` at `now_ms`.
pub fn check_frame(frame: &str, secret: &[u8; 32], now_ms: i64) -> Result<(), FrameError> {
    let rest = frame.trim().strip_prefix(FRAME_PREFIX).ok_or(FrameError::Malformed)?;
    let mut parts = rest.split(':');
    let (Some(id), Some(step), Some(mac), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(FrameError::Malformed);
    };
    let step: i64 = step.parse().map_err(|_| FrameError::Malformed)?;
    if !wz_crypto::constant_time_eq(frame_mac(secret, id, step).as_bytes(), mac.as_bytes()) {
        return Err(FrameError::Forged);
    }
    let now_step = now_ms.div_euclid(1000);
    if step > now_step + 1 || now_step - step > FRAME_MAX_AGE_SECONDS {
        return Err(FrameError::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_rotate_every_second_and_go_stale() {
        let secret = [3; 32];
        let at = 1_795_000_000_000;
        let frame = session_frame(&secret, "s1", at);
        assert_ne!(frame, session_frame(&secret, "s1", at + 1000), "a new frame each second");
        assert_eq!(frame_session_id(&frame), Ok("s1"));
        assert_eq!(check_frame(&frame, &secret, at), Ok(()));
        assert_eq!(check_frame(&frame, &secret, at + 2_999), Ok(()));
        assert_eq!(check_frame(&frame, &secret, at + 3_000), Err(FrameError::Stale));
        assert_eq!(check_frame(&frame, &[4; 32], at), Err(FrameError::Forged));
        let other = frame.replace("s1", "s2");
        assert_eq!(check_frame(&other, &secret, at), Err(FrameError::Forged));
        assert_eq!(check_frame("WZS1:x", &secret, at), Err(FrameError::Malformed));
        assert_eq!(check_frame("hello", &secret, at), Err(FrameError::Malformed));
    }

    #[test]
    fn unfinished_sessions_expire_on_reading() {
        assert_eq!(SessionState::Scanned.at(11, 10), SessionState::Expired);
        assert_eq!(SessionState::Completed.at(11, 10), SessionState::Completed);
        assert_eq!(SessionState::Created.at(10, 10), SessionState::Created);
    }
}

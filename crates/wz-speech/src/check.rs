//! The speech rules of a liveness sequence, pure comparisons over what the
//! detector, the landmarks and the recogniser measured:
//! - a voice is heard for at least [`MIN_VOICED_MS`] (four digits take
//!   longer than that);
//! - most of it (at least half) while the camera films, so that audio and
//!   frames are one take;
//! - the mouth moves while the voice is heard: among the frames taken while
//!   voiced (at least three), the mouth opening varies by at least
//!   [`SPEAKING_SPREAD`] (the spread the face check asks of all frames);
//! - when a transcript is given, its digits are exactly the challenge's.
//!
//! The thresholds are set from synthetic speech (espeak-ng) over the dev
//! portraits, not from filmed citizens: no registry package holds talking
//! video (docs/face.md, "Spoken digits").

use crate::{spoken_digits, VoiceTrack};

/// Least voiced time, milliseconds.
pub const MIN_VOICED_MS: u32 = 600;
/// Frames taken while voiced needed to judge the mouth.
const MIN_VOICED_FRAMES: usize = 3;
/// Spread of the mouth aspect ratio over voiced frames when speaking.
const SPEAKING_SPREAD: f32 = 0.03;
/// Slack around the filmed span, milliseconds (capture and audio clocks).
const VIEW_SLACK_MS: u32 = 250;

/// One video frame as the speech rules see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameMouth {
    /// When it was taken, milliseconds from the start of the audio.
    pub at_ms: u32,
    /// Its inner-lip aspect ratio (`wz_face::mouth_aspect_ratio`).
    pub mouth_ratio: f32,
}

/// What the rules measured.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechMeasures {
    /// Voiced milliseconds in the whole recording.
    pub voiced_ms: u32,
    /// Voiced milliseconds while filmed (first to last frame, ±250 ms).
    pub voiced_in_view_ms: u32,
    /// Frames taken while the voice was heard.
    pub voiced_frames: usize,
    /// Standard deviation of the mouth ratio over those frames.
    pub voiced_mouth_spread: f32,
    /// The digits in the transcript, when there was one.
    pub digits: Option<String>,
}

/// Why the speech rules refused. Each maps to the `liveness_failed`
/// result code; the variant is for logs and the citizen's retry hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SpeechFailure {
    /// Frame times not increasing, or past the end of the audio.
    #[error("frame times do not fit the audio")]
    FrameTimes,
    /// Too little voice.
    #[error("no voice heard")]
    NoVoice,
    /// The voice was mostly heard while nothing was filmed.
    #[error("the voice was not heard while filming")]
    VoiceOutOfView,
    /// The mouth did not move while the voice was heard.
    #[error("the mouth did not move with the voice")]
    MouthStill,
    /// The digits heard are not the challenge's.
    #[error("the digits heard are not the challenge's")]
    WrongDigits,
}

fn spread(values: &[f32]) -> f32 {
    let mean = values.iter().sum::<f32>() / values.len().max(1) as f32;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len().max(1) as f32).sqrt()
}

/// Measures a take (`frames` in capture order, `duration_ms` of audio)
/// without judging it.
pub fn measure_speech(voice: &VoiceTrack, duration_ms: u32, frames: &[FrameMouth], transcript: Option<&str>) -> SpeechMeasures {
    let first = frames.first().map_or(0, |f| f.at_ms);
    let last = frames.last().map_or(0, |f| f.at_ms);
    let voiced: Vec<f32> = frames.iter().filter(|f| voice.voiced_at(f.at_ms)).map(|f| f.mouth_ratio).collect();
    SpeechMeasures {
        voiced_ms: voice.voiced_ms(),
        voiced_in_view_ms: voice.voiced_ms_between(
            first.saturating_sub(VIEW_SLACK_MS),
            last.saturating_add(VIEW_SLACK_MS).min(duration_ms),
        ),
        voiced_frames: voiced.len(),
        voiced_mouth_spread: spread(&voiced),
        digits: transcript.map(spoken_digits),
    }
}

/// Applies the rules; `expected_digits` is checked only with a transcript.
/// `lips_must_move` is false only where the camera is a recording by design
/// (the demonstration's looped photo), whose mouth cannot move.
pub fn check_speech(
    voice: &VoiceTrack,
    duration_ms: u32,
    frames: &[FrameMouth],
    transcript: Option<&str>,
    expected_digits: &str,
    lips_must_move: bool,
) -> Result<SpeechMeasures, SpeechFailure> {
    if frames.windows(2).any(|pair| pair[1].at_ms <= pair[0].at_ms) || frames.last().is_some_and(|f| f.at_ms > duration_ms) {
        return Err(SpeechFailure::FrameTimes);
    }
    let measures = measure_speech(voice, duration_ms, frames, transcript);
    if measures.voiced_ms < MIN_VOICED_MS {
        return Err(SpeechFailure::NoVoice);
    }
    if measures.voiced_in_view_ms * 2 < measures.voiced_ms {
        return Err(SpeechFailure::VoiceOutOfView);
    }
    if lips_must_move && (measures.voiced_frames < MIN_VOICED_FRAMES || measures.voiced_mouth_spread < SPEAKING_SPREAD) {
        return Err(SpeechFailure::MouthStill);
    }
    if measures.digits.as_deref().is_some_and(|heard| heard != expected_digits) {
        return Err(SpeechFailure::WrongDigits);
    }
    Ok(measures)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 s of audio, voiced from 0.5 s to 2.5 s.
    fn voice() -> VoiceTrack {
        VoiceTrack::from_scores((0..188).map(|i| if (31..156).contains(&i) { 0.9 } else { 0.05 }).collect())
    }

    fn frames(mouth: impl Fn(usize) -> f32) -> Vec<FrameMouth> {
        (0..10)
            .map(|i| FrameMouth {
                at_ms: 200 + 280 * i as u32,
                mouth_ratio: mouth(i),
            })
            .collect()
    }

    #[test]
    fn a_take_with_a_moving_mouth_and_the_right_digits_passes() {
        let talking = frames(|i| if i % 2 == 0 { 0.05 } else { 0.3 });
        let measures = check_speech(&voice(), 3000, &talking, Some(" 4, 7, 1, 9"), "4719", true).unwrap();
        assert_eq!(measures.voiced_frames, 7);
        assert_eq!(measures.digits.as_deref(), Some("4719"));
        // Without a transcript (a language the recogniser does not know) the digits are not checked.
        assert!(check_speech(&voice(), 3000, &talking, None, "4719", true).is_ok());
        assert_eq!(
            check_speech(&voice(), 3000, &talking, Some(" 4, 7, 1"), "4719", true),
            Err(SpeechFailure::WrongDigits)
        );
    }

    #[test]
    fn silence_a_still_mouth_and_misplaced_voice_are_refused() {
        let talking = frames(|i| if i % 2 == 0 { 0.05 } else { 0.3 });
        let silent = VoiceTrack::from_scores(vec![0.01; 188]);
        assert_eq!(
            check_speech(&silent, 3000, &talking, None, "4719", true),
            Err(SpeechFailure::NoVoice)
        );
        let still = frames(|_| 0.1);
        assert_eq!(
            check_speech(&voice(), 3000, &still, None, "4719", true),
            Err(SpeechFailure::MouthStill)
        );
        // The mouth moves only while the voice is silent.
        let out_of_step = frames(|i| if (2..8).contains(&i) { 0.1 } else { 0.1 + 0.3 * (i % 2) as f32 });
        assert_eq!(
            check_speech(&voice(), 3000, &out_of_step, None, "4719", true),
            Err(SpeechFailure::MouthStill)
        );
        // Voice after the last frame.
        let late = VoiceTrack::from_scores((0..375).map(|i| if i > 250 { 0.9 } else { 0.05 }).collect());
        assert_eq!(
            check_speech(&late, 6000, &talking, None, "4719", true),
            Err(SpeechFailure::VoiceOutOfView)
        );
        // A recorded camera by design: the still mouth is not held against
        // the take, but the voice and the digits still are.
        assert!(check_speech(&voice(), 3000, &still, None, "4719", false).is_ok());
        assert_eq!(
            check_speech(&silent, 3000, &still, None, "4719", false),
            Err(SpeechFailure::NoVoice)
        );
        assert_eq!(
            check_speech(&voice(), 3000, &still, Some("1, 2, 3, 4"), "4719", false),
            Err(SpeechFailure::WrongDigits)
        );
        let mut backwards = talking.clone();
        backwards.swap(0, 1);
        assert_eq!(
            check_speech(&voice(), 3000, &backwards, None, "4719", true),
            Err(SpeechFailure::FrameTimes)
        );
    }
}

//! Tests on landmark tracks. The starting landmarks and descriptors are real
//! network outputs on the dev faces (the reference fixture); the motion is
//! made by moving those points as an eye closing, a mouth speaking or a head
//! turning would. No real video of our own faces exists here, so these test
//! the geometry and the attack rules, not camera footage.

use super::*;
use crate::Network;

struct Face {
    landmarks: Landmarks68,
    descriptor: FaceDescriptor,
}

fn fixture_face(image: &str) -> Face {
    let fixture: serde_json::Value = serde_json::from_str(include_str!("../../tests/fixtures/reference.json")).unwrap();
    let case = fixture["faces"].as_array().unwrap().iter().find(|c| c["image"] == image).unwrap();
    let points = case["landmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Point {
            x: p[0].as_f64().unwrap() as f32,
            y: p[1].as_f64().unwrap() as f32,
        })
        .collect();
    let descriptor = case["descriptor"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    Face {
        landmarks: Landmarks68(points),
        descriptor: FaceDescriptor::from_vec(Network::Dlib, descriptor).unwrap(),
    }
}

/// Closes the eyes by `amount` (0 open as captured, 1 shut).
fn close_eyes(landmarks: &mut Landmarks68, amount: f32) {
    for eye in [36..42, 42..48] {
        let centre_y = landmarks.0[eye.clone()].iter().map(|p| p.y).sum::<f32>() / 6.0;
        for point in &mut landmarks.0[eye] {
            point.y = centre_y + (point.y - centre_y) * (1.0 - amount);
        }
    }
}

/// Opens the inner lips by `amount` pixels.
fn open_mouth(landmarks: &mut Landmarks68, amount: f32) {
    for index in [65, 66, 67] {
        landmarks.0[index].y += amount;
    }
    for index in 56..=58 {
        landmarks.0[index].y += amount;
    }
}

/// Shifts the nose and mid-face horizontally (a head turn seen from the front).
fn turn(landmarks: &mut Landmarks68, shift: f32) {
    for index in 27..=35 {
        landmarks.0[index].x += shift;
    }
}

fn track(face: &Face, frames: usize, mut shape: impl FnMut(usize, &mut Landmarks68)) -> Vec<FrameObservation> {
    (0..frames)
        .map(|i| {
            let mut landmarks = face.landmarks.clone();
            shape(i, &mut landmarks);
            FrameObservation {
                face_count: 1,
                landmarks,
                descriptor: face.descriptor.clone(),
            }
        })
        .collect()
}

/// Speaking: the mouth opens and closes; plus the action on frames 5–8.
fn performing(face: &Face, action: LivenessAction) -> Vec<FrameObservation> {
    let width = face_width(&face.landmarks);
    track(face, 12, |i, landmarks| {
        // Reading digits: the lips part by up to about a fifth of the mouth width.
        open_mouth(
            landmarks,
            [0.0, 2.0, 4.0, 1.0, 3.0, 0.5, 2.5, 0.0, 3.5, 1.0, 0.0, 2.0][i] * width / 40.0,
        );
        if (5..=8).contains(&i) {
            match action {
                LivenessAction::Blink => close_eyes(landmarks, 0.8),
                LivenessAction::TurnLeft => turn(landmarks, 0.25 * width),
                LivenessAction::TurnRight => turn(landmarks, -0.25 * width),
                LivenessAction::OpenMouth => open_mouth(landmarks, 0.3 * width),
            }
        }
    })
}

fn challenge(action: LivenessAction) -> LivenessChallenge {
    LivenessChallenge {
        nonce: [7; 16],
        digits: "4821".into(),
        action,
        expires_at_ms: 10_000,
    }
}

const ACTIONS: [LivenessAction; 4] = [
    LivenessAction::Blink,
    LivenessAction::TurnLeft,
    LivenessAction::TurnRight,
    LivenessAction::OpenMouth,
];

#[test]
fn each_performed_action_passes_and_the_others_do_not() {
    let face = fixture_face("leonard/1.png");
    for action in ACTIONS {
        let frames = performing(&face, action);
        assert_eq!(verify_liveness(&challenge(action), &[7; 16], &frames, 5_000), Ok(()), "{action:?}");
        for other in ACTIONS.iter().filter(|a| **a != action) {
            // Opening the mouth wide also satisfies nothing else, and so on.
            assert_eq!(
                verify_liveness(&challenge(*other), &[7; 16], &frames, 5_000),
                Err(LivenessFailure::ActionMissing),
                "{action:?} as {other:?}"
            );
        }
    }
}

#[test]
fn a_still_photo_repeated_fails() {
    let face = fixture_face("penny/2.png");
    let frames = track(&face, 10, |_, _| {});
    assert_eq!(
        verify_liveness(&challenge(LivenessAction::Blink), &[7; 16], &frames, 0),
        Err(LivenessFailure::Still)
    );
}

#[test]
fn two_people_fail_whether_side_by_side_or_swapped_mid_sequence() {
    let face = fixture_face("raj/1.png");
    let mut frames = performing(&face, LivenessAction::Blink);
    frames[3].face_count = 2;
    assert_eq!(
        verify_liveness(&challenge(LivenessAction::Blink), &[7; 16], &frames, 0),
        Err(LivenessFailure::SeveralFaces)
    );

    let other = fixture_face("sheldon/1.png");
    assert!(!face.descriptor.matches(&other.descriptor, Strictness::Standard));
    let mut swapped = performing(&face, LivenessAction::Blink);
    for frame in &mut swapped[6..] {
        frame.descriptor = other.descriptor.clone();
    }
    assert_eq!(
        verify_liveness(&challenge(LivenessAction::Blink), &[7; 16], &swapped, 0),
        Err(LivenessFailure::DifferentFaces)
    );
}

#[test]
fn a_sequence_for_another_nonce_or_too_late_fails() {
    let face = fixture_face("amy/3.png");
    let frames = performing(&face, LivenessAction::TurnLeft);
    assert_eq!(
        verify_liveness(&challenge(LivenessAction::TurnLeft), &[8; 16], &frames, 0),
        Err(LivenessFailure::NonceMismatch)
    );
    assert_eq!(
        verify_liveness(&challenge(LivenessAction::TurnLeft), &[7; 16], &frames, 10_001),
        Err(LivenessFailure::Expired)
    );
}

#[test]
fn silent_moving_face_and_bad_frame_counts_fail() {
    let face = fixture_face("howard/2.png");
    let silent = track(&face, 10, |i, landmarks| turn(landmarks, i as f32 * 4.0));
    assert_eq!(
        verify_liveness(&challenge(LivenessAction::TurnLeft), &[7; 16], &silent, 0),
        Err(LivenessFailure::NoSpeech)
    );
    let short = performing(&face, LivenessAction::Blink)[..7].to_vec();
    assert_eq!(
        verify_liveness(&challenge(LivenessAction::Blink), &[7; 16], &short, 0),
        Err(LivenessFailure::FrameCount)
    );
    let mut empty = performing(&face, LivenessAction::Blink);
    empty[0].face_count = 0;
    assert_eq!(
        verify_liveness(&challenge(LivenessAction::Blink), &[7; 16], &empty, 0),
        Err(LivenessFailure::NoFace)
    );
}

#[test]
fn challenges_are_built_from_randomness() {
    let challenge = LivenessChallenge::new([1; 16], [12, 3, 99, 250, 7], 1_000, 60_000);
    assert_eq!(challenge.digits, "2390");
    assert_eq!(challenge.action, LivenessAction::TurnLeft); // 7 % 3
    assert_eq!(challenge.expires_at_ms, 61_000);
    // Every issued action is reachable and the open mouth never is.
    let issued: std::collections::HashSet<_> = (0..=255u8).map(LivenessAction::from_random).map(|a| a.as_str()).collect();
    assert_eq!(issued.len(), 3);
    assert!(!issued.contains("open_mouth"));
}

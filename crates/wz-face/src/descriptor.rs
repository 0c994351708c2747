//! Face descriptors and their distance.

use crate::FaceError;

/// Distance at or below which two descriptors count as the same person.
///
/// Chosen from `wz face eval ../shared/faces/dev/pairs.tsv` with the
/// production detector (BENCHMARKS.md): genuine distances reach 0.595 and
/// impostor distances start at 0.626 on that set; 0.55 rejected 3 of 156
/// genuine pairs (1.9 %) and accepted none of 157 impostor pairs. Zero
/// false accepts in 157 trials only bound the false accept rate below about
/// 2 % (95 %, rule of three): far from the 1e-6 a national service needs,
/// so this value is provisional until a larger impostor set is measured.
pub const MATCH_THRESHOLD: f32 = 0.55;

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

    /// Euclidean distance (face-api's `euclideanDistance`).
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

impl FaceDescriptor {
    /// Whether `other` is the same person under [`MATCH_THRESHOLD`].
    pub fn matches(&self, other: &Self) -> bool {
        self.distance(other) <= MATCH_THRESHOLD
    }

    /// A 0–100 similarity for results and screens: 100 for identical
    /// descriptors, 50 at [`MATCH_THRESHOLD`], 0 at twice the threshold and
    /// beyond. Linear in the distance, so a score of 50 or more means
    /// [`FaceDescriptor::matches`]; it is not a probability.
    pub fn match_score(&self, other: &Self) -> f32 {
        (100.0 * (1.0 - self.distance(other) / (2.0 * MATCH_THRESHOLD))).clamp(0.0, 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(first: f32) -> FaceDescriptor {
        let mut values = vec![0.0; DESCRIPTOR_LEN];
        values[0] = first;
        FaceDescriptor::from_vec(values).unwrap()
    }

    #[test]
    fn match_score_is_fifty_at_the_threshold() {
        let origin = descriptor(0.0);
        assert_eq!(origin.match_score(&origin), 100.0);
        assert!((origin.match_score(&descriptor(MATCH_THRESHOLD)) - 50.0).abs() < 1e-4);
        assert_eq!(origin.match_score(&descriptor(3.0)), 0.0);
        let near = descriptor(MATCH_THRESHOLD * 0.9);
        assert!(origin.matches(&near) && origin.match_score(&near) > 50.0);
        assert!(FaceDescriptor::from_vec(vec![0.0; 3]).is_err());
    }
}

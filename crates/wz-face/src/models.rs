//! The vendored model files, embedded in the binary so inference never
//! touches the network or the file system. Source: npm package
//! `@vladmandic/face-api` 1.7.15, `model/` (MIT, see models/face-api/LICENSE).

/// One network's manifest and weights.
pub(crate) struct ModelFiles {
    pub(crate) name: &'static str,
    pub(crate) manifest: &'static str,
    pub(crate) weights: &'static [u8],
}

macro_rules! model {
    ($name:literal) => {
        ModelFiles {
            name: $name,
            manifest: include_str!(concat!("../../../models/face-api/", $name, "-weights_manifest.json")),
            weights: include_bytes!(concat!("../../../models/face-api/", $name, ".bin")),
        }
    };
}

/// The face recognition network (dlib ResNet port, 128-d descriptors).
pub(crate) const RECOGNITION: ModelFiles = model!("face_recognition_model");

/// The 68-point landmark network.
pub(crate) const LANDMARKS: ModelFiles = model!("face_landmark_68_model");

/// The tiny face detector.
pub(crate) const TINY_DETECTOR: ModelFiles = model!("tiny_face_detector_model");

/// The SSD MobileNet v1 detector.
pub(crate) const SSD_MOBILENET: ModelFiles = model!("ssd_mobilenetv1_model");

/// `sha256sum` output for every vendored file.
pub(crate) const SHA256SUMS: &str = include_str!("../../../models/face-api/SHA256SUMS");

//! Face engine of WangZheng on CPU: the networks of the face-api package
//! (`@vladmandic/face-api` 1.7.15) ported to candle, with their weights
//! vendored under `models/face-api` and checked against SHA-256 sums at load.
//!
//! Synchronous and CPU-bound: callers run it on a blocking pool. Must not
//! depend on tokio, a store or HTTP.

#![warn(missing_docs)]

mod decode;
mod descriptor;
mod detector;
mod error;
mod evaluation;
mod landmarks;
mod liveness;
mod models;
mod ops;
mod pipeline;
mod preprocess;
mod recognition;
mod weights;

pub use decode::{decode_image, MAX_PIXELS, MIN_SIDE};
pub use descriptor::{FaceDescriptor, MATCH_THRESHOLD};
pub use detector::{Detection, DetectorOptions, FaceDetector};
pub use error::FaceError;
pub use evaluation::{evaluate, Evaluation, PairScore, RocPoint, TargetPoint};
pub use landmarks::{FaceLandmarkNet, Landmarks68, Point};
pub use liveness::{
    eye_aspect_ratio, mouth_aspect_ratio, verify_liveness, yaw_ratio, FrameObservation, LivenessAction, LivenessChallenge, LivenessFailure,
    MAX_FRAMES, MIN_FRAMES,
};
pub use pipeline::{AnalysedFace, FaceEngine, PixelBox};
pub use recognition::FaceRecognitionNet;
pub use weights::WeightMap;

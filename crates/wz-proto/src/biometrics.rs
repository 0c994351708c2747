//! The published biometric failure rates (`/v1/biometrics/rates`, SPEC §6).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A measured proportion with its exact 95 % interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MeasuredRate {
    /// Events (false accepts, false rejects).
    pub count: u64,
    /// Trials.
    pub total: u64,
    /// `count / total`.
    pub rate: f64,
    /// Clopper–Pearson 95 % interval, `[low, high]`.
    pub interval_95: [f64; 2],
}

/// Face comparison at the strictness that serves some levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FaceMismatchRate {
    /// Levels compared at this strictness, e.g. `["L2", "L3"]`.
    pub levels: Vec<String>,
    /// The false accept rate the level promises, e.g. `0.001`.
    pub far_target: f64,
    /// Descriptor distance threshold in force.
    pub threshold: f32,
    /// Impostor pairs accepted.
    pub false_accept: MeasuredRate,
    /// Genuine pairs refused.
    pub false_reject: MeasuredRate,
    /// Name of the data set (see `data_sets`).
    pub data_set: String,
}

/// A modality whose rate is or is not yet measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModalityStatus {
    /// `measured` or `not_measured`.
    pub status: String,
    /// What is checked and, where not measured, why not.
    pub note: String,
}

/// The spoken-digit check in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpokenDigitRate {
    /// `en` or `zh`, as the wallet declares the reading.
    pub language: String,
    /// Whether the digits themselves are checked (otherwise only the voice
    /// and its timing against the frames).
    pub digits_checked: bool,
    /// Readings whose digits were not heard exactly: where checked, a
    /// genuine reader refused.
    pub misheard: MeasuredRate,
    /// Name of the data set (see `data_sets`).
    pub data_set: String,
}

/// The spoken half of the liveness challenge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpokenDigitRates {
    /// `measured_on_synthetic_speech`: no recordings of real readers exist here.
    pub status: String,
    /// Per language.
    pub languages: Vec<SpokenDigitRate>,
    /// What is checked, and what the figures do not say.
    pub note: String,
}

/// A data set a rate comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DataSetDescription {
    /// Short name, as referred to by rates.
    pub name: String,
    /// What it holds.
    pub description: String,
}

/// Everything the platform publishes about its biometric checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BiometricRatesResponse {
    /// Recognition network in service, e.g. `mobilefacenet`.
    pub network: String,
    /// Face mismatch per strictness.
    pub face_mismatch: Vec<FaceMismatchRate>,
    /// Liveness failure (challenge not performed, still or replayed).
    pub liveness: ModalityStatus,
    /// Presentation-attack detection (photo, screen, mask).
    pub presentation_attack: ModalityStatus,
    /// The challenge's digits read aloud.
    pub spoken_digits: SpokenDigitRates,
    /// The data sets the rates were measured on.
    pub data_sets: Vec<DataSetDescription>,
    /// What a citizen whom the camera check fails can do.
    pub fallback: String,
    /// Where the method is described.
    pub documentation: String,
}

//! Which detector finds faces, and the detection they produce.
//!
//! Two of face-api's detectors are ported: the tiny face detector
//! (Tiny-YOLOv2 with separable convolutions, input size adjustable) and SSD
//! MobileNet v1 (512 px). The engine uses one; `wz face detectors` measures
//! both on a labelled folder so the choice rests on measured recall and
//! speed (BENCHMARKS.md).

use image::RgbImage;

use crate::{FaceError, SsdDetector, TinyDetectorOptions, TinyFaceDetector};

/// A detected face in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Confidence in (0, 1).
    pub score: f32,
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

impl Detection {
    /// Area in square pixels.
    pub fn area(&self) -> f32 {
        self.width * self.height
    }

    pub(crate) fn iou(&self, other: &Self) -> f32 {
        let width = ((self.x + self.width).min(other.x + other.width) - self.x.max(other.x)).max(0.0);
        let height = ((self.y + self.height).min(other.y + other.height) - self.y.max(other.y)).max(0.0);
        let intersection = width * height;
        intersection / (self.area() + other.area() - intersection)
    }
}

/// A detector and its settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DetectorKind {
    /// The tiny face detector at `input_size` (a multiple of 32).
    Tiny {
        /// Network input side.
        input_size: usize,
    },
    /// SSD MobileNet v1 at 512 px.
    Ssd,
}

impl DetectorKind {
    /// The production choice: on the dev set the tiny detector at 224 px
    /// found a face in 79 of 80 images, against 76 at 416 px and 76 for SSD
    /// at 512 px, at a fifth of the 416 px cost (`wz face detectors`,
    /// BENCHMARKS.md). Small inputs suit faces that fill much of the frame
    /// (selfies, kiosk cameras); a face under about a tenth of the frame's
    /// width is likely missed.
    pub const DEFAULT: Self = Self::Tiny { input_size: 224 };

    /// Parses `tiny:416` or `ssd`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.split_once(':') {
            None if text == "ssd" => Some(Self::Ssd),
            Some(("tiny", size)) => {
                let input_size = size.parse().ok().filter(|s: &usize| *s > 0 && s.is_multiple_of(32))?;
                Some(Self::Tiny { input_size })
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for DetectorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tiny { input_size } => write!(f, "tiny:{input_size}"),
            Self::Ssd => f.write_str("ssd"),
        }
    }
}

/// Minimum confidence for both detectors (face-api's default for each).
const MIN_CONFIDENCE: f32 = 0.5;

/// A loaded detector.
pub enum Detector {
    /// The tiny face detector with its options.
    Tiny(TinyFaceDetector, TinyDetectorOptions),
    /// SSD MobileNet v1.
    Ssd(SsdDetector),
}

impl Detector {
    /// Loads the weights `kind` needs.
    pub fn load(kind: DetectorKind) -> Result<Self, FaceError> {
        Ok(match kind {
            DetectorKind::Tiny { input_size } => {
                if input_size == 0 || !input_size.is_multiple_of(32) {
                    return Err(FaceError::InvalidOptions("input size must be a positive multiple of 32"));
                }
                let options = TinyDetectorOptions {
                    input_size,
                    score_threshold: MIN_CONFIDENCE,
                };
                Self::Tiny(TinyFaceDetector::load()?, options)
            }
            DetectorKind::Ssd => Self::Ssd(SsdDetector::load()?),
        })
    }

    /// Faces in `image`, best first.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        match self {
            Self::Tiny(detector, options) => detector.detect(image, *options),
            Self::Ssd(detector) => detector.detect(image, MIN_CONFIDENCE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_detector_kinds() {
        for text in ["tiny:224", "tiny:416", "ssd"] {
            assert_eq!(DetectorKind::parse(text).unwrap().to_string(), text);
        }
        for bad in ["tiny", "tiny:100", "tiny:0", "ssd:512", "yolo:416", ""] {
            assert_eq!(DetectorKind::parse(bad), None, "{bad}");
        }
    }
}

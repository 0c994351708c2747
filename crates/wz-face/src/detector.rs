//! The tiny face detector (face-api `TinyFaceDetector`): a Tiny-YOLOv2
//! layout with depthwise-separable convolutions, five anchors, one class.
//! Mirrors `src/tinyYolov2/TinyYolov2Base.ts` (runMobilenet, extractBoxes)
//! and `src/ops/nonMaxSuppression.ts`.

use candle_core::Tensor;
use image::RgbImage;

use crate::models::TINY_DETECTOR;
use crate::ops::{bias_leaky, depthwise_conv3x3, max_pool2x2_same, pointwise_conv};
use crate::preprocess::batch_tensor_with;
use crate::{FaceError, WeightMap};

/// Anchor box sizes in grid cells (tinyFaceDetector/const.ts).
const ANCHORS: [(f32, f32); 5] = [
    (1.603231, 2.094468),
    (6.041143, 7.080126),
    (2.882459, 3.518061),
    (4.266906, 5.178857),
    (9.041765, 10.66308),
];
/// Mean RGB of the detector's training data.
const DETECTOR_MEAN_RGB: [f32; 3] = [117.001, 114.697, 97.404];
/// Boxes overlapping a better one by more than this are dropped.
const IOU_THRESHOLD: f32 = 0.4;

/// Detector settings (face-api's `TinyFaceDetectorOptions`).
#[derive(Debug, Clone, Copy)]
pub struct DetectorOptions {
    /// Network input side, a multiple of 32 (face-api default 416).
    pub input_size: usize,
    /// Minimum confidence (face-api default 0.5).
    pub score_threshold: f32,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        Self {
            input_size: 416,
            score_threshold: 0.5,
        }
    }
}

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
    fn area(&self) -> f32 {
        self.width * self.height
    }

    fn iou(&self, other: &Self) -> f32 {
        let width = ((self.x + self.width).min(other.x + other.width) - self.x.max(other.x)).max(0.0);
        let height = ((self.y + self.height).min(other.y + other.height) - self.y.max(other.y)).max(0.0);
        let intersection = width * height;
        intersection / (self.area() + other.area() - intersection)
    }
}

struct SeparableConv {
    depthwise: Vec<f32>,
    pointwise: Tensor,
    bias: Vec<f32>,
}

impl SeparableConv {
    fn load(weights: &WeightMap, prefix: &str) -> Result<Self, FaceError> {
        let depthwise = weights.get(&format!("{prefix}/depthwise_filter"))?;
        Ok(Self {
            // [3, 3, C, 1] → per channel, 3×3 row-major.
            depthwise: depthwise.permute((2, 3, 0, 1))?.flatten_all()?.to_vec1::<f32>()?,
            pointwise: weights.conv_filter(&format!("{prefix}/pointwise_filter"))?.flatten_from(1)?,
            bias: weights.get(&format!("{prefix}/bias"))?.to_vec1::<f32>()?,
        })
    }

    /// Pad 1, depthwise 3×3 'valid', pointwise, bias, leaky.
    fn forward(&self, x: &Tensor) -> Result<Tensor, FaceError> {
        let out = depthwise_conv3x3(&x.pad_with_zeros(2, 1, 1)?.pad_with_zeros(3, 1, 1)?, &self.depthwise, 1)?;
        bias_leaky(&pointwise_conv(&out, &self.pointwise)?, &self.bias)
    }
}

/// The loaded detector.
pub struct FaceDetector {
    first_filters: Tensor,
    first_bias: Vec<f32>,
    convs: Vec<SeparableConv>,
    head_filters: Tensor,
    head_bias: Tensor,
}

fn sigmoid(value: f32) -> f32 {
    1.0 / (1.0 + (-value).exp())
}

impl FaceDetector {
    /// Loads the embedded, checksummed weights.
    pub fn load() -> Result<Self, FaceError> {
        let weights = WeightMap::load(&TINY_DETECTOR)?;
        let convs = (1..=5)
            .map(|i| SeparableConv::load(&weights, &format!("conv{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            first_filters: weights.conv_filter("conv0/filters")?,
            first_bias: weights.get("conv0/bias")?.to_vec1::<f32>()?,
            convs,
            head_filters: weights.conv_filter("conv8/filters")?,
            head_bias: weights.channel_vector("conv8/bias")?,
        })
    }

    /// Faces in `image`, best first, after non-maximum suppression.
    pub fn detect(&self, image: &RgbImage, options: DetectorOptions) -> Result<Vec<Detection>, FaceError> {
        if options.input_size == 0 || !options.input_size.is_multiple_of(32) {
            return Err(FaceError::InvalidOptions("input size must be a positive multiple of 32"));
        }
        let input = batch_tensor_with(&[image], options.input_size, false, DETECTOR_MEAN_RGB)?;
        let mut out = bias_leaky(&input.conv2d(&self.first_filters, 0, 1, 1, 1)?, &self.first_bias)?;
        for (index, conv) in self.convs.iter().enumerate() {
            out = max_pool2x2_same(&out, 2)?;
            out = conv.forward(&out)?;
            if index == 4 {
                out = max_pool2x2_same(&out, 1)?;
            }
        }
        let head = out.conv2d(&self.head_filters, 0, 1, 1, 1)?.broadcast_add(&self.head_bias)?;
        let candidates = self.decode(&head, image, options)?;
        Ok(suppress(candidates))
    }

    // Row and column are grid coordinates in the box formula, not just indices.
    #[allow(clippy::needless_range_loop)]
    fn decode(&self, head: &Tensor, image: &RgbImage, options: DetectorOptions) -> Result<Vec<Detection>, FaceError> {
        let cells = head.dim(2)?;
        let values = head.squeeze(0)?.to_vec3::<f32>()?; // [25][cells][cells]
        let (width, height) = (image.width() as f32, image.height() as f32);
        let scale = options.input_size as f32 / width.max(height);
        let (reshaped_width, reshaped_height) = ((width * scale).round(), (height * scale).round());
        let side = reshaped_width.max(reshaped_height);
        let (correction_x, correction_y) = (side / reshaped_width, side / reshaped_height);
        let mut detections = Vec::new();
        for row in 0..cells {
            for column in 0..cells {
                for (anchor, (anchor_w, anchor_h)) in ANCHORS.iter().enumerate() {
                    let at = |k: usize| values[anchor * 5 + k][row][column];
                    let score = sigmoid(at(4));
                    if score <= options.score_threshold {
                        continue;
                    }
                    let center_x = (column as f32 + sigmoid(at(0))) / cells as f32 * correction_x;
                    let center_y = (row as f32 + sigmoid(at(1))) / cells as f32 * correction_y;
                    let box_w = at(2).exp() * anchor_w / cells as f32 * correction_x;
                    let box_h = at(3).exp() * anchor_h / cells as f32 * correction_y;
                    detections.push(Detection {
                        score,
                        x: (center_x - box_w / 2.0) * width,
                        y: (center_y - box_h / 2.0) * height,
                        width: box_w * width,
                        height: box_h * height,
                    });
                }
            }
        }
        Ok(detections)
    }
}

/// Greedy non-maximum suppression by score.
fn suppress(mut candidates: Vec<Detection>) -> Vec<Detection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for candidate in candidates {
        if kept.iter().all(|k| k.iou(&candidate) <= IOU_THRESHOLD) {
            kept.push(candidate);
        }
    }
    kept
}

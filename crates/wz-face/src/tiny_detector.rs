//! The tiny face detector (face-api `TinyFaceDetector`): a Tiny-YOLOv2
//! layout with depthwise-separable convolutions, five anchors, one class.
//! Mirrors `src/tinyYolov2/TinyYolov2Base.ts` (runMobilenet, extractBoxes)
//! and `src/ops/nonMaxSuppression.ts`.

use image::RgbImage;

use crate::kernels::{max_pool_2x2_same, Activation, Conv, Depthwise, Epilogue, FeatureMap, Padding};
use crate::models::TINY_DETECTOR;
use crate::preprocess::{input_map, Normalisation};
use crate::{Detection, FaceError, WeightMap};

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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TinyDetectorOptions {
    /// Network input side, a multiple of 32 (face-api default 416).
    pub input_size: usize,
    /// Minimum confidence (face-api default 0.5).
    pub score_threshold: f32,
}

impl Default for TinyDetectorOptions {
    fn default() -> Self {
        Self {
            input_size: 416,
            score_threshold: 0.5,
        }
    }
}

/// Pad 1, depthwise 3×3, pointwise, bias, leaky ReLU
/// (tinyYolov2/depthwiseSeparableConv.ts).
struct SeparableConv {
    depthwise: Depthwise,
    pointwise: Conv,
}

impl SeparableConv {
    fn load(weights: &WeightMap, prefix: &str) -> Result<Self, FaceError> {
        let bias = weights.vector(&format!("{prefix}/bias"))?;
        Ok(Self {
            depthwise: Depthwise::from_hwio(weights.get(&format!("{prefix}/depthwise_filter"))?, 1, None)?,
            pointwise: Conv::from_hwio(
                weights.get(&format!("{prefix}/pointwise_filter"))?,
                1,
                Epilogue::bias(bias, Activation::Leaky),
            )?,
        })
    }

    fn forward(&self, x: &FeatureMap) -> Result<FeatureMap, FaceError> {
        let out = self.depthwise.forward_same(x)?;
        self.pointwise.forward(&out, Padding::NONE)
    }
}

/// The loaded tiny face detector.
pub struct TinyFaceDetector {
    first: Conv,
    convs: Vec<SeparableConv>,
    head: Conv,
}

fn sigmoid(value: f32) -> f32 {
    1.0 / (1.0 + (-value).exp())
}

impl TinyFaceDetector {
    /// Loads the embedded, checksummed weights.
    pub fn load() -> Result<Self, FaceError> {
        let weights = WeightMap::load(&TINY_DETECTOR)?;
        let convs = (1..=5)
            .map(|i| SeparableConv::load(&weights, &format!("conv{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            first: Conv::from_hwio(
                weights.get("conv0/filters")?,
                1,
                Epilogue::bias(weights.vector("conv0/bias")?, Activation::Leaky),
            )?,
            convs,
            head: Conv::from_hwio(
                weights.get("conv8/filters")?,
                1,
                Epilogue::bias(weights.vector("conv8/bias")?, Activation::None),
            )?,
        })
    }

    /// Faces in `image`, best first, after non-maximum suppression.
    pub fn detect(&self, image: &RgbImage, options: TinyDetectorOptions) -> Result<Vec<Detection>, FaceError> {
        if options.input_size == 0 || !options.input_size.is_multiple_of(32) {
            return Err(FaceError::InvalidOptions("input size must be a positive multiple of 32"));
        }
        let input = input_map(image, options.input_size, false, Normalisation::MeanRgb(DETECTOR_MEAN_RGB))?;
        // The first layer is a plain 3×3 convolution, 'valid' (runMobilenet).
        let mut out = self.first.forward(&input, Padding::NONE)?;
        for (index, conv) in self.convs.iter().enumerate() {
            out = max_pool_2x2_same(&out, 2)?;
            out = conv.forward(&out)?;
            if index == 4 {
                out = max_pool_2x2_same(&out, 1)?;
            }
        }
        let head = self.head.forward(&out, Padding::NONE)?;
        let candidates = decode(&head, image, options);
        Ok(suppress(candidates))
    }
}

/// Boxes from the head's `[5 anchors × (x, y, w, h, score)]` planes.
fn decode(head: &FeatureMap, image: &RgbImage, options: TinyDetectorOptions) -> Vec<Detection> {
    let cells = head.width;
    let (width, height) = (image.width() as f32, image.height() as f32);
    let scale = options.input_size as f32 / width.max(height);
    let (reshaped_width, reshaped_height) = ((width * scale).round(), (height * scale).round());
    let side = reshaped_width.max(reshaped_height);
    let (correction_x, correction_y) = (side / reshaped_width, side / reshaped_height);
    let mut detections = Vec::new();
    for row in 0..cells {
        for column in 0..cells {
            for (anchor, (anchor_w, anchor_h)) in ANCHORS.iter().enumerate() {
                let at = |k: usize| head.data[((anchor * 5 + k) * cells + row) * cells + column];
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
    detections
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

//! The SSD MobileNet v1 face detector (face-api `SsdMobilenetv1`): MobileNet
//! v1 on a 512×512 input, six box predictors over 5,118 prior boxes, box
//! decoding and non-maximum suppression. Mirrors `src/ssdMobilenetv1/*.ts`.
//!
//! It costs about fifteen times the tiny detector's arithmetic at 416 px.

use image::RgbImage;

use crate::kernels::{Activation, Conv, Depthwise, Epilogue, FeatureMap};
use crate::models::SSD_MOBILENET;
use crate::preprocess::{input_map, Normalisation};
use crate::{Detection, FaceError, WeightMap};

/// Network input side (SsdMobilenetv1.forwardInput).
const INPUT_SIZE: usize = 512;
/// mobileNetV1.ts passes 0.0010000000474974513, which is `0.001_f32` exactly.
const BATCH_NORM_EPSILON: f32 = 0.001;
/// MobileNet layers whose depthwise convolution has stride 2.
const STRIDE_TWO_LAYERS: [usize; 4] = [2, 4, 6, 12];
/// locateFaces: boxes overlapping a better one by more than this are dropped.
const IOU_THRESHOLD: f32 = 0.5;
/// SsdMobilenetv1Options default.
const MAX_RESULTS: usize = 100;

/// Conv + batch-norm offset + ReLU6, TF 'same' (pointwiseConvLayer.ts; the
/// "pointwise" layers of the prediction head have 3×3 filters too).
fn pointwise_layer(weights: &WeightMap, prefix: &str, stride: usize) -> Result<Conv, FaceError> {
    let offset = weights.vector(&format!("{prefix}/convolution_bn_offset"))?;
    Conv::from_hwio(
        weights.get(&format!("{prefix}/weights"))?,
        stride,
        Epilogue::bias(offset, Activation::Relu6),
    )
}

/// Depthwise 3×3 + batch norm + ReLU6, then pointwise + offset + ReLU6.
struct ConvPair {
    depthwise: Depthwise,
    pointwise: Conv,
}

impl ConvPair {
    fn load(weights: &WeightMap, layer: usize) -> Result<Self, FaceError> {
        let prefix = format!("MobilenetV1/Conv2d_{layer}_depthwise");
        let norm = |name: &str| weights.vector(&format!("{prefix}/BatchNorm/{name}"));
        let epilogue = Epilogue::batch_norm(
            &norm("moving_mean")?,
            &norm("moving_variance")?,
            norm("beta")?,
            &norm("gamma")?,
            BATCH_NORM_EPSILON,
            Activation::Relu6,
        )?;
        let stride = if STRIDE_TWO_LAYERS.contains(&layer) { 2 } else { 1 };
        Ok(Self {
            depthwise: Depthwise::from_hwio(weights.get(&format!("{prefix}/depthwise_weights"))?, stride, Some(epilogue))?,
            pointwise: pointwise_layer(weights, &format!("MobilenetV1/Conv2d_{layer}_pointwise"), 1)?,
        })
    }

    fn forward(&self, x: &FeatureMap) -> Result<FeatureMap, FaceError> {
        self.pointwise.forward_same(&self.depthwise.forward_same(x)?)
    }
}

/// Box encodings (4 per anchor) and class logits (3 per anchor) from one
/// feature map (boxPredictionLayer.ts).
struct BoxPredictor {
    boxes: Conv,
    classes: Conv,
}

impl BoxPredictor {
    fn load(weights: &WeightMap, index: usize) -> Result<Self, FaceError> {
        let conv = |name: &str| {
            let prefix = format!("Prediction/BoxPredictor_{index}/{name}");
            let bias = weights.vector(&format!("{prefix}/biases"))?;
            Conv::from_hwio(
                weights.get(&format!("{prefix}/weights"))?,
                1,
                Epilogue::bias(bias, Activation::None),
            )
        };
        Ok(Self {
            boxes: conv("BoxEncodingPredictor")?,
            classes: conv("ClassPredictor")?,
        })
    }

    /// Appends this map's anchors in tfjs's NHWC order (position, then anchor).
    fn predict(&self, map: &FeatureMap, encodings: &mut Vec<[f32; 4]>, logits: &mut Vec<f32>) -> Result<(), FaceError> {
        let boxes = self.boxes.forward_same(map)?;
        let classes = self.classes.forward_same(map)?;
        let (positions, anchors) = (boxes.plane_len(), boxes.channels / 4);
        if classes.channels != anchors * 3 {
            return Err(FaceError::MalformedWeights("box predictor anchors".into()));
        }
        for position in 0..positions {
            for anchor in 0..anchors {
                let value = |map: &FeatureMap, channel: usize| map.data[channel * positions + position];
                encodings.push([0, 1, 2, 3].map(|k| value(&boxes, anchor * 4 + k)));
                // Class 1 of (background, face, unused) is the face score.
                logits.push(value(&classes, anchor * 3 + 1));
            }
        }
        Ok(())
    }
}

/// The loaded SSD detector.
pub struct SsdDetector {
    first: Conv,
    pairs: Vec<ConvPair>,
    head: Vec<Conv>,
    predictors: Vec<BoxPredictor>,
    /// Prior boxes `[ymin, xmin, ymax, xmax]`, relative (`Output/extra_dim`).
    priors: Vec<[f32; 4]>,
}

fn sigmoid(value: f32) -> f32 {
    1.0 / (1.0 + (-value).exp())
}

impl SsdDetector {
    /// Loads the embedded, checksummed weights.
    pub fn load() -> Result<Self, FaceError> {
        let weights = WeightMap::load(&SSD_MOBILENET)?;
        let pairs = (1..=13).map(|layer| ConvPair::load(&weights, layer)).collect::<Result<_, _>>()?;
        let head = (0..8)
            .map(|index| {
                pointwise_layer(
                    &weights,
                    &format!("Prediction/Conv2d_{index}_pointwise"),
                    if index % 2 == 1 { 2 } else { 1 },
                )
            })
            .collect::<Result<_, _>>()?;
        let predictors = (0..6).map(|index| BoxPredictor::load(&weights, index)).collect::<Result<_, _>>()?;
        let priors = weights
            .vector("Output/extra_dim")?
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect();
        Ok(Self {
            first: pointwise_layer(&weights, "MobilenetV1/Conv2d_0_pointwise", 2)?,
            pairs,
            head,
            predictors,
            priors,
        })
    }

    /// Faces in `image` scoring above `min_confidence`, best first.
    pub fn detect(&self, image: &RgbImage, min_confidence: f32) -> Result<Vec<Detection>, FaceError> {
        if !(0.0..1.0).contains(&min_confidence) {
            return Err(FaceError::InvalidOptions("minimum confidence must be in [0, 1)"));
        }
        let input = input_map(image, INPUT_SIZE, false, Normalisation::Symmetric)?;
        let mut out = self.first.forward_same(&input)?;
        let mut conv11 = None;
        for (index, pair) in self.pairs.iter().enumerate() {
            out = pair.forward(&out)?;
            if index + 1 == 11 {
                conv11 = Some(out.clone());
            }
        }
        let conv11 = conv11.ok_or(FaceError::ShapeMismatch("MobileNet layer 11"))?;
        // predictionLayer.ts: the extra layers and the six maps predicted from.
        let mut head_maps = Vec::with_capacity(self.head.len());
        let mut previous = &out;
        for conv in &self.head {
            head_maps.push(conv.forward_same(previous)?);
            previous = head_maps.last().ok_or(FaceError::ShapeMismatch("prediction layer"))?;
        }
        let sources = [&conv11, &out, &head_maps[1], &head_maps[3], &head_maps[5], &head_maps[7]];
        let (mut encodings, mut logits) = (Vec::with_capacity(self.priors.len()), Vec::with_capacity(self.priors.len()));
        for (predictor, map) in self.predictors.iter().zip(sources) {
            predictor.predict(map, &mut encodings, &mut logits)?;
        }
        if encodings.len() != self.priors.len() {
            return Err(FaceError::MalformedWeights("prior box count".into()));
        }
        let boxes: Vec<[f32; 4]> = encodings.iter().zip(&self.priors).map(|(e, p)| decode_box(e, p)).collect();
        let scores: Vec<f32> = logits.into_iter().map(sigmoid).collect();
        let kept = suppress(&boxes, &scores, min_confidence);
        Ok(kept
            .into_iter()
            .map(|index| to_pixels(&boxes[index], scores[index], image))
            .collect())
    }
}

/// outputLayer.ts decodeBoxesLayer: centre offsets scaled by 10, log sizes
/// by 5, relative to the prior box.
fn decode_box(encoding: &[f32; 4], prior: &[f32; 4]) -> [f32; 4] {
    let sizes = [prior[2] - prior[0], prior[3] - prior[1]];
    let centres = [prior[0] + sizes[0] / 2.0, prior[1] + sizes[1] / 2.0];
    let half = [
        (encoding[2] / 5.0).exp() * sizes[0] / 2.0,
        (encoding[3] / 5.0).exp() * sizes[1] / 2.0,
    ];
    let centre = [
        encoding[0] / 10.0 * sizes[0] + centres[0],
        encoding[1] / 10.0 * sizes[1] + centres[1],
    ];
    [centre[0] - half[0], centre[1] - half[1], centre[0] + half[0], centre[1] + half[1]]
}

/// nonMaxSuppression.ts: greedy by score over boxes above the threshold.
fn suppress(boxes: &[[f32; 4]], scores: &[f32], min_confidence: f32) -> Vec<usize> {
    let mut candidates: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > min_confidence).collect();
    candidates.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut selected: Vec<usize> = Vec::new();
    for candidate in candidates {
        if selected.len() >= MAX_RESULTS {
            break;
        }
        if selected.iter().all(|&kept| iou(&boxes[candidate], &boxes[kept]) <= IOU_THRESHOLD) {
            selected.push(candidate);
        }
    }
    selected
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let corners = |r: &[f32; 4]| (r[0].min(r[2]), r[1].min(r[3]), r[0].max(r[2]), r[1].max(r[3]));
    let (a_top, a_left, a_bottom, a_right) = corners(a);
    let (b_top, b_left, b_bottom, b_right) = corners(b);
    let (area_a, area_b) = ((a_bottom - a_top) * (a_right - a_left), (b_bottom - b_top) * (b_right - b_left));
    if area_a <= 0.0 || area_b <= 0.0 {
        return 0.0;
    }
    let intersection = (a_bottom.min(b_bottom) - a_top.max(b_top)).max(0.0) * (a_right.min(b_right) - a_left.max(b_left)).max(0.0);
    intersection / (area_a + area_b - intersection)
}

/// locateFaces: clip to the padded square, undo the bottom/right padding,
/// scale to the image.
fn to_pixels(relative: &[f32; 4], score: f32, image: &RgbImage) -> Detection {
    let (width, height) = (image.width() as f32, image.height() as f32);
    let scale = INPUT_SIZE as f32 / width.max(height);
    let (pad_x, pad_y) = (
        INPUT_SIZE as f32 / (width * scale).round(),
        INPUT_SIZE as f32 / (height * scale).round(),
    );
    let (top, bottom) = (relative[0].max(0.0) * pad_y, relative[2].min(1.0) * pad_y);
    let (left, right) = (relative[1].max(0.0) * pad_x, relative[3].min(1.0) * pad_x);
    Detection {
        score,
        x: left * width,
        y: top * height,
        width: (right - left) * width,
        height: (bottom - top) * height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_zero_encoding_to_its_prior() {
        let prior = [0.1, 0.2, 0.5, 0.4];
        let decoded = decode_box(&[0.0; 4], &prior);
        for (a, b) in decoded.iter().zip(prior) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn suppression_keeps_the_best_of_overlapping_boxes() {
        let boxes = [
            [0.0, 0.0, 1.0, 1.0],
            [0.0, 0.0, 0.9, 1.0],
            [2.0, 2.0, 3.0, 3.0],
            [5.0, 5.0, 6.0, 6.0],
        ];
        let scores = [0.8, 0.9, 0.7, 0.4];
        assert_eq!(suppress(&boxes, &scores, 0.5), vec![1, 2]);
    }
}

//! The 68-point landmark network (face-api `FaceLandmark68Net`): a
//! DenseNet-style feature extractor on 112×112 input and a fully connected
//! layer giving 68 (x, y) pairs relative to the padded square input.

use image::RgbImage;

use crate::kernels::{avg_pool_valid, matmul_into, Activation, Conv, Depthwise, Epilogue, FeatureMap, Matrix, Padding};
use crate::models::LANDMARKS;
use crate::preprocess::face_input;
use crate::{FaceError, WeightMap};

/// Input side of the network.
const LANDMARK_INPUT: usize = 112;

/// A point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Horizontal, pixels from the left.
    pub x: f32,
    /// Vertical, pixels from the top.
    pub y: f32,
}

/// The 68 landmarks of one face (iBUG 300-W order: jaw 0–16, brows 17–26,
/// nose 27–35, eyes 36–47, mouth 48–67), in the input image's pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Landmarks68(pub Vec<Point>);

/// Depthwise 3×3 then pointwise 1×1, then bias, TF 'same'
/// (common/depthwiseSeparableConv.ts).
struct SeparableConv {
    depthwise: Depthwise,
    pointwise: Conv,
}

impl SeparableConv {
    fn load(weights: &WeightMap, prefix: &str, stride: usize, activation: Activation) -> Result<Self, FaceError> {
        let bias = weights.vector(&format!("{prefix}/bias"))?;
        Ok(Self {
            depthwise: Depthwise::from_hwio(weights.get(&format!("{prefix}/depthwise_filter"))?, stride, None)?,
            pointwise: Conv::from_hwio(
                weights.get(&format!("{prefix}/pointwise_filter"))?,
                1,
                Epilogue::bias(bias, activation),
            )?,
        })
    }

    fn forward(&self, x: &FeatureMap) -> Result<FeatureMap, FaceError> {
        let out = self.depthwise.forward_same(x)?;
        self.pointwise.forward(&out, Padding::NONE)
    }
}

/// The first layer of a block: a plain convolution in the first block,
/// separable in the others; both stride 2 and followed by a ReLU.
enum FirstConv {
    Plain(Conv),
    Separable(SeparableConv),
}

/// Four convolutions with dense shortcuts (denseBlock4 in denseBlock.ts).
struct DenseBlock {
    first: FirstConv,
    rest: [SeparableConv; 3],
}

impl DenseBlock {
    fn load(weights: &WeightMap, prefix: &str, is_first: bool) -> Result<Self, FaceError> {
        let first = if is_first {
            let bias = weights.vector(&format!("{prefix}/conv0/bias"))?;
            FirstConv::Plain(Conv::from_hwio(
                weights.get(&format!("{prefix}/conv0/filters"))?,
                2,
                Epilogue::bias(bias, Activation::Relu),
            )?)
        } else {
            FirstConv::Separable(SeparableConv::load(weights, &format!("{prefix}/conv0"), 2, Activation::Relu)?)
        };
        let rest = [
            SeparableConv::load(weights, &format!("{prefix}/conv1"), 1, Activation::None)?,
            SeparableConv::load(weights, &format!("{prefix}/conv2"), 1, Activation::None)?,
            SeparableConv::load(weights, &format!("{prefix}/conv3"), 1, Activation::None)?,
        ];
        Ok(Self { first, rest })
    }

    fn forward(&self, x: &FeatureMap) -> Result<FeatureMap, FaceError> {
        let out1 = match &self.first {
            FirstConv::Plain(conv) => conv.forward_same(x)?,
            FirstConv::Separable(conv) => conv.forward(x)?,
        };
        let out2 = self.rest[0].forward(&out1)?;
        let in3 = FeatureMap::relu_of_sum(&[&out1, &out2])?;
        let out3 = self.rest[1].forward(&in3)?;
        let in4 = FeatureMap::relu_of_sum(&[&out1, &out2, &out3])?;
        let out4 = self.rest[2].forward(&in4)?;
        FeatureMap::relu_of_sum(&[&out1, &out2, &out3, &out4])
    }
}

/// The loaded landmark network.
pub struct FaceLandmarkNet {
    blocks: [DenseBlock; 4],
    /// `[256, 136]`, row-major.
    fc_weights: Vec<f32>,
    fc_bias: Vec<f32>,
}

impl FaceLandmarkNet {
    /// Loads the embedded, checksummed weights.
    pub fn load() -> Result<Self, FaceError> {
        let weights = WeightMap::load(&LANDMARKS)?;
        Ok(Self {
            blocks: [
                DenseBlock::load(&weights, "dense0", true)?,
                DenseBlock::load(&weights, "dense1", false)?,
                DenseBlock::load(&weights, "dense2", false)?,
                DenseBlock::load(&weights, "dense3", false)?,
            ],
            fc_weights: weights.vector("fc/weights")?,
            fc_bias: weights.vector("fc/bias")?,
        })
    }

    /// Landmarks of the face filling `crop`, in `crop`'s pixels.
    pub fn landmarks(&self, crop: &RgbImage) -> Result<Landmarks68, FaceError> {
        let mut out = face_input(crop, LANDMARK_INPUT)?;
        for block in &self.blocks {
            out = block.forward(&out)?;
        }
        let pooled = avg_pool_valid(&out, 7, 2)?;
        let features = pooled.data.len();
        let outputs = self.fc_bias.len();
        let mut relative = vec![0f32; outputs];
        let row = Matrix {
            data: &pooled.data,
            rows: 1,
            columns: features,
            row_stride: features,
        };
        let weights = Matrix {
            data: &self.fc_weights,
            rows: features,
            columns: outputs,
            row_stride: outputs,
        };
        matmul_into(row, weights, &mut relative, outputs)?;
        relative.iter_mut().zip(&self.fc_bias).for_each(|(value, bias)| *value += bias);
        // Relative to the padded square (postProcess in FaceLandmark68NetBase.ts).
        let (width, height) = (crop.width() as f32, crop.height() as f32);
        let side = width.max(height);
        let (pad_x, pad_y) = ((side - width) / 2.0, (side - height) / 2.0);
        let points = relative
            .chunks_exact(2)
            .map(|pair| Point {
                x: pair[0] * side - pad_x,
                y: pair[1] * side - pad_y,
            })
            .collect();
        Ok(Landmarks68(points))
    }
}

//! The 68-point landmark network (face-api `FaceLandmark68Net`): a
//! DenseNet-style feature extractor on 112×112 input and a fully connected
//! layer giving 68 (x, y) pairs relative to the padded square input.

use candle_core::Tensor;
use image::RgbImage;

use crate::models::LANDMARKS;
use crate::ops::depthwise_conv3x3;
use crate::preprocess::batch_tensor;
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

/// Depthwise 3×3 then pointwise 1×1, then bias (depthwiseSeparableConv.ts).
struct SeparableConv {
    depthwise: Vec<f32>,
    pointwise: Tensor,
    bias: Tensor,
}

/// Pads like TF 'same' for a 3×3 kernel: stride 1 → one pixel each side;
/// stride 2 on an even side → none before, one after.
fn same_pad(x: &Tensor, stride: usize) -> Result<Tensor, FaceError> {
    if stride == 1 {
        return Ok(x.pad_with_zeros(2, 1, 1)?.pad_with_zeros(3, 1, 1)?);
    }
    let before = |side: usize| {
        let out = side.div_ceil(2);
        let total = ((out - 1) * 2 + 3).saturating_sub(side);
        (total / 2, total - total / 2)
    };
    let (top, bottom) = before(x.dim(2)?);
    let (left, right) = before(x.dim(3)?);
    Ok(x.pad_with_zeros(2, top, bottom)?.pad_with_zeros(3, left, right)?)
}

impl SeparableConv {
    fn load(weights: &WeightMap, prefix: &str) -> Result<Self, FaceError> {
        let depthwise = weights.get(&format!("{prefix}/depthwise_filter"))?;
        Ok(Self {
            // [3, 3, C, 1] → [C, 1, 3, 3] for a grouped convolution.
            // [3, 3, C, 1] → per channel, 3×3 row-major.
            depthwise: depthwise.permute((2, 3, 0, 1))?.flatten_all()?.to_vec1::<f32>()?,
            pointwise: weights.conv_filter(&format!("{prefix}/pointwise_filter"))?,
            bias: weights.channel_vector(&format!("{prefix}/bias"))?,
        })
    }

    fn forward(&self, x: &Tensor, stride: usize) -> Result<Tensor, FaceError> {
        let padded = same_pad(x, stride)?;
        let out = depthwise_conv3x3(&padded, &self.depthwise, stride)?;
        Ok(out.conv2d(&self.pointwise, 0, 1, 1, 1)?.broadcast_add(&self.bias)?)
    }
}

enum FirstConv {
    Plain { filters: Tensor, bias: Tensor },
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
            FirstConv::Plain {
                filters: weights.conv_filter(&format!("{prefix}/conv0/filters"))?,
                bias: weights.channel_vector(&format!("{prefix}/conv0/bias"))?,
            }
        } else {
            FirstConv::Separable(SeparableConv::load(weights, &format!("{prefix}/conv0"))?)
        };
        let rest = [
            SeparableConv::load(weights, &format!("{prefix}/conv1"))?,
            SeparableConv::load(weights, &format!("{prefix}/conv2"))?,
            SeparableConv::load(weights, &format!("{prefix}/conv3"))?,
        ];
        Ok(Self { first, rest })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor, FaceError> {
        let out1 = match &self.first {
            FirstConv::Plain { filters, bias } => same_pad(x, 2)?.conv2d(filters, 0, 2, 1, 1)?.broadcast_add(bias)?,
            FirstConv::Separable(conv) => conv.forward(x, 2)?,
        }
        .relu()?;
        let out2 = self.rest[0].forward(&out1, 1)?;
        let in3 = (&out1 + &out2)?.relu()?;
        let out3 = self.rest[1].forward(&in3, 1)?;
        let in4 = (&out1 + (&out2 + &out3)?)?.relu()?;
        let out4 = self.rest[2].forward(&in4, 1)?;
        Ok((&out1 + (&out2 + (&out3 + &out4)?)?)?.relu()?)
    }
}

/// The loaded landmark network.
pub struct FaceLandmarkNet {
    blocks: [DenseBlock; 4],
    fc_weights: Tensor,
    fc_bias: Tensor,
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
            fc_weights: weights.get("fc/weights")?.clone(),
            fc_bias: weights.get("fc/bias")?.clone(),
        })
    }

    /// Landmarks of the face filling `crop`, in `crop`'s pixels.
    pub fn landmarks(&self, crop: &RgbImage) -> Result<Landmarks68, FaceError> {
        let mut out = batch_tensor(&[crop], LANDMARK_INPUT)?;
        for block in &self.blocks {
            out = block.forward(&out)?;
        }
        let pooled = out.avg_pool2d_with_stride((7, 7), (2, 2))?.flatten_from(1)?;
        let relative = pooled
            .matmul(&self.fc_weights)?
            .broadcast_add(&self.fc_bias)?
            .flatten_all()?
            .to_vec1::<f32>()?;
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

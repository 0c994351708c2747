//! The face recognition network: face-api's port of dlib's ResNet
//! (`dlib_face_recognition_resnet_model_v1`), 150×150 RGB in, 128-d
//! descriptor out. Mirrors `src/faceRecognitionNet/*.ts` of face-api 1.7.15
//! layer for layer; tensors here are NCHW where tfjs uses NHWC.

use candle_core::Tensor;
use image::RgbImage;

use crate::models::RECOGNITION;
use crate::preprocess::batch_tensor;
use crate::{FaceDescriptor, FaceError, WeightMap};

/// Input side of the network.
pub const RECOGNITION_INPUT: u32 = 150;

/// Convolution + bias + per-channel scale layer.
struct ConvLayer {
    filters: Tensor,
    bias: Tensor,
    scale: Tensor,
    shift: Tensor,
}

impl ConvLayer {
    fn load(weights: &WeightMap, prefix: &str) -> Result<Self, FaceError> {
        Ok(Self {
            filters: weights.conv_filter(&format!("{prefix}/conv/filters"))?,
            bias: weights.channel_vector(&format!("{prefix}/conv/bias"))?,
            scale: weights.channel_vector(&format!("{prefix}/scale/weights"))?,
            shift: weights.channel_vector(&format!("{prefix}/scale/biases"))?,
        })
    }

    /// `conv2d` then bias then scale, as convLayer.ts. `down` is the 2-stride
    /// 'valid' variant; otherwise stride 1 'same' (3×3 kernels: pad 1).
    fn forward(&self, x: &Tensor, down: bool, relu: bool) -> Result<Tensor, FaceError> {
        let (padding, stride) = if down { (0, 2) } else { (1, 1) };
        let out = x.conv2d(&self.filters, padding, stride, 1, 1)?;
        let out = out
            .broadcast_add(&self.bias)?
            .broadcast_mul(&self.scale)?
            .broadcast_add(&self.shift)?;
        Ok(if relu { out.relu()? } else { out })
    }
}

/// Two convolutions with a shortcut (residualLayer.ts).
struct ResidualLayer {
    first: ConvLayer,
    second: ConvLayer,
    down: bool,
}

impl ResidualLayer {
    fn load(weights: &WeightMap, prefix: &str, down: bool) -> Result<Self, FaceError> {
        Ok(Self {
            first: ConvLayer::load(weights, &format!("{prefix}/conv1"))?,
            second: ConvLayer::load(weights, &format!("{prefix}/conv2"))?,
            down,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor, FaceError> {
        let out = self.first.forward(x, self.down, true)?;
        let mut out = self.second.forward(&out, false, false)?;
        if !self.down {
            return Ok((out + x)?.relu()?);
        }
        let mut shortcut = x.avg_pool2d_with_stride((2, 2), (2, 2))?;
        // 'valid' striding can leave the branch one row and column short of
        // the pooled shortcut: face-api pads zeros at the bottom and right.
        if out.dim(2)? != shortcut.dim(2)? || out.dim(3)? != shortcut.dim(3)? {
            out = out.pad_with_zeros(2, 0, 1)?.pad_with_zeros(3, 0, 1)?;
        }
        let (branch_channels, shortcut_channels) = (out.dim(1)?, shortcut.dim(1)?);
        if branch_channels != shortcut_channels {
            shortcut = shortcut.pad_with_zeros(1, 0, branch_channels - shortcut_channels)?;
        }
        Ok((shortcut + out)?.relu()?)
    }
}

/// The loaded network.
pub struct FaceRecognitionNet {
    stem: ConvLayer,
    blocks: Vec<ResidualLayer>,
    fully_connected: Tensor,
}

impl FaceRecognitionNet {
    /// Loads the embedded, checksummed weights.
    pub fn load() -> Result<Self, FaceError> {
        let weights = WeightMap::load(&RECOGNITION)?;
        let layout: [(&str, bool); 14] = [
            ("conv32_1", false),
            ("conv32_2", false),
            ("conv32_3", false),
            ("conv64_down", true),
            ("conv64_1", false),
            ("conv64_2", false),
            ("conv64_3", false),
            ("conv128_down", true),
            ("conv128_1", false),
            ("conv128_2", false),
            ("conv256_down", true),
            ("conv256_1", false),
            ("conv256_2", false),
            ("conv256_down_out", true),
        ];
        let blocks = layout
            .iter()
            .map(|(name, down)| ResidualLayer::load(&weights, name, *down))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            stem: ConvLayer::load(&weights, "conv32_down")?,
            blocks,
            fully_connected: weights.get("fc")?.clone(),
        })
    }

    /// Descriptors of a batch of aligned faces (padded to a square and
    /// resized to 150×150 as face-api does).
    pub fn descriptors(&self, faces: &[&RgbImage]) -> Result<Vec<FaceDescriptor>, FaceError> {
        if faces.is_empty() {
            return Ok(Vec::new());
        }
        let input = batch_tensor(faces, RECOGNITION_INPUT as usize)?;
        let mut out = self.stem.forward(&input, true, true)?;
        out = out.max_pool2d_with_stride((3, 3), (2, 2))?;
        for block in &self.blocks {
            out = block.forward(&out)?;
        }
        let pooled = out.mean((2, 3))?;
        let descriptors = pooled.matmul(&self.fully_connected)?;
        descriptors.to_vec2::<f32>()?.into_iter().map(FaceDescriptor::from_vec).collect()
    }

    /// Descriptor of one aligned face.
    pub fn descriptor(&self, face: &RgbImage) -> Result<FaceDescriptor, FaceError> {
        self.descriptors(&[face])?.pop().ok_or(FaceError::InvalidImage)
    }
}

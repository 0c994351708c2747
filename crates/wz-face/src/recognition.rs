//! The face recognition network: face-api's port of dlib's ResNet
//! (`dlib_face_recognition_resnet_model_v1`), 150×150 RGB in, 128-d
//! descriptor out. Mirrors `src/faceRecognitionNet/*.ts` of face-api 1.7.15
//! layer for layer; tensors here are NCHW where tfjs uses NHWC.

use image::RgbImage;

use crate::kernels::{avg_pool_valid, matmul_into, max_pool_valid, Activation, Conv, Epilogue, FeatureMap, Matrix, Padding};
use crate::models::RECOGNITION;
use crate::preprocess::face_input;
use crate::{FaceDescriptor, FaceError, Network, WeightMap};

/// Descriptor length.
const DESCRIPTOR_LEN: usize = 128;

/// Input side of the network.
pub const RECOGNITION_INPUT: u32 = 150;

/// Convolution + bias + per-channel scale layer (convLayer.ts, scaleLayer.ts).
/// `down` layers are stride 2 'valid'; the others stride 1 'same'.
struct ConvLayer {
    conv: Conv,
    down: bool,
}

impl ConvLayer {
    fn load(weights: &WeightMap, prefix: &str, down: bool, activation: Activation) -> Result<Self, FaceError> {
        let epilogue = Epilogue::bias_scale(
            weights.vector(&format!("{prefix}/conv/bias"))?,
            weights.vector(&format!("{prefix}/scale/weights"))?,
            weights.vector(&format!("{prefix}/scale/biases"))?,
            activation,
        )?;
        let stride = if down { 2 } else { 1 };
        Ok(Self {
            conv: Conv::from_hwio(weights.get(&format!("{prefix}/conv/filters"))?, stride, epilogue)?,
            down,
        })
    }

    fn forward(&self, x: &FeatureMap) -> Result<FeatureMap, FaceError> {
        let padding = if self.down {
            Padding::NONE
        } else {
            Padding::same(x.height, x.width, 3, 1)
        };
        self.conv.forward(x, padding)
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
            first: ConvLayer::load(weights, &format!("{prefix}/conv1"), down, Activation::Relu)?,
            second: ConvLayer::load(weights, &format!("{prefix}/conv2"), false, Activation::None)?,
            down,
        })
    }

    fn forward(&self, x: &FeatureMap) -> Result<FeatureMap, FaceError> {
        let out = self.second.forward(&self.first.forward(x)?)?;
        if !self.down {
            return FeatureMap::relu_of_sum(&[&out, x]);
        }
        let shortcut = avg_pool_valid(x, 2, 2)?;
        // 'valid' striding can leave the branch one row and column short of
        // the pooled shortcut: face-api pads zeros at the bottom and right.
        let out = if (out.height, out.width) == (shortcut.height, shortcut.width) {
            out
        } else {
            out.pad_bottom_right(out.height + 1, out.width + 1)?
        };
        let shortcut = shortcut.pad_channels(out.channels)?;
        FeatureMap::relu_of_sum(&[&shortcut, &out])
    }
}

/// The loaded network.
pub struct FaceRecognitionNet {
    stem: ConvLayer,
    blocks: Vec<ResidualLayer>,
    /// `[256, 128]`, row-major.
    fully_connected: Vec<f32>,
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
            stem: ConvLayer::load(&weights, "conv32_down", true, Activation::Relu)?,
            blocks,
            fully_connected: weights.vector("fc")?,
        })
    }

    /// Descriptors of aligned faces (each padded to a square and resized to
    /// 150×150 as face-api does).
    pub fn descriptors(&self, faces: &[&RgbImage]) -> Result<Vec<FaceDescriptor>, FaceError> {
        faces.iter().map(|face| self.descriptor(face)).collect()
    }

    /// Descriptor of one aligned face.
    pub fn descriptor(&self, face: &RgbImage) -> Result<FaceDescriptor, FaceError> {
        let input = face_input(face, RECOGNITION_INPUT as usize)?;
        let mut out = max_pool_valid(&self.stem.forward(&input)?, 3, 2)?;
        for block in &self.blocks {
            out = block.forward(&out)?;
        }
        let pooled = out.channel_means();
        let mut descriptor = vec![0f32; DESCRIPTOR_LEN];
        let row = Matrix {
            data: &pooled,
            rows: 1,
            columns: pooled.len(),
            row_stride: pooled.len(),
        };
        let weights = Matrix {
            data: &self.fully_connected,
            rows: pooled.len(),
            columns: DESCRIPTOR_LEN,
            row_stride: DESCRIPTOR_LEN,
        };
        matmul_into(row, weights, &mut descriptor, DESCRIPTOR_LEN)?;
        FaceDescriptor::from_vec(Network::Dlib, descriptor)
    }
}

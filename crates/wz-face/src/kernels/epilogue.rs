//! What follows a convolution, per output channel, in one pass:
//! `activation((x + offset) * scale + shift)`.

use crate::FaceError;

/// The non-linearities face-api's networks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    None,
    Relu,
    /// `clipByValue(x, 0, 6)` (MobileNet).
    Relu6,
    /// face-api's leaky ReLU, `relu(x - 0.1x) + 0.1x` (Tiny-YOLOv2).
    Leaky,
}

impl Activation {
    fn apply(self, x: f32) -> f32 {
        match self {
            Self::None => x,
            Self::Relu => x.max(0.0),
            Self::Relu6 => x.clamp(0.0, 6.0),
            Self::Leaky => {
                // 0.1f32 is exactly the 0.10000000149011612 face-api passes to tf.scalar.
                let min = x * 0.1_f32;
                (x - min).max(0.0) + min
            }
        }
    }
}

/// Per-channel affine step and activation. `x * 1 + 0` is exact in IEEE
/// arithmetic, so layers without a scale give the same bits as a plain bias.
#[derive(Debug, Clone)]
pub(crate) struct Epilogue {
    offset: Vec<f32>,
    scale: Vec<f32>,
    shift: Vec<f32>,
    activation: Activation,
}

impl Epilogue {
    /// `activation(x + bias)`.
    pub(crate) fn bias(bias: Vec<f32>, activation: Activation) -> Self {
        let channels = bias.len();
        Self {
            offset: bias,
            scale: vec![1.0; channels],
            shift: vec![0.0; channels],
            activation,
        }
    }

    /// `activation((x + bias) * scale + shift)` (face-api's convLayer + scaleLayer).
    pub(crate) fn bias_scale(bias: Vec<f32>, scale: Vec<f32>, shift: Vec<f32>, activation: Activation) -> Result<Self, FaceError> {
        if scale.len() != bias.len() || shift.len() != bias.len() {
            return Err(FaceError::MalformedWeights("scale layer length".into()));
        }
        Ok(Self {
            offset: bias,
            scale,
            shift,
            activation,
        })
    }

    /// Inference batch normalisation, `(x - mean) * gamma / sqrt(variance + epsilon) + beta`.
    pub(crate) fn batch_norm(
        mean: &[f32],
        variance: &[f32],
        beta: Vec<f32>,
        gamma: &[f32],
        epsilon: f32,
        activation: Activation,
    ) -> Result<Self, FaceError> {
        if variance.len() != mean.len() || gamma.len() != mean.len() || beta.len() != mean.len() {
            return Err(FaceError::MalformedWeights("batch norm length".into()));
        }
        Ok(Self {
            offset: mean.iter().map(|m| -m).collect(),
            scale: gamma.iter().zip(variance).map(|(g, v)| g / (v + epsilon).sqrt()).collect(),
            shift: beta,
            activation,
        })
    }

    pub(crate) fn channels(&self) -> usize {
        self.offset.len()
    }

    /// Applies the step in place to positions `positions` of every channel
    /// plane of `data` (planes of `plane_len`).
    pub(crate) fn apply(&self, data: &mut [f32], plane_len: usize, positions: std::ops::Range<usize>) {
        for (channel, plane) in data.chunks_exact_mut(plane_len).enumerate() {
            self.apply_channel(channel, plane[positions.clone()].iter_mut().map(|value| (*value, value)));
        }
    }

    /// Writes `activation((x + offset) * scale + shift)` of each value to its
    /// target. The activation is matched once per channel, not per value,
    /// so each arm's loop vectorises.
    fn apply_channel<'a>(&self, channel: usize, pairs: impl Iterator<Item = (f32, &'a mut f32)>) {
        let (offset, scale, shift) = (self.offset[channel], self.scale[channel], self.shift[channel]);
        let affine = move |x: f32| (x + offset) * scale + shift;
        match self.activation {
            Activation::None => pairs.for_each(|(x, target)| *target = affine(x)),
            Activation::Relu => pairs.for_each(|(x, target)| *target = Activation::Relu.apply(affine(x))),
            Activation::Relu6 => pairs.for_each(|(x, target)| *target = Activation::Relu6.apply(affine(x))),
            Activation::Leaky => pairs.for_each(|(x, target)| *target = Activation::Leaky.apply(affine(x))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_offset_scale_shift_and_activation_per_channel() {
        let epilogue = Epilogue::bias_scale(vec![1.0, -1.0], vec![2.0, 3.0], vec![0.5, 0.0], Activation::Relu).unwrap();
        let mut data = vec![0.0, 1.0, 0.0, 4.0];
        epilogue.apply(&mut data, 2, 0..2);
        assert_eq!(data, vec![2.5, 4.5, 0.0, 9.0]);
    }

    #[test]
    fn activations_follow_face_api() {
        assert_eq!(Activation::Relu6.apply(7.0), 6.0);
        assert_eq!(Activation::Relu6.apply(-1.0), 0.0);
        assert!((Activation::Leaky.apply(-1.0) + 0.1).abs() < 1e-7);
        assert_eq!(Activation::Leaky.apply(2.0), 2.0);
    }

    #[test]
    fn batch_norm_folds_into_scale_and_shift() {
        let epilogue = Epilogue::batch_norm(&[1.0], &[3.0], vec![0.5], &[2.0], 1.0, Activation::None).unwrap();
        let mut data = vec![5.0];
        epilogue.apply(&mut data, 1, 0..1);
        assert!((data[0] - 4.5).abs() < 1e-6);
    }
}

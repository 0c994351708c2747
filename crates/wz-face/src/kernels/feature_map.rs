//! One image's activations, channel-major, and zero padding amounts.

use crate::FaceError;

/// Zero rows and columns added around each channel before a window slides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Padding {
    pub(crate) top: usize,
    pub(crate) bottom: usize,
    pub(crate) left: usize,
    pub(crate) right: usize,
}

impl Padding {
    /// No padding (TF 'valid').
    pub(crate) const NONE: Self = Self {
        top: 0,
        bottom: 0,
        left: 0,
        right: 0,
    };

    /// TF 'same' padding for a square `kernel` at `stride` on an input of
    /// `height` × `width`: the smaller half goes before, the rest after.
    pub(crate) fn same(height: usize, width: usize, kernel: usize, stride: usize) -> Self {
        let split = |side: usize| {
            let out = side.div_ceil(stride);
            let total = ((out - 1) * stride + kernel).saturating_sub(side);
            (total / 2, total - total / 2)
        };
        let (top, bottom) = split(height);
        let (left, right) = split(width);
        Self { top, bottom, left, right }
    }
}

/// Activations of one image: `channels` planes of `height` × `width`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeatureMap {
    pub(crate) channels: usize,
    pub(crate) height: usize,
    pub(crate) width: usize,
    pub(crate) data: Vec<f32>,
}

impl FeatureMap {
    pub(crate) fn new(channels: usize, height: usize, width: usize, data: Vec<f32>) -> Result<Self, FaceError> {
        if data.len() != channels * height * width {
            return Err(FaceError::ShapeMismatch("feature map size"));
        }
        Ok(Self {
            channels,
            height,
            width,
            data,
        })
    }

    pub(crate) fn plane_len(&self) -> usize {
        self.height * self.width
    }

    fn check_same_shape(&self, other: &Self) -> Result<(), FaceError> {
        if (self.channels, self.height, self.width) == (other.channels, other.height, other.width) {
            Ok(())
        } else {
            Err(FaceError::ShapeMismatch("element-wise operands"))
        }
    }

    /// `relu(maps[0] + (maps[1] + (… + maps[n-1])))`, summed from the right
    /// as face-api's dense blocks nest their additions.
    pub(crate) fn relu_of_sum(maps: &[&Self]) -> Result<Self, FaceError> {
        let Some((last, rest)) = maps.split_last() else {
            return Err(FaceError::ShapeMismatch("empty sum"));
        };
        let mut sum = (*last).clone();
        for map in rest.iter().rev() {
            sum.check_same_shape(map)?;
            for (acc, value) in sum.data.iter_mut().zip(&map.data) {
                *acc += *value;
            }
        }
        sum.data.iter_mut().for_each(|v| *v = v.max(0.0));
        Ok(sum)
    }

    /// Zero rows at the bottom and columns at the right, up to the given size.
    pub(crate) fn pad_bottom_right(&self, height: usize, width: usize) -> Result<Self, FaceError> {
        if height < self.height || width < self.width {
            return Err(FaceError::ShapeMismatch("padding would shrink"));
        }
        let mut data = vec![0f32; self.channels * height * width];
        for (source, target) in self.data.chunks_exact(self.plane_len()).zip(data.chunks_exact_mut(height * width)) {
            for (row, target_row) in source.chunks_exact(self.width).zip(target.chunks_exact_mut(width)) {
                target_row[..self.width].copy_from_slice(row);
            }
        }
        Self::new(self.channels, height, width, data)
    }

    /// Zero channels appended up to `channels`.
    pub(crate) fn pad_channels(mut self, channels: usize) -> Result<Self, FaceError> {
        if channels < self.channels {
            return Err(FaceError::ShapeMismatch("padding would drop channels"));
        }
        self.data.resize(channels * self.plane_len(), 0.0);
        self.channels = channels;
        Ok(self)
    }

    /// Mean of each channel over all positions (tfjs `mean([1, 2])`).
    pub(crate) fn channel_means(&self) -> Vec<f32> {
        let count = self.plane_len() as f32;
        self.data
            .chunks_exact(self.plane_len())
            .map(|plane| plane.iter().sum::<f32>() / count)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_puts_the_smaller_half_first() {
        assert_eq!(
            Padding::same(112, 112, 3, 2),
            Padding {
                top: 0,
                bottom: 1,
                left: 0,
                right: 1
            }
        );
        assert_eq!(
            Padding::same(7, 8, 3, 1),
            Padding {
                top: 1,
                bottom: 1,
                left: 1,
                right: 1
            }
        );
        assert_eq!(Padding::same(7, 7, 1, 2), Padding::NONE);
    }

    #[test]
    fn sums_from_the_right_and_rectifies() {
        let a = FeatureMap::new(1, 1, 2, vec![1.0, -5.0]).unwrap();
        let b = FeatureMap::new(1, 1, 2, vec![2.0, 1.0]).unwrap();
        let sum = FeatureMap::relu_of_sum(&[&a, &b, &b]).unwrap();
        assert_eq!(sum.data, vec![5.0, 0.0]);
        let other = FeatureMap::new(2, 1, 1, vec![0.0, 0.0]).unwrap();
        assert!(FeatureMap::relu_of_sum(&[&a, &other]).is_err());
    }

    #[test]
    fn pads_spatially_and_by_channel() {
        let map = FeatureMap::new(1, 1, 2, vec![1.0, 2.0]).unwrap();
        let padded = map.pad_bottom_right(2, 3).unwrap();
        assert_eq!(padded.data, vec![1.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
        let wider = padded.pad_channels(2).unwrap();
        assert_eq!((wider.channels, wider.data.len()), (2, 12));
        assert!(map.pad_bottom_right(1, 1).is_err());
    }
}

//! Depthwise 3×3 convolution: one filter per channel. candle runs a grouped
//! convolution as one convolution per channel, which costs more than the
//! arithmetic here by two orders of magnitude.

use candle_core::Tensor;

use super::{Epilogue, FeatureMap, Padding};
use crate::FaceError;

/// Per-channel 3×3 filters, row-major, and an optional epilogue.
pub(crate) struct Depthwise {
    filters: Vec<f32>,
    stride: usize,
    epilogue: Option<Epilogue>,
}

impl Depthwise {
    /// From a tfjs depthwise filter `[3, 3, C, 1]`.
    pub(crate) fn from_hwio(filters: &Tensor, stride: usize, epilogue: Option<Epilogue>) -> Result<Self, FaceError> {
        let (height, width, channels, multiplier) = filters.dims4()?;
        let epilogue_fits = epilogue.as_ref().is_none_or(|e| e.channels() == channels);
        if (height, width, multiplier) != (3, 3, 1) || stride == 0 || !epilogue_fits {
            return Err(FaceError::MalformedWeights("depthwise filter shape".into()));
        }
        Ok(Self {
            filters: filters.permute((2, 3, 0, 1))?.flatten_all()?.to_vec1::<f32>()?,
            stride,
            epilogue,
        })
    }

    /// The convolution with TF 'same' padding.
    pub(crate) fn forward_same(&self, input: &FeatureMap) -> Result<FeatureMap, FaceError> {
        self.forward(input, Padding::same(input.height, input.width, 3, self.stride))
    }

    /// The convolution of `input` with zero `padding`, then the epilogue.
    pub(crate) fn forward(&self, input: &FeatureMap, padding: Padding) -> Result<FeatureMap, FaceError> {
        let (height, width) = (
            input.height + padding.top + padding.bottom,
            input.width + padding.left + padding.right,
        );
        if input.channels * 9 != self.filters.len() || height < 3 || width < 3 {
            return Err(FaceError::ShapeMismatch("depthwise input"));
        }
        let stride = self.stride;
        let (out_height, out_width) = ((height - 3) / stride + 1, (width - 3) / stride + 1);
        let mut out = vec![0f32; input.channels * out_height * out_width];
        let mut padded = vec![0f32; height * width];
        for ((plane, target), kernel) in input
            .data
            .chunks_exact(input.plane_len())
            .zip(out.chunks_exact_mut(out_height * out_width))
            .zip(self.filters.chunks_exact(9))
        {
            for (source_row, padded_row) in plane
                .chunks_exact(input.width)
                .zip(padded[padding.top * width..].chunks_exact_mut(width))
            {
                padded_row[padding.left..padding.left + input.width].copy_from_slice(source_row);
            }
            for (oy, target_row) in target.chunks_exact_mut(out_width).enumerate() {
                let rows = [
                    &padded[(oy * stride) * width..(oy * stride + 1) * width],
                    &padded[(oy * stride + 1) * width..(oy * stride + 2) * width],
                    &padded[(oy * stride + 2) * width..(oy * stride + 3) * width],
                ];
                if stride == 1 {
                    // Nine shifted multiply-adds over whole rows vectorise.
                    for (ky, row) in rows.iter().enumerate() {
                        for kx in 0..3 {
                            let weight = kernel[ky * 3 + kx];
                            for (value, input) in target_row.iter_mut().zip(&row[kx..kx + out_width]) {
                                *value += input * weight;
                            }
                        }
                    }
                    continue;
                }
                for (ox, value) in target_row.iter_mut().enumerate() {
                    let x = ox * stride;
                    let mut sum = 0f32;
                    for (ky, row) in rows.iter().enumerate() {
                        sum += row[x] * kernel[ky * 3] + row[x + 1] * kernel[ky * 3 + 1] + row[x + 2] * kernel[ky * 3 + 2];
                    }
                    *value = sum;
                }
            }
        }
        if let Some(epilogue) = &self.epilogue {
            epilogue.apply(&mut out, out_height * out_width, 0..out_height * out_width);
        }
        FeatureMap::new(input.channels, out_height, out_width, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_candle_grouped_convolution() {
        let (channels, height, width) = (3, 7, 6);
        let data: Vec<f32> = (0..channels * height * width).map(|i| (i as f32).sin() * 3.0).collect();
        let input = FeatureMap::new(channels, height, width, data.clone()).unwrap();
        let hwio = Tensor::from_vec(
            (0..27).map(|i| (i as f32).cos()).collect::<Vec<_>>(),
            (3, 3, channels, 1),
            &Device::Cpu,
        )
        .unwrap();
        for stride in [1, 2] {
            for padding in [Padding::NONE, Padding::same(height, width, 3, stride)] {
                let ours = Depthwise::from_hwio(&hwio, stride, None).unwrap().forward(&input, padding).unwrap();
                let candle = Tensor::from_vec(data.clone(), (1, channels, height, width), &Device::Cpu)
                    .unwrap()
                    .pad_with_zeros(2, padding.top, padding.bottom)
                    .unwrap()
                    .pad_with_zeros(3, padding.left, padding.right)
                    .unwrap()
                    .conv2d(&hwio.permute((2, 3, 0, 1)).unwrap().contiguous().unwrap(), 0, stride, 1, channels)
                    .unwrap();
                assert_eq!(candle.dims4().unwrap(), (1, channels, ours.height, ours.width));
                let expected = candle.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let worst = ours.data.iter().zip(&expected).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
                assert!(worst < 1e-5, "stride {stride} {padding:?}: {worst}");
            }
        }
    }
}

//! Tensor operations candle lacks or runs slowly on CPU.

use candle_core::{Device, Tensor};

use crate::FaceError;

/// Depthwise 3×3 convolution, no padding (callers pad first), NCHW input
/// and `[C, 1, 3, 3]` filters. candle runs a grouped convolution as one
/// convolution per channel, which costs more than the arithmetic here by two
/// orders of magnitude; this direct loop is what keeps detection fast.
pub(crate) fn depthwise_conv3x3(input: &Tensor, filters: &[f32], stride: usize) -> Result<Tensor, FaceError> {
    let (batch, channels, height, width) = input.dims4()?;
    if height < 3 || width < 3 || filters.len() != channels * 9 {
        return Err(FaceError::InvalidOptions("depthwise convolution input too small"));
    }
    let out_h = (height - 3) / stride + 1;
    let out_w = (width - 3) / stride + 1;
    let data = input.flatten_all()?.to_vec1::<f32>()?;
    let mut out = vec![0f32; batch * channels * out_h * out_w];
    for (plane_index, (plane, target)) in data
        .chunks_exact(height * width)
        .zip(out.chunks_exact_mut(out_h * out_w))
        .enumerate()
    {
        let kernel = &filters[(plane_index % channels) * 9..(plane_index % channels) * 9 + 9];
        for oy in 0..out_h {
            let rows = [
                &plane[(oy * stride) * width..],
                &plane[(oy * stride + 1) * width..],
                &plane[(oy * stride + 2) * width..],
            ];
            for ox in 0..out_w {
                let x = ox * stride;
                let mut sum = 0f32;
                for (ky, row) in rows.iter().enumerate() {
                    sum += row[x] * kernel[ky * 3] + row[x + 1] * kernel[ky * 3 + 1] + row[x + 2] * kernel[ky * 3 + 2];
                }
                target[oy * out_w + ox] = sum;
            }
        }
    }
    Ok(Tensor::from_vec(out, (batch, channels, out_h, out_w), &Device::Cpu)?)
}

/// 1×1 convolution as one matrix product: `[N, C_in, H, W]` with weights
/// `[C_out, C_in]`.
pub(crate) fn pointwise_conv(input: &Tensor, weights: &Tensor) -> Result<Tensor, FaceError> {
    let (batch, channels, height, width) = input.dims4()?;
    let flat = input.reshape((batch, channels, height * width))?;
    let out = weights
        .unsqueeze(0)?
        .broadcast_as((batch, weights.dim(0)?, channels))?
        .contiguous()?
        .matmul(&flat)?;
    Ok(out.reshape((batch, weights.dim(0)?, height, width))?)
}

/// Adds a per-channel bias and applies face-api's leaky ReLU
/// (`relu(x - 0.1x) + 0.1x`) in one pass.
pub(crate) fn bias_leaky(input: &Tensor, bias: &[f32]) -> Result<Tensor, FaceError> {
    let (batch, channels, height, width) = input.dims4()?;
    let mut data = input.flatten_all()?.to_vec1::<f32>()?;
    for (plane_index, plane) in data.chunks_exact_mut(height * width).enumerate() {
        let b = bias[plane_index % channels];
        for value in plane {
            let x = *value + b;
            // 0.1f32 is exactly the 0.10000000149011612 face-api passes to tf.scalar.
            let min = x * 0.1_f32;
            *value = (x - min).max(0.0) + min;
        }
    }
    Ok(Tensor::from_vec(data, (batch, channels, height, width), &Device::Cpu)?)
}

/// 2×2 max pool with TF 'same' padding (padded cells ignored).
pub(crate) fn max_pool2x2_same(input: &Tensor, stride: usize) -> Result<Tensor, FaceError> {
    let (batch, channels, height, width) = input.dims4()?;
    let (out_h, out_w) = (height.div_ceil(stride), width.div_ceil(stride));
    // TF puts the smaller half of the padding first; for a 2×2 window that is none.
    let data = input.flatten_all()?.to_vec1::<f32>()?;
    let mut out = vec![0f32; batch * channels * out_h * out_w];
    for (plane, target) in data.chunks_exact(height * width).zip(out.chunks_exact_mut(out_h * out_w)) {
        for oy in 0..out_h {
            let (y0, y1) = (oy * stride, (oy * stride + 1).min(height - 1));
            for ox in 0..out_w {
                let (x0, x1) = (ox * stride, (ox * stride + 1).min(width - 1));
                target[oy * out_w + ox] = plane[y0 * width + x0]
                    .max(plane[y0 * width + x1])
                    .max(plane[y1 * width + x0])
                    .max(plane[y1 * width + x1]);
            }
        }
    }
    Ok(Tensor::from_vec(out, (batch, channels, out_h, out_w), &Device::Cpu)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_candle_grouped_convolution() {
        let input = Tensor::arange(0f32, 2.0 * 3.0 * 7.0 * 6.0, &Device::Cpu)
            .unwrap()
            .reshape((2, 3, 7, 6))
            .unwrap();
        let input = (input.sin().unwrap() * 3.0).unwrap();
        let filters = Tensor::arange(0f32, 27.0, &Device::Cpu)
            .unwrap()
            .cos()
            .unwrap()
            .reshape((3, 1, 3, 3))
            .unwrap();
        let flat = filters.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        for stride in [1, 2] {
            let ours = depthwise_conv3x3(&input, &flat, stride).unwrap();
            let candle = input.conv2d(&filters, 0, stride, 1, 3).unwrap();
            let difference = (ours - candle)
                .unwrap()
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(difference < 1e-5, "stride {stride}: {difference}");
        }
    }

    #[test]
    fn pointwise_matches_a_1x1_convolution() {
        let input = Tensor::arange(0f32, 2.0 * 4.0 * 5.0 * 3.0, &Device::Cpu)
            .unwrap()
            .reshape((2, 4, 5, 3))
            .unwrap()
            .sin()
            .unwrap();
        let weights = Tensor::arange(0f32, 24.0, &Device::Cpu)
            .unwrap()
            .cos()
            .unwrap()
            .reshape((6, 4))
            .unwrap();
        let candle = input.conv2d(&weights.reshape((6, 4, 1, 1)).unwrap(), 0, 1, 1, 1).unwrap();
        let difference = (pointwise_conv(&input, &weights).unwrap() - candle)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(difference < 1e-5, "{difference}");
    }

    #[test]
    fn max_pool_ignores_the_padded_edge() {
        let input = Tensor::new(&[[[[-5f32, -1.0, -3.0], [-2.0, -4.0, -6.0], [-7.0, -8.0, -9.0]]]], &Device::Cpu).unwrap();
        let pooled = max_pool2x2_same(&input, 2)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(pooled, vec![-1.0, -3.0, -7.0, -9.0]);
        let same = max_pool2x2_same(&input, 1)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(same, vec![-1.0, -1.0, -3.0, -2.0, -4.0, -6.0, -7.0, -8.0, -9.0]);
    }
}

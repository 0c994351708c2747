//! Dense 2-D convolution as im2col + one matrix product + epilogue.

use candle_core::Tensor;

use super::{matmul_into, Epilogue, FeatureMap, Matrix, Padding};
use crate::FaceError;

/// A square convolution with its filters flattened to `[out, in·k·k]`.
pub(crate) struct Conv {
    filters: Vec<f32>,
    in_channels: usize,
    kernel: usize,
    stride: usize,
    epilogue: Epilogue,
}

impl Conv {
    /// From a tfjs filter tensor in HWIO layout, `[k, k, in, out]`.
    pub(crate) fn from_hwio(filters: &Tensor, stride: usize, epilogue: Epilogue) -> Result<Self, FaceError> {
        let (height, width, in_channels, out_channels) = filters.dims4()?;
        if height != width || stride == 0 || epilogue.channels() != out_channels {
            return Err(FaceError::MalformedWeights("convolution shape".into()));
        }
        let filters = filters.permute((3, 2, 0, 1))?.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self {
            filters,
            in_channels,
            kernel: height,
            stride,
            epilogue,
        })
    }

    /// The convolution with TF 'same' padding.
    pub(crate) fn forward_same(&self, input: &FeatureMap) -> Result<FeatureMap, FaceError> {
        self.forward(input, Padding::same(input.height, input.width, self.kernel, self.stride))
    }

    /// The convolution of `input` with zero `padding`, then the epilogue.
    /// Output rows are computed in bands whose im2col block stays in the
    /// L2 cache; one whole-image block of the detector's first layer would
    /// be 18 MB of fresh memory on every call. 1×1 convolutions multiply
    /// the input directly.
    pub(crate) fn forward(&self, input: &FeatureMap, padding: Padding) -> Result<FeatureMap, FaceError> {
        let (padded_height, padded_width) = (
            input.height + padding.top + padding.bottom,
            input.width + padding.left + padding.right,
        );
        if input.channels != self.in_channels || padded_height < self.kernel || padded_width < self.kernel {
            return Err(FaceError::ShapeMismatch("convolution input"));
        }
        let window = Window {
            kernel: self.kernel,
            stride: self.stride,
            padding,
            out_height: (padded_height - self.kernel) / self.stride + 1,
            out_width: (padded_width - self.kernel) / self.stride + 1,
        };
        let positions = window.out_height * window.out_width;
        let rows = self.in_channels * self.kernel * self.kernel;
        let filters = Matrix {
            data: &self.filters,
            rows: self.epilogue.channels(),
            columns: rows,
            row_stride: rows,
        };
        let mut out = vec![0f32; self.epilogue.channels() * positions];
        if self.kernel == 1 && self.stride == 1 && padding == Padding::NONE {
            // A 1×1 convolution is the product with the input itself.
            let input_matrix = Matrix {
                data: &input.data,
                rows,
                columns: positions,
                row_stride: positions,
            };
            matmul_into(filters, input_matrix, &mut out, positions)?;
            self.epilogue.apply(&mut out, positions, 0..positions);
        } else {
            let band_rows = (BAND_FLOATS / (rows * window.out_width)).clamp(1, window.out_height);
            for first_row in (0..window.out_height).step_by(band_rows) {
                let band = first_row..(first_row + band_rows).min(window.out_height);
                let columns = window.im2col(input, band.clone());
                let band_positions = band.len() * window.out_width;
                let band_matrix = Matrix {
                    data: &columns,
                    rows,
                    columns: band_positions,
                    row_stride: band_positions,
                };
                let start = first_row * window.out_width;
                matmul_into(filters, band_matrix, &mut out[start..], positions)?;
                self.epilogue.apply(&mut out, positions, start..start + band_positions);
            }
        }
        FeatureMap::new(self.epilogue.channels(), window.out_height, window.out_width, out)
    }
}

/// Target size of one band's im2col block, in floats (256 KiB).
const BAND_FLOATS: usize = 64 * 1024;

/// Geometry of one convolution's sliding window.
struct Window {
    kernel: usize,
    stride: usize,
    padding: Padding,
    out_height: usize,
    out_width: usize,
}

impl Window {
    /// `[in·k·k, rows·out_w]` for the output rows `band`: row `(c, ky, kx)`
    /// holds, for every output position, the input value under kernel tap
    /// `(ky, kx)` of channel `c` (zero where the tap falls in the padding).
    fn im2col(&self, input: &FeatureMap, band: std::ops::Range<usize>) -> Vec<f32> {
        let (k, stride) = (self.kernel, self.stride);
        let positions = band.len() * self.out_width;
        let mut columns = vec![0f32; input.channels * k * k * positions];
        for (row_index, row) in columns.chunks_exact_mut(positions).enumerate() {
            let (channel, ky, kx) = (row_index / (k * k), (row_index / k) % k, row_index % k);
            let plane = &input.data[channel * input.plane_len()..(channel + 1) * input.plane_len()];
            // Output columns whose tap lands inside the input: left + ix = ox·stride + kx.
            let first = self.padding.left.saturating_sub(kx).div_ceil(stride);
            let last = (input.width + self.padding.left)
                .saturating_sub(kx)
                .div_ceil(stride)
                .min(self.out_width);
            if first >= last {
                continue;
            }
            for (oy, target) in band.clone().zip(row.chunks_exact_mut(self.out_width)) {
                let Some(iy) = (oy * stride + ky).checked_sub(self.padding.top).filter(|&iy| iy < input.height) else {
                    continue;
                };
                let source = &plane[iy * input.width..(iy + 1) * input.width];
                let start = first * stride + kx - self.padding.left;
                if stride == 1 {
                    target[first..last].copy_from_slice(&source[start..start + last - first]);
                } else {
                    for (value, source_value) in target[first..last].iter_mut().zip(source[start..].iter().step_by(stride)) {
                        *value = *source_value;
                    }
                }
            }
        }
        columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Activation;
    use candle_core::Device;

    fn wave(len: usize, frequency: f32) -> Vec<f32> {
        (0..len).map(|i| (i as f32 * frequency).sin()).collect()
    }

    /// Compares with candle's own convolution on explicitly padded input.
    fn check(in_channels: usize, out_channels: usize, kernel: usize, stride: usize, padding: Padding, size: (usize, usize)) {
        let (height, width) = size;
        let input = FeatureMap::new(in_channels, height, width, wave(in_channels * height * width, 0.37)).unwrap();
        let hwio = Tensor::from_vec(
            wave(kernel * kernel * in_channels * out_channels, 0.11),
            (kernel, kernel, in_channels, out_channels),
            &Device::Cpu,
        )
        .unwrap();
        let bias = wave(out_channels, 0.5);
        let conv = Conv::from_hwio(&hwio, stride, Epilogue::bias(bias.clone(), Activation::None)).unwrap();
        let ours = conv.forward(&input, padding).unwrap();

        let candle_input = Tensor::from_vec(input.data.clone(), (1, in_channels, height, width), &Device::Cpu)
            .unwrap()
            .pad_with_zeros(2, padding.top, padding.bottom)
            .unwrap()
            .pad_with_zeros(3, padding.left, padding.right)
            .unwrap();
        let oihw = hwio.permute((3, 2, 0, 1)).unwrap().contiguous().unwrap();
        let expected = candle_input
            .conv2d(&oihw, 0, stride, 1, 1)
            .unwrap()
            .broadcast_add(&Tensor::from_vec(bias, (1, out_channels, 1, 1), &Device::Cpu).unwrap())
            .unwrap();
        let (_, _, out_height, out_width) = expected.dims4().unwrap();
        assert_eq!((ours.channels, ours.height, ours.width), (out_channels, out_height, out_width));
        let expected = expected.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let worst = ours.data.iter().zip(&expected).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst < 1e-4, "k{kernel} s{stride} {padding:?}: {worst}");
    }

    #[test]
    fn matches_candle_for_every_shape_the_networks_use() {
        check(3, 5, 3, 1, Padding::same(9, 7, 3, 1), (9, 7));
        check(3, 4, 7, 2, Padding::NONE, (20, 17));
        check(4, 6, 3, 2, Padding::NONE, (9, 9));
        check(4, 6, 3, 2, Padding::same(8, 8, 3, 2), (8, 8));
        check(2, 3, 3, 2, Padding::same(7, 9, 3, 2), (7, 9));
        check(6, 4, 1, 1, Padding::NONE, (5, 3));
        check(6, 4, 1, 2, Padding::same(5, 6, 1, 2), (5, 6));
        // Large enough to be computed in several bands.
        check(3, 4, 3, 1, Padding::same(90, 130, 3, 1), (90, 130));
    }

    #[test]
    fn refuses_the_wrong_number_of_channels() {
        let hwio = Tensor::zeros((3, 3, 2, 1), candle_core::DType::F32, &Device::Cpu).unwrap();
        let conv = Conv::from_hwio(&hwio, 1, Epilogue::bias(vec![0.0], Activation::Relu)).unwrap();
        let input = FeatureMap::new(3, 4, 4, vec![0.0; 48]).unwrap();
        assert!(conv.forward(&input, Padding::NONE).is_err());
    }
}

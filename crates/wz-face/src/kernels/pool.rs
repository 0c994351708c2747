//! Max and average pooling as face-api uses them.

use super::FeatureMap;
use crate::FaceError;

/// Applies `reduce` to every `size`×`size` window at `stride` inside the
/// input (TF 'valid').
fn pool_valid(
    input: &FeatureMap,
    size: usize,
    stride: usize,
    reduce: impl Fn(&mut dyn Iterator<Item = f32>) -> f32,
) -> Result<FeatureMap, FaceError> {
    if input.height < size || input.width < size || stride == 0 {
        return Err(FaceError::ShapeMismatch("pooling input"));
    }
    let (out_height, out_width) = ((input.height - size) / stride + 1, (input.width - size) / stride + 1);
    let mut out = Vec::with_capacity(input.channels * out_height * out_width);
    for plane in input.data.chunks_exact(input.plane_len()) {
        for oy in 0..out_height {
            for ox in 0..out_width {
                let mut window = (0..size).flat_map(|dy| {
                    let start = (oy * stride + dy) * input.width + ox * stride;
                    plane[start..start + size].iter().copied()
                });
                out.push(reduce(&mut window));
            }
        }
    }
    FeatureMap::new(input.channels, out_height, out_width, out)
}

/// `tf.maxPool(x, size, stride, 'valid')`.
pub(crate) fn max_pool_valid(input: &FeatureMap, size: usize, stride: usize) -> Result<FeatureMap, FaceError> {
    pool_valid(input, size, stride, |window| window.fold(f32::NEG_INFINITY, f32::max))
}

/// `tf.avgPool(x, size, stride, 'valid')`.
pub(crate) fn avg_pool_valid(input: &FeatureMap, size: usize, stride: usize) -> Result<FeatureMap, FaceError> {
    let count = (size * size) as f32;
    pool_valid(input, size, stride, |window| window.sum::<f32>() / count)
}

/// `tf.maxPool(x, 2, stride, 'same')`: TF puts the smaller half of the
/// padding first, which for a 2×2 window is none; padded cells are ignored.
pub(crate) fn max_pool_2x2_same(input: &FeatureMap, stride: usize) -> Result<FeatureMap, FaceError> {
    let (height, width) = (input.height, input.width);
    if height == 0 || width == 0 || stride == 0 {
        return Err(FaceError::ShapeMismatch("pooling input"));
    }
    let (out_height, out_width) = (height.div_ceil(stride), width.div_ceil(stride));
    let mut out = vec![0f32; input.channels * out_height * out_width];
    for (plane, target) in input
        .data
        .chunks_exact(height * width)
        .zip(out.chunks_exact_mut(out_height * out_width))
    {
        for (oy, target_row) in target.chunks_exact_mut(out_width).enumerate() {
            let top = &plane[oy * stride * width..][..width];
            let bottom = &plane[(oy * stride + 1).min(height - 1) * width..][..width];
            let pair = |x0: usize, x1: usize| top[x0].max(top[x1]).max(bottom[x0]).max(bottom[x1]);
            if stride == 2 {
                // Whole pairs of columns first (this loop vectorises), then
                // the odd last column, whose right neighbour is padding.
                let whole = width / 2;
                for ((value, top_pair), bottom_pair) in target_row.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2)) {
                    *value = top_pair[0].max(top_pair[1]).max(bottom_pair[0]).max(bottom_pair[1]);
                }
                if whole < out_width {
                    target_row[whole] = pair(width - 1, width - 1);
                }
                continue;
            }
            for (ox, value) in target_row.iter_mut().enumerate() {
                *value = pair(ox * stride, (ox * stride + 1).min(width - 1));
            }
        }
    }
    FeatureMap::new(input.channels, out_height, out_width, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> FeatureMap {
        FeatureMap::new(1, 3, 3, vec![-5.0, -1.0, -3.0, -2.0, -4.0, -6.0, -7.0, -8.0, -9.0]).unwrap()
    }

    #[test]
    fn same_max_pool_ignores_the_padded_edge() {
        assert_eq!(max_pool_2x2_same(&grid(), 2).unwrap().data, vec![-1.0, -3.0, -7.0, -9.0]);
        let even = FeatureMap::new(1, 2, 4, vec![1.0, 5.0, 2.0, 0.0, 3.0, 4.0, 8.0, 9.0]).unwrap();
        assert_eq!(max_pool_2x2_same(&even, 2).unwrap().data, vec![5.0, 9.0]);
        assert_eq!(
            max_pool_2x2_same(&grid(), 1).unwrap().data,
            vec![-1.0, -1.0, -3.0, -2.0, -4.0, -6.0, -7.0, -8.0, -9.0]
        );
    }

    #[test]
    fn valid_pools_take_whole_windows_only() {
        assert_eq!(max_pool_valid(&grid(), 2, 2).unwrap().data, vec![-1.0]);
        assert_eq!(avg_pool_valid(&grid(), 2, 1).unwrap().data, vec![-3.0, -3.5, -5.25, -6.75]);
        assert_eq!(max_pool_valid(&grid(), 3, 2).unwrap().data, vec![-1.0]);
        assert!(avg_pool_valid(&grid(), 4, 1).is_err());
    }
}

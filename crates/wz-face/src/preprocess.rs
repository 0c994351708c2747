//! Input preparation exactly as face-api's `NetInput.toBatchTensor`:
//! zero-pad the shorter side to a square (centred), resize bilinearly with
//! tfjs's `resizeBilinear(alignCorners = false, halfPixelCenters = false)`,
//! subtract the mean RGB and scale by 1/255.

use candle_core::{Device, Tensor};
use image::RgbImage;

use crate::FaceError;

/// Mean RGB face-api subtracts before its networks.
pub(crate) const MEAN_RGB: [f32; 3] = [122.782, 117.001, 104.298];

/// An RGB image as f32 values, height × width × 3.
pub(crate) struct FloatImage {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) data: Vec<f32>,
}

impl FloatImage {
    pub(crate) fn from_rgb(image: &RgbImage) -> Self {
        Self {
            width: image.width() as usize,
            height: image.height() as usize,
            data: image.as_raw().iter().map(|&v| f32::from(v)).collect(),
        }
    }

    /// padToSquare: centred, `round(diff / 2)` zero rows or columns after
    /// the image and the rest before; otherwise all after.
    pub(crate) fn pad_to_square(&self, centred: bool) -> (Self, usize, usize) {
        let side = self.width.max(self.height);
        let diff = side - self.width.min(self.height);
        let append = if centred { (diff as f64 * 0.5).round() as usize } else { diff };
        let prepend = diff - append;
        let (left, top) = if self.height > self.width { (prepend, 0) } else { (0, prepend) };
        let mut data = vec![0f32; side * side * 3];
        for y in 0..self.height {
            let source = &self.data[y * self.width * 3..(y + 1) * self.width * 3];
            let start = ((y + top) * side + left) * 3;
            data[start..start + self.width * 3].copy_from_slice(source);
        }
        (
            Self {
                width: side,
                height: side,
                data,
            },
            left,
            top,
        )
    }

    /// tfjs CPU ResizeBilinear with alignCorners = false, halfPixelCenters = false.
    pub(crate) fn resize_bilinear(&self, out_height: usize, out_width: usize) -> Self {
        if out_height == self.height && out_width == self.width {
            return Self {
                width: self.width,
                height: self.height,
                data: self.data.clone(),
            };
        }
        let height_scale = self.height as f64 / out_height as f64;
        let width_scale = self.width as f64 / out_width as f64;
        let at = |y: usize, x: usize, c: usize| f64::from(self.data[(y * self.width + x) * 3 + c]);
        let mut data = Vec::with_capacity(out_height * out_width * 3);
        for row in 0..out_height {
            let source_row = height_scale * row as f64;
            let top_row = source_row.floor() as usize;
            let bottom_row = (source_row.ceil() as usize).min(self.height - 1);
            let row_fraction = source_row - top_row as f64;
            for column in 0..out_width {
                let source_column = width_scale * column as f64;
                let left = source_column.floor() as usize;
                let right = (source_column.ceil() as usize).min(self.width - 1);
                let column_fraction = source_column - left as f64;
                for channel in 0..3 {
                    let top = at(top_row, left, channel) + (at(top_row, right, channel) - at(top_row, left, channel)) * column_fraction;
                    let bottom =
                        at(bottom_row, left, channel) + (at(bottom_row, right, channel) - at(bottom_row, left, channel)) * column_fraction;
                    data.push((top + (bottom - top) * row_fraction) as f32);
                }
            }
        }
        Self {
            width: out_width,
            height: out_height,
            data,
        }
    }
}

/// A batch `[N, 3, size, size]` ready for a network, from images of any
/// size, with face-api's centred padding and mean.
pub(crate) fn batch_tensor(images: &[&RgbImage], size: usize) -> Result<Tensor, FaceError> {
    batch_tensor_with(images, size, true, MEAN_RGB)
}

/// [`batch_tensor`] with the padding placement and mean a network uses.
pub(crate) fn batch_tensor_with(images: &[&RgbImage], size: usize, centred: bool, mean_rgb: [f32; 3]) -> Result<Tensor, FaceError> {
    let mut data = Vec::with_capacity(images.len() * 3 * size * size);
    for image in images {
        if image.width() == 0 || image.height() == 0 {
            return Err(FaceError::InvalidImage);
        }
        let (square, _, _) = FloatImage::from_rgb(image).pad_to_square(centred);
        let resized = square.resize_bilinear(size, size);
        for (channel, mean) in mean_rgb.iter().enumerate() {
            data.extend(resized.data.chunks_exact(3).map(|pixel| (pixel[channel] - mean) / 255.0));
        }
    }
    Ok(Tensor::from_vec(data, (images.len(), 3, size, size), &Device::Cpu)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_the_short_side_with_round_half_after() {
        let image = FloatImage {
            width: 2,
            height: 5,
            data: vec![1.0; 2 * 5 * 3],
        };
        let (square, left, top) = image.pad_to_square(true);
        assert_eq!((square.width, square.height, left, top), (5, 5, 1, 0));
        // Column 0 is padding, columns 1-2 image, columns 3-4 padding.
        let row: Vec<f32> = square.data[..15].chunks(3).map(|p| p[0]).collect();
        assert_eq!(row, vec![0.0, 1.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn bilinear_resize_matches_tfjs_sampling() {
        // 1×4 row 0, 10, 20, 30 resized to 1×3: source x = 0, 4/3, 8/3.
        let image = FloatImage {
            width: 4,
            height: 1,
            data: [0.0, 10.0, 20.0, 30.0].iter().flat_map(|&v| [v, v, v]).collect(),
        };
        let out = image.resize_bilinear(1, 3);
        let values: Vec<f32> = out.data.chunks(3).map(|p| p[0]).collect();
        assert_eq!(values, vec![0.0, 13.333333, 26.666666]);
    }
}

//! Input preparation exactly as face-api's `NetInput.toBatchTensor`:
//! zero-pad the shorter side to a square, resize bilinearly with tfjs's
//! `resizeBilinear(alignCorners = false, halfPixelCenters = false)`, then
//! normalise. The padded square is never built: each output pixel maps its
//! four source taps into the original image or into the zero padding.

use image::RgbImage;

use crate::kernels::FeatureMap;
use crate::FaceError;

/// Mean RGB face-api subtracts before its networks.
pub(crate) const MEAN_RGB: [f32; 3] = [122.782, 117.001, 104.298];

/// How a network scales its input pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Normalisation {
    /// `(x - mean) / 255` (face-api's `normalize(x, meanRgb).div(255)`).
    MeanRgb([f32; 3]),
    /// `x / 127.5 - 1` (SSD MobileNet v1).
    Symmetric,
}

impl Normalisation {
    fn apply(self, value: f32, channel: usize) -> f32 {
        match self {
            Self::MeanRgb(mean) => (value - mean[channel]) / 255.0,
            Self::Symmetric => value / 127.5 - 1.0,
        }
    }
}

/// Where one output coordinate samples along one axis: the two neighbouring
/// source indices in the original image (`None` inside the padding) and the
/// weight of the second.
#[derive(Debug, PartialEq)]
struct Tap {
    low: Option<usize>,
    high: Option<usize>,
    fraction: f64,
}

/// tfjs CPU ResizeBilinear sampling of `out` positions along a padded axis
/// of `side` pixels whose image part starts at `offset` and spans `extent`.
fn taps(out: usize, side: usize, offset: usize, extent: usize) -> Vec<Tap> {
    let scale = side as f64 / out as f64;
    let to_image = |index: usize| index.checked_sub(offset).filter(|&i| i < extent);
    (0..out)
        .map(|i| {
            let source = scale * i as f64;
            let low = source.floor() as usize;
            let high = (source.ceil() as usize).min(side - 1);
            Tap {
                low: to_image(low),
                high: to_image(high),
                fraction: source - low as f64,
            }
        })
        .collect()
}

/// One image as a network's `3 × size × size` input. padToSquare: when
/// `centred`, `round(diff / 2)` zero rows or columns go after the image and
/// the rest before; otherwise all after.
pub(crate) fn input_map(image: &RgbImage, size: usize, centred: bool, normalisation: Normalisation) -> Result<FeatureMap, FaceError> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width == 0 || height == 0 || size == 0 {
        return Err(FaceError::InvalidImage);
    }
    let side = width.max(height);
    let diff = side - width.min(height);
    let append = if centred { (diff as f64 * 0.5).round() as usize } else { diff };
    let (left, top) = if height > width { (diff - append, 0) } else { (0, diff - append) };
    let (rows, columns) = (taps(size, side, top, height), taps(size, side, left, width));
    // Each source row as f64 with one zero pixel appended: padding columns
    // point at that pixel and padding rows at an all-zero row, so the inner
    // loop has no branches.
    let padded_row = |y: Option<usize>| -> Vec<f64> {
        let mut row = vec![0f64; (width + 1) * 3];
        if let Some(y) = y {
            for (target, &source) in row.iter_mut().zip(&image.as_raw()[y * width * 3..(y + 1) * width * 3]) {
                *target = f64::from(source);
            }
        }
        row
    };
    let column_at = |x: Option<usize>| x.unwrap_or(width) * 3;
    let column_offsets: Vec<(usize, usize, f64)> = columns.iter().map(|c| (column_at(c.low), column_at(c.high), c.fraction)).collect();
    let plane = size * size;
    let mut data = vec![0f32; 3 * plane];
    for (row_index, row) in rows.iter().enumerate() {
        let (upper, lower) = (padded_row(row.low), padded_row(row.high));
        for (column_index, &(low, high, fraction)) in column_offsets.iter().enumerate() {
            for channel in 0..3 {
                let top = upper[low + channel] + (upper[high + channel] - upper[low + channel]) * fraction;
                let bottom = lower[low + channel] + (lower[high + channel] - lower[low + channel]) * fraction;
                let resized = (top + (bottom - top) * row.fraction) as f32;
                data[channel * plane + row_index * size + column_index] = normalisation.apply(resized, channel);
            }
        }
    }
    FeatureMap::new(3, size, size, data)
}

/// [`input_map`] with face-api's centred padding and mean (landmarks and
/// recognition).
pub(crate) fn face_input(image: &RgbImage, size: usize) -> Result<FeatureMap, FaceError> {
    input_map(image, size, true, Normalisation::MeanRgb(MEAN_RGB))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn pads_the_short_side_with_round_half_after() {
        // 2 wide, 5 high: diff 3, round(1.5) = 2 columns after, 1 before.
        let image = RgbImage::from_pixel(2, 5, Rgb([255, 255, 255]));
        let map = input_map(&image, 5, true, Normalisation::Symmetric).unwrap();
        assert_eq!(&map.data[..5], &[-1.0, 1.0, 1.0, -1.0, -1.0]);
        let bottom_right = input_map(&image, 5, false, Normalisation::Symmetric).unwrap();
        assert_eq!(&bottom_right.data[..5], &[1.0, 1.0, -1.0, -1.0, -1.0]);
    }

    #[test]
    fn bilinear_taps_match_tfjs_sampling() {
        // 4 source pixels resized to 3: source x = 0, 4/3, 8/3; the last
        // neighbour is clamped to the edge.
        let sampled = taps(3, 4, 0, 4);
        assert_eq!((sampled[1].low, sampled[1].high), (Some(1), Some(2)));
        assert!((sampled[1].fraction - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!((sampled[2].low, sampled[2].high), (Some(2), Some(3)));
        // With an offset of 1, source index 0 is padding.
        assert_eq!(taps(3, 4, 1, 3)[0].low, None);
    }

    #[test]
    fn resizes_a_ramp_like_tfjs() {
        let mut image = RgbImage::new(4, 4);
        for (x, _, pixel) in image.enumerate_pixels_mut() {
            *pixel = Rgb([(x * 10) as u8; 3]);
        }
        let map = input_map(&image, 3, true, Normalisation::MeanRgb([0.0; 3])).unwrap();
        let row: Vec<f32> = map.data[..3].iter().map(|v| v * 255.0).collect();
        assert!(
            (row[0] - 0.0).abs() < 1e-4 && (row[1] - 13.333333).abs() < 1e-4 && (row[2] - 26.666666).abs() < 1e-4,
            "{row:?}"
        );
    }
}

//! Five-point face alignment for networks trained on ArcFace-style crops:
//! eye centres, nose tip and mouth corners taken from the 68 landmarks,
//! mapped by the least-squares similarity transform (rotation, uniform
//! scale, translation: Umeyama's method in 2-D) onto the 112×112 template,
//! and the crop resampled bilinearly through the inverse transform.

use image::{Rgb, RgbImage};

use crate::{Landmarks68, Point};

/// Side of the aligned crop.
pub const ALIGNED_SIDE: u32 = 112;

/// The ArcFace template on a 112×112 crop: left eye, right eye (as seen in
/// the image), nose tip, left and right mouth corner.
pub const ARCFACE_TEMPLATE: [Point; 5] = [
    Point { x: 38.2946, y: 51.6963 },
    Point { x: 73.5318, y: 51.5014 },
    Point { x: 56.0252, y: 71.7366 },
    Point { x: 41.5493, y: 92.3655 },
    Point { x: 70.7299, y: 92.2041 },
];

/// The five points of the template, from the iBUG 68-point layout: eye
/// centres (36–41 and 42–47), nose tip (30), mouth corners (48, 54).
pub fn five_points(landmarks: &Landmarks68) -> Option<[Point; 5]> {
    let points = &landmarks.0;
    if points.len() != 68 {
        return None;
    }
    let centre = |range: std::ops::Range<usize>| {
        let count = range.len() as f32;
        let (x, y) = points[range].iter().fold((0.0, 0.0), |(x, y), p| (x + p.x, y + p.y));
        Point {
            x: x / count,
            y: y / count,
        }
    };
    Some([centre(36..42), centre(42..48), points[30], points[48], points[54]])
}

/// `x' = a·x − b·y + tx`, `y' = b·x + a·y + ty`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    a: f64,
    b: f64,
    tx: f64,
    ty: f64,
}

impl Similarity {
    /// The similarity that maps `from` onto `to` with the least squared
    /// error; `None` when the source points coincide.
    pub fn fit(from: &[Point], to: &[Point]) -> Option<Self> {
        let count = from.len().min(to.len());
        if count < 2 {
            return None;
        }
        let n = count as f64;
        let mean = |points: &[Point]| {
            let (x, y) = points[..count]
                .iter()
                .fold((0.0, 0.0), |(x, y), p| (x + f64::from(p.x), y + f64::from(p.y)));
            (x / n, y / n)
        };
        let ((fx, fy), (tx, ty)) = (mean(from), mean(to));
        let (mut dot, mut cross, mut spread) = (0.0, 0.0, 0.0);
        for (p, q) in from.iter().zip(to).take(count) {
            let (px, py) = (f64::from(p.x) - fx, f64::from(p.y) - fy);
            let (qx, qy) = (f64::from(q.x) - tx, f64::from(q.y) - ty);
            dot += px * qx + py * qy;
            cross += px * qy - py * qx;
            spread += px * px + py * py;
        }
        if spread <= f64::EPSILON {
            return None;
        }
        let (a, b) = (dot / spread, cross / spread);
        Some(Self {
            a,
            b,
            tx: tx - (a * fx - b * fy),
            ty: ty - (b * fx + a * fy),
        })
    }

    /// Where `point` goes.
    pub fn apply(&self, point: Point) -> Point {
        let (x, y) = (f64::from(point.x), f64::from(point.y));
        Point {
            x: (self.a * x - self.b * y + self.tx) as f32,
            y: (self.b * x + self.a * y + self.ty) as f32,
        }
    }

    /// The inverse map; `None` for a degenerate (zero-scale) transform.
    pub fn inverse(&self) -> Option<Self> {
        let norm = self.a * self.a + self.b * self.b;
        if norm <= f64::EPSILON {
            return None;
        }
        let (a, b) = (self.a / norm, -self.b / norm);
        Some(Self {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        })
    }
}

/// Bilinear sample at `(x, y)` (pixel centres at integer coordinates);
/// outside the image is black.
fn sample(image: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (width, height) = (image.width() as i64, image.height() as i64);
    let (x0, y0) = (x.floor(), y.floor());
    let (dx, dy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let pixel = |px: i64, py: i64| -> [f32; 3] {
        if px < 0 || py < 0 || px >= width || py >= height {
            return [0.0; 3];
        }
        let Rgb(values) = *image.get_pixel(px as u32, py as u32);
        values.map(f32::from)
    };
    let (p00, p10, p01, p11) = (pixel(x0, y0), pixel(x0 + 1, y0), pixel(x0, y0 + 1), pixel(x0 + 1, y0 + 1));
    std::array::from_fn(|c| {
        let top = p00[c] + (p10[c] - p00[c]) * dx;
        let bottom = p01[c] + (p11[c] - p01[c]) * dx;
        top + (bottom - top) * dy
    })
}

/// The 112×112 crop of the face whose landmarks are `landmarks` (in
/// `image`'s pixels), aligned onto [`ARCFACE_TEMPLATE`]; `None` when the
/// landmarks are degenerate.
pub fn align_five_point(image: &RgbImage, landmarks: &Landmarks68) -> Option<RgbImage> {
    let points = five_points(landmarks)?;
    let to_crop = Similarity::fit(&points, &ARCFACE_TEMPLATE)?;
    let to_image = to_crop.inverse()?;
    let mut crop = RgbImage::new(ALIGNED_SIDE, ALIGNED_SIDE);
    for (x, y, out) in crop.enumerate_pixels_mut() {
        let source = to_image.apply(Point { x: x as f32, y: y as f32 });
        let value = sample(image, source.x, source.y);
        *out = Rgb(value.map(|v| v.round().clamp(0.0, 255.0) as u8));
    }
    Some(crop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Point, b: Point) -> bool {
        (a.x - b.x).abs() < 1e-3 && (a.y - b.y).abs() < 1e-3
    }

    /// Points moved by a known similarity are mapped back exactly, and the
    /// inverse undoes the fit.
    #[test]
    fn a_known_similarity_is_recovered() {
        let (angle, scale, shift): (f64, f64, (f64, f64)) = (0.3, 2.5, (40.0, -12.0));
        let known = Similarity {
            a: scale * angle.cos(),
            b: scale * angle.sin(),
            tx: shift.0,
            ty: shift.1,
        };
        let moved: Vec<Point> = ARCFACE_TEMPLATE.iter().map(|p| known.apply(*p)).collect();
        let fitted = Similarity::fit(&moved, &ARCFACE_TEMPLATE).unwrap();
        for (m, t) in moved.iter().zip(ARCFACE_TEMPLATE) {
            assert!(close(fitted.apply(*m), t));
        }
        let back = fitted.inverse().unwrap();
        for (m, t) in moved.iter().zip(ARCFACE_TEMPLATE) {
            assert!(close(back.apply(t), *m));
        }
    }

    #[test]
    fn coincident_points_have_no_fit() {
        let same = [Point { x: 5.0, y: 5.0 }; 5];
        assert_eq!(Similarity::fit(&same, &ARCFACE_TEMPLATE), None);
    }

    /// A bright square drawn where the template's left eye would land
    /// under a known transform ends up at the template's left eye.
    #[test]
    fn the_crop_puts_the_eyes_on_the_template() {
        let known = Similarity {
            a: 1.8,
            b: 0.4,
            tx: 30.0,
            ty: 20.0,
        };
        let mut image = RgbImage::new(320, 320);
        let eye = known.apply(ARCFACE_TEMPLATE[0]);
        for y in (eye.y as u32 - 3)..=(eye.y as u32 + 3) {
            for x in (eye.x as u32 - 3)..=(eye.x as u32 + 3) {
                image.put_pixel(x, y, Rgb([255, 255, 255]));
            }
        }
        // 68 landmarks whose five derived points are the moved template.
        let mut points = vec![Point { x: 0.0, y: 0.0 }; 68];
        let moved: Vec<Point> = ARCFACE_TEMPLATE.iter().map(|p| known.apply(*p)).collect();
        points[36..42].fill(moved[0]);
        points[42..48].fill(moved[1]);
        points[30] = moved[2];
        points[48] = moved[3];
        points[54] = moved[4];
        let crop = align_five_point(&image, &Landmarks68(points)).unwrap();
        let (ex, ey) = (ARCFACE_TEMPLATE[0].x.round() as u32, ARCFACE_TEMPLATE[0].y.round() as u32);
        assert!(crop.get_pixel(ex, ey).0[0] > 200, "the eye is on the template");
        assert_eq!(crop.get_pixel(100, 10).0, [0, 0, 0], "the rest is dark");
    }
}

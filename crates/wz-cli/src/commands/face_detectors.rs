//! `wz face detectors DIR`: for each detector, how many images of a labelled
//! one-face folder it finds a face in (directly, or only after the
//! pipeline's border retry), how many give more than one face, and the mean
//! detection time per image on this machine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use image::RgbImage;
use wz_face::{with_border, Detector, DetectorKind};

/// Every JPEG or PNG one level below `folder` (in its identity
/// sub-folders), sorted by path.
pub(crate) fn identity_images(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for identity in std::fs::read_dir(folder).with_context(|| format!("reading {}", folder.display()))? {
        let identity = identity?.path();
        if !identity.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&identity)? {
            let file = file?.path();
            if matches!(file.extension().and_then(|e| e.to_str()), Some("jpg" | "jpeg" | "png")) {
                paths.push(file);
            }
        }
    }
    paths.sort();
    Ok(paths)
}

/// Every image of [`identity_images`], decoded, named by its path under `folder`.
fn images(folder: &Path) -> anyhow::Result<Vec<(String, RgbImage)>> {
    let paths = identity_images(folder)?;
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let image = wz_face::decode_image(&bytes).with_context(|| format!("decoding {}", path.display()))?;
            let name = path.strip_prefix(folder).unwrap_or(&path).display().to_string();
            Ok((name, image))
        })
        .collect()
}

pub fn run(folder: &Path, kinds: &[DetectorKind]) -> anyhow::Result<ExitCode> {
    let images = images(folder)?;
    anyhow::ensure!(!images.is_empty(), "no JPEG or PNG images under {}", folder.display());
    println!("{} images, one face each expected", images.len());
    println!("| detector | found directly | found after border retry | missed | several faces | mean ms per image |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut missed_by: Vec<(DetectorKind, Vec<&str>)> = Vec::new();
    for &kind in kinds {
        let detector = Detector::load(kind)?;
        detector.detect(&images[0].1)?; // warm-up
        let (mut direct, mut retried, mut several, mut missed) = (0, 0, 0, Vec::new());
        let started = Instant::now();
        for (name, image) in &images {
            let mut faces = detector.detect(image)?;
            if !faces.is_empty() {
                direct += 1;
            } else {
                faces = detector.detect(&with_border(image))?;
                if faces.is_empty() {
                    missed.push(name.as_str());
                } else {
                    retried += 1;
                }
            }
            if faces.len() > 1 {
                several += 1;
            }
        }
        let mean_ms = started.elapsed().as_secs_f64() * 1000.0 / images.len() as f64;
        println!("| {kind} | {direct} | {retried} | {} | {several} | {mean_ms:.1} |", missed.len());
        missed_by.push((kind, missed));
    }
    for (kind, missed) in missed_by.iter().filter(|(_, m)| !m.is_empty()) {
        println!("missed by {kind}: {}", missed.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

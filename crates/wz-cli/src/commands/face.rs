//! `wz face eval PAIRS.tsv|DIR`: verification accuracy on a labelled pairs
//! file (`left right same`, header line, paths relative to the file) or on
//! every pair of images in a folder of identity sub-folders; each rate
//! with its exact 95 % interval.
//! `wz face detectors DIR`: recall and speed of each detector on a folder of
//! one-face images.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use wz_face::{evaluate, DetectorKind, FaceDescriptor, FaceEngine, Network, PairScore, Rate, RocPoint, Strictness, TargetPoint};

#[derive(Subcommand)]
pub enum FaceCommand {
    /// Evaluate verification accuracy on a pairs file, or on every pair of
    /// images in a folder of identity sub-folders.
    Eval {
        /// Tab-separated `left right same` with a header line, or a folder
        /// with one sub-folder of JPEG/PNG images per identity (all pairs:
        /// same sub-folder = genuine).
        pairs: PathBuf,
        /// Print every ROC point instead of about twenty.
        #[arg(long)]
        full_roc: bool,
        /// Detector: `tiny:SIZE` (SIZE a multiple of 32) or `ssd`.
        #[arg(long, default_value_t = DetectorKind::DEFAULT, value_parser = parse_detector)]
        detector: DetectorKind,
        /// Recognition network: `mobilefacenet` (192-d, 5-point aligned
        /// crop; production) or `dlib` (face-api's port of dlib's ResNet,
        /// 128-d, dlib-style box crop).
        #[arg(long, default_value_t = Network::DEFAULT, value_parser = parse_network)]
        network: Network,
    },
    /// Presentation-attack detector scores on a folder of identity
    /// sub-folders (bona fide) and on screen and print attacks simulated
    /// from each image, with APCER and BPCER at the threshold.
    Pad {
        /// Folder with one sub-folder of JPEG/PNG images per identity.
        folder: PathBuf,
        /// Attack score above which a face is refused.
        #[arg(long, default_value_t = super::face_pad::DEFAULT_PAD_THRESHOLD)]
        threshold: f32,
    },
    /// The liveness rules on sequences made from the real photos of a
    /// folder of identity sub-folders: genuine sequences assembled from
    /// each person's photos, two people mixed, and each photo animated as
    /// an attack (still, held, swivelled, mouth animated).
    Liveness {
        /// Folder with one sub-folder of JPEG/PNG images per identity.
        folder: PathBuf,
    },
    /// Recall and speed of detectors on a folder of one-face images
    /// (identity sub-folders of JPEG/PNG files).
    Detectors {
        /// Folder with one sub-folder per identity.
        folder: PathBuf,
        /// Detectors to compare, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "tiny:224,tiny:320,tiny:416,tiny:512,tiny:608,ssd", value_parser = parse_detector)]
        detectors: Vec<DetectorKind>,
    },
}

pub fn parse_network(text: &str) -> Result<Network, String> {
    Network::parse(text).ok_or_else(|| format!("{text:?}: expected dlib or mobilefacenet"))
}

pub fn parse_detector(text: &str) -> Result<DetectorKind, String> {
    DetectorKind::parse(text).ok_or_else(|| format!("{text:?}: expected tiny:SIZE (a multiple of 32) or ssd"))
}

fn read_pairs(path: &Path) -> anyhow::Result<Vec<(PathBuf, PathBuf, bool)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut pairs = Vec::new();
    for (number, line) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [left, right, same] = fields.as_slice() else {
            anyhow::bail!("line {}: expected 3 tab-separated fields", number + 1)
        };
        let same = match same.trim() {
            "1" => true,
            "0" => false,
            other => anyhow::bail!("line {}: `same` must be 0 or 1, got {other:?}", number + 1),
        };
        pairs.push((base.join(left), base.join(right), same));
    }
    Ok(pairs)
}

/// Every pair of images under `folder`'s identity sub-folders; a pair is
/// genuine when both sit in the same sub-folder.
fn all_pairs(folder: &Path) -> anyhow::Result<Vec<(PathBuf, PathBuf, bool)>> {
    let images = super::face_detectors::identity_images(folder)?;
    anyhow::ensure!(images.len() >= 2, "{}: no identity sub-folders with images", folder.display());
    let mut pairs = Vec::with_capacity(images.len() * (images.len() - 1) / 2);
    for (i, left) in images.iter().enumerate() {
        for right in &images[i + 1..] {
            pairs.push((left.clone(), right.clone(), left.parent() == right.parent()));
        }
    }
    Ok(pairs)
}

/// The value at quantile `q` (nearest rank) of `sorted`; NaN when empty.
pub(crate) fn quantile(sorted: &[f32], q: f64) -> f32 {
    sorted
        .get(((sorted.len().saturating_sub(1)) as f64 * q).round() as usize)
        .copied()
        .unwrap_or(f32::NAN)
}

/// `1.23 % [1.10–1.37 %] (123/10000)`: a rate with its 95 % interval.
pub(crate) fn shown(rate: &Rate) -> String {
    let (low, high) = rate.interval();
    format!(
        "{:.4} % [{:.4}–{:.4} %] ({}/{})",
        rate.value() * 100.0,
        low * 100.0,
        high * 100.0,
        rate.count,
        rate.total
    )
}

fn operating_point(point: &RocPoint) -> String {
    format!(
        "FAR {}, FRR {}, TAR {:.2} %",
        shown(&point.false_accepts),
        shown(&point.false_rejects),
        (1.0 - point.false_reject_rate()) * 100.0
    )
}

pub fn run(command: &FaceCommand) -> anyhow::Result<ExitCode> {
    match command {
        FaceCommand::Eval {
            pairs,
            full_roc,
            detector,
            network,
        } => eval(pairs, *full_roc, *detector, *network),
        FaceCommand::Detectors { folder, detectors } => super::face_detectors::run(folder, detectors),
        FaceCommand::Pad { folder, threshold } => super::face_pad::run(folder, *threshold),
        FaceCommand::Liveness { folder } => super::face_liveness::run(folder),
    }
}

fn eval(pairs: &Path, full_roc: bool, detector: DetectorKind, network: Network) -> anyhow::Result<ExitCode> {
    let pairs = if pairs.is_dir() { all_pairs(pairs)? } else { read_pairs(pairs)? };
    let engine = FaceEngine::load_with(detector, network)?;
    println!(
        "detector: {detector}; network: {}",
        match network {
            Network::MobileFaceNet => "MobileFaceNet (5-point aligned 112×112)",
            Network::Dlib => "dlib ResNet (face-api)",
        }
    );
    let started = Instant::now();
    let mut descriptors: HashMap<PathBuf, Option<FaceDescriptor>> = HashMap::new();
    for path in pairs.iter().flat_map(|(l, r, _)| [l, r]) {
        if descriptors.contains_key(path) {
            continue;
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let image = wz_face::decode_image(&bytes).with_context(|| format!("decoding {}", path.display()))?;
        descriptors.insert(path.clone(), engine.largest_face(&image)?.map(|face| face.descriptor));
    }
    let mut failed: Vec<String> = descriptors
        .iter()
        .filter(|(_, d)| d.is_none())
        .map(|(p, _)| p.display().to_string())
        .collect();
    failed.sort();
    let failed_images = failed.len();
    let mut scores = Vec::with_capacity(pairs.len());
    let mut excluded = 0;
    for (left, right, same) in &pairs {
        match (&descriptors[left], &descriptors[right]) {
            (Some(a), Some(b)) => scores.push(PairScore {
                same: *same,
                distance: a.distance(b),
            }),
            _ => excluded += 1,
        }
    }
    let evaluation = evaluate(&scores, &[1e-2, 1e-3, 1e-4]);
    println!(
        "pairs: {} ({} genuine, {} impostor compared)",
        pairs.len(),
        evaluation.genuine,
        evaluation.impostor
    );
    println!(
        "images: {}, failures to detect: {failed_images} (pairs excluded: {excluded})",
        descriptors.len()
    );
    for path in &failed {
        println!("  no face found: {path}");
    }
    println!("analysis time: {:.1} s (descriptors and scoring)", started.elapsed().as_secs_f64());
    println!("rates with exact (Clopper–Pearson) 95 % intervals:");
    if let Some((point, rate)) = &evaluation.equal_error {
        println!(
            "EER: {:.2} % at distance threshold {:.4}: {}",
            rate * 100.0,
            point.threshold,
            operating_point(point)
        );
    }
    for target in [1e-3, 1e-4, 1e-5] {
        if let Some(threshold) = wz_face::normal_tail_threshold(&scores, target) {
            let point = evaluation.at_threshold(threshold);
            println!(
                "normal fit of the impostor distances, FAR {target:e} at {threshold:.4}: {}",
                operating_point(&point)
            );
        }
    }
    for strictness in [Strictness::Standard, Strictness::High] {
        let threshold = network.threshold(strictness);
        let point = evaluation.at_threshold(threshold);
        println!(
            "at the {} threshold {threshold} (target FAR {:e}): {}",
            strictness.as_str(),
            strictness.far_target(),
            operating_point(&point)
        );
    }
    for (target, point) in &evaluation.targets {
        match point {
            TargetPoint::Measured(p) => println!("FAR target {target:e}: threshold {:.4}, {}", p.threshold, operating_point(p)),
            TargetPoint::InsufficientData => println!(
                "FAR target {target:e}: not measurable with {} impostor pairs (need at least {:.0})",
                evaluation.impostor,
                1.0 / target
            ),
        }
    }
    println!("ROC (threshold, FAR, FRR):");
    let step = if full_roc { 1 } else { (evaluation.roc.len() / 20).max(1) };
    for point in evaluation.roc.iter().step_by(step) {
        println!(
            "  {:.4}  {:.4}  {:.4}",
            point.threshold,
            point.false_accept_rate(),
            point.false_reject_rate()
        );
    }
    Ok(ExitCode::SUCCESS)
}

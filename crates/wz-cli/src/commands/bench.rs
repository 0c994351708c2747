//! `wz bench face IMAGE`: time the whole face pipeline (detect, landmarks,
//! align, descriptor) and report the memory the loaded models take. Run it
//! under `taskset -c 0` for a one-core figure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use image::{imageops, Rgb, RgbImage};
use wz_face::FaceEngine;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Face pipeline latency on one image.
    Face {
        /// A JPEG or PNG photo with one face.
        image: PathBuf,
        /// Letterbox the photo onto a canvas of this size, e.g. 640x480.
        #[arg(long, default_value = "640x480")]
        canvas: String,
        /// Timed runs after two warm-up runs.
        #[arg(long, default_value_t = 20)]
        iterations: usize,
    },
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn letterbox(photo: &RgbImage, width: u32, height: u32) -> RgbImage {
    let scale = (f64::from(width) / f64::from(photo.width())).min(f64::from(height) / f64::from(photo.height()));
    let (w, h) = (
        (f64::from(photo.width()) * scale) as u32,
        (f64::from(photo.height()) * scale) as u32,
    );
    let resized = imageops::resize(photo, w.max(1), h.max(1), imageops::FilterType::CatmullRom);
    let mut canvas = RgbImage::from_pixel(width, height, Rgb([40, 40, 40]));
    imageops::replace(&mut canvas, &resized, i64::from((width - w) / 2), i64::from((height - h) / 2));
    canvas
}

pub fn run(command: &BenchCommand) -> anyhow::Result<ExitCode> {
    let BenchCommand::Face { image, canvas, iterations } = command;
    let (width, height) = canvas.split_once('x').context("--canvas must look like 640x480")?;
    let (width, height): (u32, u32) = (width.parse()?, height.parse()?);
    let photo = wz_face::decode_image(&std::fs::read(image).with_context(|| format!("reading {}", image.display()))?)?;
    let input = letterbox(&photo, width, height);
    let before = resident_kib();
    let started = Instant::now();
    let engine = FaceEngine::load()?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let after = resident_kib();
    for _ in 0..2 {
        engine.largest_face(&input)?.context("no face found in the benchmark image")?;
    }
    let mut times: Vec<f64> = (0..*iterations)
        .map(|_| {
            let start = Instant::now();
            let face = engine.largest_face(&input);
            (start.elapsed().as_secs_f64() * 1000.0, face.is_ok())
        })
        .filter(|(_, ok)| *ok)
        .map(|(ms, _)| ms)
        .collect();
    times.sort_by(f64::total_cmp);
    anyhow::ensure!(!times.is_empty(), "every timed run failed");
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let percentile = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!("image {}x{} (letterboxed from {}x{})", width, height, photo.width(), photo.height());
    println!(
        "models loaded in {load_ms:.0} ms; resident memory {} MiB before, {} MiB after loading",
        before.unwrap_or(0) / 1024,
        after.unwrap_or(0) / 1024
    );
    println!(
        "detect + landmarks + align + descriptor, {} runs: mean {mean:.1} ms, p50 {:.1} ms, p95 {:.1} ms",
        times.len(),
        percentile(0.5),
        percentile(0.95)
    );
    Ok(ExitCode::SUCCESS)
}

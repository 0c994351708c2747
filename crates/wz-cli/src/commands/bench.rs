//! `wz bench face IMAGE`: time the whole face pipeline (detect, landmarks,
//! align, descriptor) on one worker and on several side by side, time each
//! stage, and report the memory the loaded models take. Each inference runs
//! on one thread, so one worker measures one core; pin the process with
//! `taskset -c 0` to be sure no other core helps.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use image::{imageops, Rgb, RgbImage};
use wz_face::{align_five_point, Detector, DetectorKind, FaceEngine, FaceLandmarkNet, FaceRecognitionNet, MobileFaceNet, Network};

use super::face::{parse_detector, parse_network};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Face pipeline latency and throughput on one image.
    Face {
        /// A JPEG or PNG photo with one face.
        image: PathBuf,
        /// Letterbox the photo onto a canvas of this size, e.g. 640x480.
        #[arg(long, default_value = "640x480")]
        canvas: String,
        /// Timed runs per worker after two warm-up runs.
        #[arg(long, default_value_t = 50)]
        iterations: usize,
        /// Workers running side by side for the throughput figure
        /// (default: one per available core).
        #[arg(long)]
        workers: Option<usize>,
        /// Detector: `tiny:SIZE` or `ssd`.
        #[arg(long, default_value_t = DetectorKind::DEFAULT, value_parser = parse_detector)]
        detector: DetectorKind,
        /// Recognition network: `mobilefacenet` (production) or `dlib`.
        #[arg(long, default_value_t = Network::DEFAULT, value_parser = parse_network)]
        network: Network,
    },
    /// QR code verification (验码) throughput and latency over HTTP against
    /// a running demo server on this data directory: enrols the featured
    /// demo citizens at a new terminal, makes fresh codes, then verifies
    /// them from concurrent connections.
    Qr(super::bench_qr::QrBenchArgs),
    /// End-to-end latency of a service-window session (wallet submit to
    /// the RP's server-sent event), against a running demo server.
    Session(super::bench_session::SessionBenchArgs),
    /// The OpenID Connect token endpoint (code redemption, ID token
    /// signing) and discovery/JWKS, with server CPU per operation, against
    /// a running demo server; `--peer` measures panva's oidc-provider the
    /// same way (tests/oidc/peer.mjs).
    Oidc(super::bench_oidc::OidcBenchArgs),
    /// Registry lookup latency (ID number to opened record) in the
    /// seeded registry of this data directory, sampled from `wz seed`'s people.
    Registry(super::bench_registry::RegistryBenchArgs),
    /// Single-core cost of SM2, the password digest and argon2id.
    Crypto,
    /// This machine's own limits, measured in one run: the HTTP floor,
    /// SM2 and HMAC-SM3 per core, a group-committed SQLite insert; every
    /// figure as CPU time per operation.
    Limits(super::bench_limits::LimitsBenchArgs),
    /// The HTTP floor's server (started by the benchmarks as a child
    /// process; prints its URL, serves until killed).
    #[command(hide = true)]
    FloorServer {
        /// Port on 127.0.0.1 (0: any free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
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

/// Milliseconds of each of `iterations` calls of `run`, sorted.
fn timed(iterations: usize, mut run: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Vec<f64>> {
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        run()?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
}

fn summary(times: &[f64]) -> String {
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let percentile = |p: f64| {
        times
            .get(((times.len().saturating_sub(1)) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    format!("mean {mean:.1} ms, p50 {:.1} ms, p95 {:.1} ms", percentile(0.5), percentile(0.95))
}

pub async fn run(cli: &crate::Cli, command: &BenchCommand) -> anyhow::Result<ExitCode> {
    let BenchCommand::Face {
        image,
        canvas,
        iterations,
        workers,
        detector,
        network,
    } = command
    else {
        return match command {
            BenchCommand::Qr(args) => super::bench_qr::run(cli, args).await,
            BenchCommand::Session(args) => super::bench_session::run(cli, args).await,
            BenchCommand::Oidc(args) => super::bench_oidc::run(cli, args).await,
            BenchCommand::Registry(args) => super::bench_registry::run(cli, args).await,
            BenchCommand::Limits(args) => super::bench_limits::run(args).await,
            BenchCommand::FloorServer { port } => super::bench_limits::serve_floor(*port).await,
            _ => super::bench_crypto::run(),
        };
    };
    let (width, height) = canvas.split_once('x').context("--canvas must look like 640x480")?;
    let (width, height): (u32, u32) = (width.parse()?, height.parse()?);
    anyhow::ensure!(*iterations > 0, "--iterations must be at least 1");
    let photo = wz_face::decode_image(&std::fs::read(image).with_context(|| format!("reading {}", image.display()))?)?;
    let input = Arc::new(letterbox(&photo, width, height));
    let before = resident_kib();
    let started = Instant::now();
    let engine = Arc::new(FaceEngine::load_with(*detector, *network)?);
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let after = resident_kib();
    println!(
        "image {width}x{height} (letterboxed from {}x{}), detector {detector}, network {network}",
        photo.width(),
        photo.height()
    );
    println!(
        "models loaded in {load_ms:.0} ms; resident memory {} MiB before, {} MiB after loading",
        before.unwrap_or(0) / 1024,
        after.unwrap_or(0) / 1024
    );
    let face = engine.largest_face(&input)?.context("no face found in the benchmark image")?;
    let one_face = || engine.largest_face(&input).map(|_| ()).map_err(anyhow::Error::from);
    timed(2, one_face)?;
    println!(
        "detect + landmarks + align + descriptor, one worker, {iterations} runs: {}",
        summary(&timed(*iterations, one_face)?)
    );

    let workers = workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let started = Instant::now();
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (engine, input, iterations) = (Arc::clone(&engine), Arc::clone(&input), *iterations);
            std::thread::spawn(move || timed(iterations, || engine.largest_face(&input).map(|_| ()).map_err(anyhow::Error::from)))
        })
        .collect();
    let mut all = Vec::new();
    for handle in handles {
        all.extend(handle.join().map_err(|_| anyhow::anyhow!("a worker panicked"))??);
    }
    all.sort_by(f64::total_cmp);
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "{workers} workers side by side, {} faces: {rate:.1} faces/s; per face {}",
        all.len(),
        summary(&all)
    );

    // Stage by stage, on the crops the pipeline used for this image.
    let region = |x: f32, y: f32, w: f32, h: f32| {
        let (x, y) = (x.max(0.0) as u32, y.max(0.0) as u32);
        imageops::crop_imm(
            input.as_ref(),
            x,
            y,
            (w as u32).clamp(1, width - x),
            (h as u32).clamp(1, height - y),
        )
        .to_image()
    };
    let detection_crop = region(face.detection.x, face.detection.y, face.detection.width, face.detection.height);
    let aligned_crop = region(face.aligned.x, face.aligned.y, face.aligned.width, face.aligned.height);
    let (detector_net, landmarks) = (Detector::load(*detector)?, FaceLandmarkNet::load()?);
    let stage = |name: &str, times: Vec<f64>| println!("  {name}: {}", summary(&times));
    println!("stages, one worker:");
    stage(
        "detection",
        timed(*iterations, || detector_net.detect(&input).map(|_| ()).map_err(Into::into))?,
    );
    stage(
        "landmarks",
        timed(*iterations, || landmarks.landmarks(&detection_crop).map(|_| ()).map_err(Into::into))?,
    );
    match network {
        Network::Dlib => {
            let recognition = FaceRecognitionNet::load()?;
            stage(
                "descriptor (dlib)",
                timed(*iterations, || {
                    recognition.descriptor(&aligned_crop).map(|_| ()).map_err(Into::into)
                })?,
            );
        }
        Network::MobileFaceNet => {
            let recognition = MobileFaceNet::load()?;
            let five_point = align_five_point(&input, &face.landmarks).context("the face's five points are degenerate")?;
            stage(
                "5-point alignment",
                timed(*iterations, || {
                    align_five_point(&input, &face.landmarks).map(|_| ()).context("degenerate points")
                })?,
            );
            stage(
                "embedding (MobileFaceNet)",
                timed(*iterations, || recognition.embed(&[&five_point]).map(|_| ()).map_err(Into::into))?,
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

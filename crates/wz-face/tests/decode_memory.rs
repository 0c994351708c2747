//! A decompression bomb within the decoder's limits costs under 64 MB,
//! decode and face analysis together (security finding: a 117 KB PNG of
//! 6324×6324 zeros peaked at 699 MB per request).
//!
//! Measured as the growth of the process's peak resident set (`VmHWM`)
//! over its resident set before the bombs (the peak reset through
//! `/proc/self/clear_refs`), in a test binary of its own so
//! that no other test shares the process. Large buffers are `mmap`ed by
//! the allocator and returned on free, so the figure is what the request
//! really touched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use image::{DynamicImage, ImageFormat};
use wz_face::{decode_image, FaceEngine, FaceError};

fn png(image: &DynamicImage) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// `VmRSS` or `VmHWM` of this process in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn a_png_bomb_costs_under_64_mb() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("no /proc: the memory bound is measured on Linux only");
        return;
    }
    let engine = FaceEngine::load().unwrap();
    // A serving engine has run before: its first analysis allocates the
    // networks' lasting buffers, which are not the request's cost.
    let warm = image::RgbImage::new(640, 480);
    assert!(engine.largest_face(&warm).unwrap().is_none());
    // The probe's bomb: refused from its header, nothing decoded.
    let probe = png(&DynamicImage::ImageLuma8(image::GrayImage::new(6_324, 6_324)));
    assert!(probe.len() < 400_000, "{} bytes", probe.len());
    // The largest bombs the limits let through: a grey plane at the pixel
    // cap, an RGB one at the allocation cap, and an RGBA one just past it.
    let grey = png(&DynamicImage::ImageLuma8(image::GrayImage::new(4_000, 4_000)));
    let rgb = png(&DynamicImage::ImageRgb8(image::RgbImage::new(3_700, 3_700)));
    let rgba = png(&DynamicImage::ImageRgba8(image::RgbaImage::new(3_400, 3_400)));

    // Encoding the bombs touched their full size: reset the peak first.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_bytes("VmRSS:");
    assert!(status_bytes("VmHWM:") < before + 4_000_000, "the peak was not reset");
    assert!(matches!(decode_image(&probe), Err(FaceError::ImageTooLarge)));
    assert!(matches!(decode_image(&rgba), Err(FaceError::ImageTooLarge)));
    for bomb in [&grey, &rgb] {
        let decoded = decode_image(bomb).unwrap();
        assert_eq!(decoded.width().max(decoded.height()), wz_face::WORKING_SIDE);
        assert!(engine.largest_face(&decoded).unwrap().is_none());
    }
    let peak = status_bytes("VmHWM:").saturating_sub(before);
    eprintln!("peak growth over the bombs: {:.1} MB", peak as f64 / 1e6);
    assert!(peak < 64_000_000, "the bombs cost {peak} bytes");
}

//! QR images for wallet codes and enrolment codes: PNG and SVG out, PNG in.

use std::path::Path;

use anyhow::Context;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Writes `text` as a QR code: `.svg` as SVG, anything else as PNG.
pub fn write(text: &str, path: &Path) -> anyhow::Result<()> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).context("text too long for a QR code")?;
    if path.extension().and_then(|e| e.to_str()) == Some("svg") {
        let image = code.render::<svg::Color<'_>>().min_dimensions(320, 320).build();
        std::fs::write(path, image).with_context(|| format!("writing {}", path.display()))?;
    } else {
        let image = code.render::<image::Luma<u8>>().min_dimensions(320, 320).build();
        image.save(path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Reads the first QR code in a PNG or JPEG picture.
pub fn read(path: &Path) -> anyhow::Result<String> {
    let picture = image::open(path).with_context(|| format!("reading {}", path.display()))?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(picture);
    let grid = prepared
        .detect_grids()
        .into_iter()
        .next()
        .context("no QR code found in the picture")?;
    let (_, text) = grid.decode().map_err(|e| anyhow::anyhow!("QR code unreadable: {e}"))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_png_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("code.png");
        let text = format!("WZQR1:{}", "A".repeat(500));
        write(&text, &path).unwrap();
        assert_eq!(read(&path).unwrap(), text);
        write("hello", &dir.path().join("code.svg")).unwrap();
        assert!(std::fs::read_to_string(dir.path().join("code.svg")).unwrap().contains("<svg"));
    }
}

//! QR images for wallet codes and enrolment codes: PNG and SVG out, PNG in.

use std::path::Path;

use anyhow::Context;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Writes `text` as a QR code: `.svg` as SVG, anything else as PNG. The
/// file is replaced whole (written beside it, then renamed), so a scanner
/// reading it while a rotating code is rewritten never sees half a picture.
pub fn write(text: &str, path: &Path) -> anyhow::Result<()> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).context("text too long for a QR code")?;
    let bytes = if path.extension().and_then(|e| e.to_str()) == Some("svg") {
        code.render::<svg::Color<'_>>().min_dimensions(320, 320).build().into_bytes()
    } else {
        let image = code.render::<image::Luma<u8>>().min_dimensions(320, 320).build();
        let mut png = std::io::Cursor::new(Vec::new());
        image.write_to(&mut png, image::ImageFormat::Png).context("encoding the QR image")?;
        png.into_inner()
    };
    let name = path.file_name().context("the QR image path names no file")?.to_string_lossy();
    let partial = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&partial, bytes).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Reads a QR picture the way a camera waits for one: if the file is not
/// there yet (another terminal is about to write it), waits up to `wait`
/// for it to appear, saying so once.
pub async fn scan(path: &Path, wait: std::time::Duration) -> anyhow::Result<String> {
    let deadline = std::time::Instant::now() + wait;
    let mut said = false;
    while !path.exists() && std::time::Instant::now() < deadline {
        if !said {
            eprintln!("waiting for {} to appear...", path.display());
            said = true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    anyhow::ensure!(path.exists(), "{} did not appear within {} s", path.display(), wait.as_secs());
    read(path)
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

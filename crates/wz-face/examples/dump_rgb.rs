//! Writes every image under a face folder as raw RGB (`<w> <h>\n` + bytes),
//! decoded by the same `image` crate the engine uses, so the reference
//! script (`tools/face-reference`) runs the original networks on exactly the
//! pixels wz-face sees. Usage: `cargo run -p wz-face --example dump_rgb -- FACES_DIR OUT_DIR`.

use std::io::Write;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (faces, out) = match (args.next(), args.next()) {
        (Some(faces), Some(out)) => (PathBuf::from(faces), PathBuf::from(out)),
        _ => return Err("usage: dump_rgb FACES_DIR OUT_DIR".into()),
    };
    for identity in std::fs::read_dir(&faces)? {
        let identity = identity?.path();
        if !identity.is_dir() {
            continue;
        }
        let target = out.join(identity.file_name().ok_or("folder name")?);
        std::fs::create_dir_all(&target)?;
        for file in std::fs::read_dir(&identity)? {
            let file = file?.path();
            let Ok(image) = image::open(&file) else { continue };
            let rgb = image.to_rgb8();
            let mut output = std::fs::File::create(target.join(file.file_name().ok_or("file name")?))?;
            writeln!(output, "{} {}", rgb.width(), rgb.height())?;
            output.write_all(rgb.as_raw())?;
        }
    }
    Ok(())
}

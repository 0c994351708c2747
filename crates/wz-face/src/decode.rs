//! Decoding untrusted image bytes with limits.

use image::{ImageReader, Limits, RgbImage};

use crate::FaceError;

/// Largest accepted image, in pixels (16 megapixels: a 12 MP phone photo
/// fits). Checked from the header, before anything is decoded.
pub const MAX_PIXELS: u64 = 16_000_000;
/// Largest buffer the decoder may allocate (40 MiB: an RGB photo of up to
/// 14 megapixels, a grey one of 16). A PNG compresses a plane of zeros
/// about 1000:1, so the compressed size says nothing about this.
pub const MAX_DECODE_BYTES: u64 = 40 << 20;
/// Longest side of the image the face engine works on: larger images are
/// scaled down right after decoding (the detector sees 224 px, the
/// recogniser 150 px, so nothing is lost for a face of useful size).
pub const WORKING_SIDE: u32 = 2048;
/// Smallest accepted side: a face needs room for 68 landmarks.
pub const MIN_SIDE: u32 = 32;

/// Decodes JPEG or PNG bytes into RGB. Grayscale and RGBA are converted
/// (alpha dropped); anything else, truncated data, images smaller than
/// 32×32 or larger than 16 megapixels are refused before full decoding,
/// and a decode that would allocate more than [`MAX_DECODE_BYTES`] (a
/// 16-bit or RGBA image of that size) is refused by the decoder's limits.
/// Images with a side over [`WORKING_SIDE`] come back scaled down to it.
/// A decompression bomb within these bounds costs under 64 MB in all.
pub fn decode_image(bytes: &[u8]) -> Result<RgbImage, FaceError> {
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| FaceError::InvalidImage)?;
    if !matches!(reader.format(), Some(image::ImageFormat::Jpeg | image::ImageFormat::Png)) {
        return Err(FaceError::InvalidImage);
    }
    let (width, height) = reader.into_dimensions().map_err(|_| FaceError::InvalidImage)?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(FaceError::ImageTooLarge);
    }
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(FaceError::ImageTooSmall);
    }
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| FaceError::InvalidImage)?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|error| match error {
        image::ImageError::Limits(_) => FaceError::ImageTooLarge,
        _ => FaceError::InvalidImage,
    })?;
    // Scale down in the decoded colour type (a grey plane stays a third
    // of its RGB size), then convert; `into_rgb8` does not copy RGB.
    // `thumbnail` averages integer boxes into the output only: `resize`
    // would hold a float copy of the whole image (90 MB for 14 MP RGB).
    let working = if width.max(height) > WORKING_SIDE {
        decoded.thumbnail(WORKING_SIDE, WORKING_SIDE)
    } else {
        decoded
    };
    Ok(working.into_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, RgbaImage};

    fn encode(image: &image::DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).unwrap();
        bytes.into_inner()
    }

    #[test]
    fn accepts_grayscale_and_rgba_and_refuses_the_rest() {
        let grey = image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(64, 48, image::Luma([90])));
        let decoded = decode_image(&encode(&grey, ImageFormat::Png)).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height(), decoded.get_pixel(0, 0).0),
            (64, 48, [90, 90, 90])
        );
        let rgba = image::DynamicImage::ImageRgba8(RgbaImage::from_pixel(40, 40, image::Rgba([1, 2, 3, 0])));
        assert_eq!(decode_image(&encode(&rgba, ImageFormat::Png)).unwrap().get_pixel(5, 5).0, [1, 2, 3]);
        let jpeg = encode(&grey, ImageFormat::Jpeg);
        assert!(decode_image(&jpeg).is_ok());

        assert!(matches!(decode_image(b"not an image"), Err(FaceError::InvalidImage)));
        assert!(matches!(decode_image(&jpeg[..jpeg.len() / 2]), Err(FaceError::InvalidImage)));
        let png = encode(&grey, ImageFormat::Png);
        assert!(matches!(decode_image(&png[..png.len() - 20]), Err(FaceError::InvalidImage)));
        let tiny = image::DynamicImage::ImageLuma8(image::GrayImage::new(1, 1));
        assert!(matches!(
            decode_image(&encode(&tiny, ImageFormat::Png)),
            Err(FaceError::ImageTooSmall)
        ));
        let gif = encode(&grey, ImageFormat::Bmp);
        assert!(matches!(decode_image(&gif), Err(FaceError::InvalidImage)));
    }

    #[test]
    fn refuses_huge_images_from_the_header_alone() {
        // A PNG header claiming 10000×5000 pixels, with no data behind it.
        let mut png = encode(&image::DynamicImage::ImageLuma8(image::GrayImage::new(40, 40)), ImageFormat::Png);
        png[16..20].copy_from_slice(&10_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&5_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(decode_image(&png), Err(FaceError::ImageTooLarge)));
    }

    /// CRC-32 (ISO-HDLC) as PNG chunks use, bit by bit.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn large_images_are_scaled_to_the_working_side() {
        let wide = image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(4_000, 1_000, image::Luma([7])));
        let decoded = decode_image(&encode(&wide, ImageFormat::Png)).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height(), decoded.get_pixel(9, 9).0),
            (2_048, 512, [7, 7, 7])
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x2545_f491_u64;
        for length in 0..400 {
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = decode_image(&bytes);
            // Behind real magic numbers, so the PNG and JPEG decoders run.
            for magic in [&b"\x89PNG\r\n\x1a\n"[..], &b"\xff\xd8\xff\xe0"[..]] {
                let _ = decode_image(&[magic, &bytes].concat());
            }
        }
    }
}

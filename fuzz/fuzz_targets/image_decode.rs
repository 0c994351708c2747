#![no_main]
//! Portraits and camera frames: JPEG or PNG bytes from anyone.
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(image) = wz_face::decode_image(bytes) {
        assert!(image.width().max(image.height()) <= wz_face::WORKING_SIDE);
    }
});

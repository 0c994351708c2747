#![no_main]
//! Card files (`wz card issue` output, uploaded at kiosks).
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = wz_core::CardFile::parse(bytes);
});

#![no_main]
//! A card reader's presentation, as JSON in `/v1/cards/read` and the
//! enrolment and authentication bodies.
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = serde_json::from_slice::<wz_core::CardPresentation>(bytes);
});

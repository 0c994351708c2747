#![no_main]
//! Rotating session frames (`WZS1:`) and transaction invitations, as scanned.
libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = wz_core::frame_session_id(text);
    let _ = wz_core::check_frame(text, &[7u8; 32], 1_800_000_000_000);
});

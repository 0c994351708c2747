#![no_main]
//! Enrolment codes (`WZENROL1:`) shown by terminals, as scanned by wallets.
libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Some((id, secret)) = wz_core::parse_enrolment_code(text) {
        assert_eq!(wz_core::parse_enrolment_code(&wz_core::enrolment_code(id, &secret)), Some((id, secret)));
    }
});

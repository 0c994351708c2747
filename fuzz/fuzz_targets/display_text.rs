#![no_main]
//! Names and purposes shown to citizens.
libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(shown) = wz_core::check_display_text(text, 200) {
        assert!(!shown.chars().any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c)));
    }
});

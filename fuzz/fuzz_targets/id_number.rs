#![no_main]
//! Resident ID numbers (GB 11643-1999) as typed by anyone.
libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(number) = wz_core::NationalIdNumber::parse(text) {
        // What parses prints back to a form that parses to the same number.
        let again = wz_core::NationalIdNumber::parse(number.expose()).expect("a parsed number reparses");
        assert_eq!(again.expose(), number.expose());
    }
});

#![no_main]
//! Network ID credentials, as text (base64url) and as CBOR bytes.
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(credential) = wz_core::Credential::from_bytes(bytes) {
        let _ = credential.body();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = wz_core::Credential::from_text(text);
    }
});

#![no_main]
//! The four `x-wz-*` headers of a signed request (split on NUL bytes).
libfuzzer_sys::fuzz_target!(|text: &str| {
    let mut parts = text.splitn(4, '\0');
    let (signer, timestamp, nonce, signature) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let _ = wz_core::RequestProof::from_headers(signer, timestamp, nonce, signature);
});

#![no_main]
//! Wallet dynamic QR codes (`WZQR1:`), as scanned.
libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(code) = wz_core::WalletQr::parse(text) {
        // A parsed code prints back to text that parses to the same code.
        assert_eq!(wz_core::WalletQr::parse(&code.to_text()).as_ref(), Ok(&code));
        let _ = code.signer_is_device();
        let _ = code.mac_matches(&[0u8; 32]);
    }
});

#![no_main]
//! Webhook URLs an operator registers for a relying party.
use std::net::SocketAddr;

libfuzzer_sys::fuzz_target!(|text: &str| {
    let policy = wz_core::WebhookPolicy::default();
    if let Ok(target) = policy.check(text) {
        // What passes is https to a public name or address, without userinfo.
        assert!(target.as_str().starts_with("https://"));
        assert!(!target.as_str().contains('@') || target.as_str().split('/').nth(2).is_some_and(|host| !host.contains('@')));
        let _ = policy.address_allowed(target.domain(), SocketAddr::from(([127, 0, 0, 1], target.port())));
    }
});

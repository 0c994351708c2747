//! `wz bench crypto`: single-core cost of the operations the credential
//! design counts: SM2 sign and verify, the keyed password digest
//! (HMAC-SM3, the chosen scheme) and argon2id at OWASP's settings (the
//! rejected one), each measured over a fixed time.

use std::process::ExitCode;
use std::time::Duration;

use wz_core::{CardPassword, LookupKey};
use wz_crypto::{key_from_passphrase, MacKey, Sm2SigningKey};
use wz_service::{EntropyRng, OsEntropy};

/// Operations per second of `work`, run for about `budget`.
fn rate(budget: Duration, work: impl FnMut()) -> f64 {
    super::bench_limits::per_core(budget, work).0
}

pub fn run() -> anyhow::Result<ExitCode> {
    let budget = Duration::from_secs(2);
    let key = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "bench")?;
    let public = key.verifying_key();
    let message = [7u8; 120];
    let signature = key.sign(&message)?;
    let signs = rate(budget, || {
        let _ = key.sign(&message);
    });
    let verifies = rate(budget, || {
        let _ = public.verify(&message, &signature);
    });
    // As the server does for a wallet's request: the key arrives as bytes.
    let sec1 = public.to_sec1_bytes();
    let parsed_verifies = rate(budget, || {
        let _ = wz_crypto::Sm2VerifyingKey::from_sec1_bytes(&sec1, "device").map(|key| key.verify(&message, &signature));
    });
    let pepper = MacKey::from_bytes([3; 32]);
    let lookup = LookupKey::from_bytes([4; 32]);
    let password = CardPassword::parse("20481357").map_err(|e| anyhow::anyhow!("{e}"))?;
    let digest = password.digest(&pepper, &[5; 16], &lookup);
    let checks = rate(budget, || {
        let _ = password.matches(&pepper, &[5; 16], &lookup, &digest);
    });
    let argon = rate(budget, || {
        let _ = key_from_passphrase(b"20481357", &[5; 16], 19 * 1024, 2);
    });
    println!("one thread, about {} s each:", budget.as_secs());
    println!("  SM2 sign:                         {signs:>9.0} /s");
    println!("  SM2 verify:                       {verifies:>9.0} /s");
    println!("  SM2 key parse (SEC1, Z_A) + verify: {parsed_verifies:>7.0} /s");
    println!(
        "  password check, HMAC-SM3 + pepper: {checks:>9.0} /s ({:.2} µs each)",
        1e6 / checks
    );
    println!("  argon2id m=19 MiB t=2 p=1:        {argon:>9.1} /s ({:.1} ms each)", 1e3 / argon);
    println!(
        "  8-digit space (1e8) offline: HMAC needs the pepper; argon2id alone falls in {:.1} core-days",
        1e8 / argon / 86_400.0
    );
    Ok(ExitCode::SUCCESS)
}

//! Prints the worked example of docs/credential-format.md: a credential and
//! a wallet QR code made with fixed, seeded keys (deterministic output).
//! `cargo run -p wz-core --example credential_example`

use rand::SeedableRng;
use time::macros::{date, datetime};
use wz_core::{AssuranceLevel, CredentialNumber, CredentialSerial, Issuance, NationalIdNumber, Validity, ValidityEnd, WalletQr};
use wz_crypto::{MacKey, Sm2SigningKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let platform = Sm2SigningKey::generate(&mut rng, "sm2")?;
    let device = Sm2SigningKey::generate(&mut rng, "device")?;
    // The standard's example number (GB 11643-1999), not a real person.
    let id_number = NationalIdNumber::parse("11010519491231002X")?;
    let number = CredentialNumber::derive(&MacKey::from_bytes([0x11; 32]), &id_number);
    let credential = Issuance {
        serial: CredentialSerial::from_bytes([0xA5; 16]),
        number,
        level: AssuranceLevel::L4,
        device_key: device.verifying_key(),
        password_epoch: 1,
        now: datetime!(2026-11-22 08:00 UTC),
        lifetime: time::Duration::days(3 * 365),
        card_validity: Validity {
            start: date!(2015 - 03 - 01),
            end: ValidityEnd::Date(date!(2035 - 03 - 01)),
        },
    }
    .body(&platform)?
    .sign(&platform)?;
    let body = credential.body();
    println!("platform key id   {}", platform.key_id());
    println!("serial            {}", body.serial.to_hex());
    println!("credential number {}", body.number.to_hex());
    println!("level             {}", body.level.as_str());
    println!("device key        {}", hex::encode(&body.device_key));
    println!("issued_at         {}", body.issued_at);
    println!("expires_at        {}", body.expires_at);
    println!("password epoch    {}", body.password_epoch);
    println!("wire bytes        {} bytes", credential.to_bytes().len());
    println!("wire (hex)        {}", hex::encode(credential.to_bytes()));
    println!("text (base64url)  {}", credential.to_text());
    let code = WalletQr::create(&credential, &device, &[0x33; 32], 1_795_000_000_000, [0x5A; 16]).map_err(|e| format!("{e}"))?;
    let text = code.to_text();
    println!("wallet QR code    {} characters", text.len());
    println!("{text}");
    Ok(())
}

//! Writes the generated seeds of the fuzz corpus (fuzz/seeds/): a card
//! file and its presentation, a credential (bytes and text) and a wallet
//! QR code, all from fixed seeded keys and a synthetic person, as the
//! tests make them. The hand-written seeds sit beside these.
//! `cargo run -p wz-core --example fuzz_seeds -- fuzz/seeds`

use std::path::Path;

use rand::SeedableRng;
use time::macros::{date, datetime};
use wz_core::{
    AssuranceLevel, CardChallenge, CardFile, CredentialNumber, CredentialSerial, Issuance, PersonGenerator, PopulationSpec, Validity,
    ValidityEnd, WalletQr,
};
use wz_crypto::{MacKey, Sm2SigningKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "fuzz/seeds".into());
    let out = Path::new(&out);
    let write = |target: &str, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        std::fs::create_dir_all(out.join(target))?;
        std::fs::write(out.join(target).join(name), bytes)
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let authority = Sm2SigningKey::generate(&mut rng, "card-authority")?;
    let chip = Sm2SigningKey::generate(&mut rng, "chip")?;
    let platform = Sm2SigningKey::generate(&mut rng, "sm2")?;
    let device = Sm2SigningKey::generate(&mut rng, "device")?;

    let mut people = PersonGenerator::new(PopulationSpec {
        seed: 7,
        today: date!(2026 - 11 - 22),
    });
    let (person, _) = people.next_person();
    let card = CardFile::issue(&person, &authority, &chip)?;
    write("card_file", "generated.json", card.to_json().as_bytes())?;
    let challenge = CardChallenge::issue(&MacKey::from_bytes([9; 32]), [4; 16], 1_800_000_000);
    let presentation = card.present(challenge)?;
    write("card_presentation", "generated.json", &serde_json::to_vec(&presentation)?)?;

    let credential = Issuance {
        serial: CredentialSerial::from_bytes([0xA5; 16]),
        number: CredentialNumber::derive(&MacKey::from_bytes([0x11; 32]), &person.id_number),
        level: AssuranceLevel::L4,
        device_key: device.verifying_key(),
        password_epoch: 1,
        now: datetime!(2026-11-22 08:00 UTC),
        lifetime: time::Duration::days(365),
        card_validity: Validity {
            start: date!(2015 - 03 - 01),
            end: ValidityEnd::LongTerm,
        },
    }
    .body(&platform)?
    .sign(&platform)?;
    write("credential", "generated.cbor", &credential.to_bytes())?;
    write("credential", "generated.txt", credential.to_text().as_bytes())?;
    let code = WalletQr::create(&credential, &device, &[0x33; 32], 1_795_000_000_000, [0x5A; 16]).map_err(|e| format!("{e}"))?;
    write("wallet_qr", "generated.txt", code.to_text().as_bytes())?;
    println!("seeds written under {}", out.display());
    Ok(())
}

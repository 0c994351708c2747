use rand::SeedableRng;
use time::macros::{date, datetime};
use wz_crypto::MacKey;

use super::*;
use crate::{AssuranceLevel, CredentialNumber, CredentialSerial, Issuance, NationalIdNumber, Validity, ValidityEnd};

fn key(seed: u64, prefix: &str) -> Sm2SigningKey {
    Sm2SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), prefix).unwrap()
}

/// A credential bound to `device`, signed by `platform`.
fn credential(platform: &Sm2SigningKey, device: &Sm2SigningKey) -> Credential {
    let id = NationalIdNumber::parse("11010519491231002X").unwrap();
    Issuance {
        serial: CredentialSerial::from_bytes([7; 16]),
        number: CredentialNumber::derive(&MacKey::from_bytes([1; 32]), &id),
        level: AssuranceLevel::L4,
        device_key: device.verifying_key(),
        password_epoch: 1,
        now: datetime!(2026-11-22 10:00 UTC),
        lifetime: time::Duration::days(365),
        card_validity: Validity {
            start: date!(2020 - 01 - 01),
            end: ValidityEnd::LongTerm,
        },
    }
    .body(platform)
    .unwrap()
    .sign(platform)
    .unwrap()
}

const NOW: i64 = 1_800_000_000_000;
const KEY: [u8; 32] = [9; 32];

#[test]
fn a_fresh_code_from_the_bound_device_verifies() {
    let (platform, device) = (key(1, "sm2"), key(2, "device"));
    let credential = credential(&platform, &device);
    let code = WalletQr::create(&credential, &device, &KEY, NOW, [5; 16]).unwrap();
    let text = code.to_text();
    assert!(text.starts_with(QR_PREFIX) && text.len() < 600, "{} characters", text.len());
    let parsed = WalletQr::parse(&text).unwrap();
    assert_eq!(parsed, code);
    assert_eq!(parsed.verify_device(&device.verifying_key()), Ok(()));
    assert_eq!(parsed.check_fresh(NOW + 59_000), Ok(()));
    assert!(parsed.mac_matches(&KEY));
    assert!(!parsed.mac_matches(&[8; 32]));
    let master = MacKey::from_bytes([1; 32]);
    let serial = credential.body().serial;
    assert_eq!(super::qr_key(&master, &serial), super::qr_key(&master, &serial));
    assert_ne!(
        super::qr_key(&master, &serial),
        super::qr_key(&MacKey::from_bytes([2; 32]), &serial)
    );
}

#[test]
fn old_or_future_codes_expire() {
    let (platform, device) = (key(1, "sm2"), key(2, "device"));
    let code = WalletQr::create(&credential(&platform, &device), &device, &KEY, NOW, [5; 16]).unwrap();
    assert_eq!(code.check_fresh(NOW + QR_LIFETIME_MS + 1), Err(QrError::Expired));
    assert_eq!(code.check_fresh(NOW - QR_CLOCK_SKEW_MS - 1), Err(QrError::Expired));
}

#[test]
fn another_device_is_told_apart_from_tampering() {
    let (platform, device, thief) = (key(1, "sm2"), key(2, "device"), key(3, "device"));
    let credential = credential(&platform, &device);
    let copied = WalletQr::create(&credential, &thief, &KEY, NOW, [5; 16]).unwrap();
    assert_eq!(copied.verify_device(&device.verifying_key()), Err(QrError::WrongDevice));

    let mut later = WalletQr::create(&credential, &device, &KEY, NOW, [5; 16]).unwrap();
    later.issued_at_ms += 30_000;
    assert_eq!(later.verify_device(&device.verifying_key()), Err(QrError::Tampered));
    let mut other_nonce = WalletQr::create(&credential, &device, &KEY, NOW, [5; 16]).unwrap();
    other_nonce.nonce[0] ^= 1;
    assert_eq!(other_nonce.verify_device(&device.verifying_key()), Err(QrError::Tampered));
}

#[test]
fn no_altered_character_changes_what_an_accepted_code_says() {
    let (platform, device) = (key(1, "sm2"), key(2, "device"));
    let platform_key = platform.verifying_key();
    let original = WalletQr::create(&credential(&platform, &device), &device, &KEY, NOW, [5; 16]).unwrap();
    let text = original.to_text();
    for index in QR_PREFIX.len()..text.len() {
        let mut altered = text.clone().into_bytes();
        altered[index] = if altered[index] == b'A' { b'B' } else { b'A' };
        let Ok(altered) = String::from_utf8(altered) else { continue };
        let Ok(code) = WalletQr::parse(&altered) else { continue };
        let credential_ok = code.credential.verify(|_| Some(&platform_key)).is_ok();
        let device_ok = code
            .credential
            .body()
            .device_verifying_key()
            .is_ok_and(|k| code.verify_device(&k).is_ok());
        // An altered MAC alone still passes on the signature (the MAC only
        // speeds verification up); nothing a code asserts can change.
        let accepted = credential_ok && (code.mac_matches(&KEY) || device_ok);
        let same_claims =
            (&code.credential, code.issued_at_ms, code.nonce) == (&original.credential, original.issued_at_ms, original.nonce);
        assert!(!accepted || same_claims, "character {index} altered and accepted");
    }
    assert!(matches!(WalletQr::parse("hello"), Err(QrError::Malformed(_))));
    assert!(matches!(WalletQr::parse("WZQR1:!!"), Err(QrError::Malformed(_))));
}

#[test]
fn the_mac_covers_the_signer_and_the_signature() {
    let (platform, device, other) = (key(1, "sm2"), key(2, "device"), key(3, "device"));
    let credential = credential(&platform, &device);
    let code = WalletQr::create(&credential, &device, &KEY, NOW, [5; 16]).unwrap();
    assert!(code.signer_is_device() && code.mac_matches(&KEY));
    // A flipped signature byte, a zeroed signature, another signer: the
    // fast path refuses each, so the platform falls back to the signature
    // and refuses what an offline verifier refuses.
    let mut flipped_bytes = code.signature.to_bytes();
    flipped_bytes[10] ^= 0x40;
    let mut variants = vec![];
    if let Ok(signature) = Sm2Signature::from_slice(&flipped_bytes) {
        variants.push(WalletQr { signature, ..code.clone() });
    }
    if let Ok(signature) = Sm2Signature::from_slice(&[0u8; 64]) {
        variants.push(WalletQr { signature, ..code.clone() });
    }
    variants.push(WalletQr {
        signer: other.verifying_key().to_sec1_compressed_bytes(),
        ..code.clone()
    });
    assert!(!variants.is_empty());
    for variant in variants {
        let reparsed = WalletQr::parse(&variant.to_text()).unwrap();
        assert!(!(reparsed.signer_is_device() && reparsed.mac_matches(&KEY)));
        assert!(reparsed.verify_device(&device.verifying_key()).is_err());
    }
}

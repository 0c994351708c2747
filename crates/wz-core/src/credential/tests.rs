use rand::SeedableRng;
use time::macros::{date, datetime};

use super::*;

fn key(seed: u64, prefix: &str) -> Sm2SigningKey {
    Sm2SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), prefix).unwrap()
}

fn issuance(validity_end: ValidityEnd) -> Issuance {
    let id = NationalIdNumber::parse("11010519491231002X").unwrap();
    Issuance {
        serial: CredentialSerial::from_bytes([7; 16]),
        number: CredentialNumber::derive(&MacKey::from_bytes([1; 32]), &id),
        level: AssuranceLevel::L3,
        device_key: key(2, "device").verifying_key(),
        password_epoch: 0,
        now: datetime!(2026-11-22 10:00 UTC),
        lifetime: time::Duration::days(365),
        card_validity: Validity {
            start: date!(2020 - 01 - 01),
            end: validity_end,
        },
    }
}

fn signed(validity_end: ValidityEnd) -> (Sm2SigningKey, Credential) {
    let platform = key(1, "sm2");
    let credential = issuance(validity_end).body(&platform).unwrap().sign(&platform).unwrap();
    (platform, credential)
}

#[test]
fn round_trips_and_verifies_under_the_named_key() {
    let (platform, credential) = signed(ValidityEnd::LongTerm);
    let verifying = platform.verifying_key();
    let parsed = Credential::from_text(&credential.to_text()).unwrap();
    assert_eq!(parsed, credential);
    let body = parsed
        .verify(|id| (id == verifying.key_id().as_str()).then_some(&verifying))
        .unwrap();
    assert_eq!(body.level, AssuranceLevel::L3);
    assert!(credential.to_bytes().len() < 260, "{} bytes", credential.to_bytes().len());
    let other = key(9, "sm2").verifying_key();
    assert_eq!(parsed.verify(|_| Some(&other)).err(), Some(CredentialError::SignatureInvalid));
    assert_eq!(parsed.verify(|_| None).err(), Some(CredentialError::UnknownKey));
}

#[test]
fn holds_no_personal_data() {
    let (_, credential) = signed(ValidityEnd::LongTerm);
    let bytes = credential.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("11010519491231002X") && !text.contains("19491231"));
}

#[test]
fn never_outlives_the_card() {
    let (_, long_term) = signed(ValidityEnd::LongTerm);
    assert_eq!(long_term.body().expires_at - long_term.body().issued_at, 365 * 86_400);
    let (_, short) = signed(ValidityEnd::Date(date!(2027 - 01 - 31)));
    // 2027-01-31 23:59:59 in UTC+8.
    assert_eq!(short.body().expires_at, datetime!(2027-01-31 15:59:59 UTC).unix_timestamp());
    let expired_card = Issuance {
        card_validity: Validity {
            start: date!(2000 - 01 - 01),
            end: ValidityEnd::Date(date!(2026 - 11 - 21)),
        },
        ..issuance(ValidityEnd::LongTerm)
    };
    assert_eq!(expired_card.body(&key(1, "sm2")).err(), Some(CredentialError::Expired));
}

#[test]
fn time_checks_refuse_expired_and_future_credentials() {
    let (_, credential) = signed(ValidityEnd::LongTerm);
    let body = credential.body();
    assert!(body.check_time(datetime!(2027-01-01 00:00 UTC), 0).is_ok());
    assert_eq!(body.check_time(datetime!(2028-01-01 00:00 UTC), 0), Err(CredentialError::Expired));
    assert_eq!(
        body.check_time(datetime!(2026-11-22 09:00 UTC), 60),
        Err(CredentialError::NotYetValid)
    );
}

#[test]
fn any_flipped_bit_is_refused() {
    let (platform, credential) = signed(ValidityEnd::LongTerm);
    let verifying = platform.verifying_key();
    let bytes = credential.to_bytes();
    for index in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut altered = bytes.clone();
            altered[index] ^= bit;
            if let Ok(parsed) = Credential::from_bytes(&altered) {
                assert!(parsed.verify(|_| Some(&verifying)).is_err(), "byte {index} bit {bit:#x} accepted");
            }
        }
    }
}

#[test]
fn garbage_never_panics() {
    let mut state = 0x1234_5678_u32;
    for length in 0..300 {
        let bytes: Vec<u8> = (0..length)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        assert!(Credential::from_bytes(&bytes).is_err());
    }
    assert!(Credential::from_text("not base64 !").is_err());
    assert!(Credential::from_bytes(&vec![0x40; MAX_CREDENTIAL_BYTES + 1]).is_err());
}

#[test]
fn numbers_are_stable_per_person_and_key() {
    let id = NationalIdNumber::parse("11010519491231002X").unwrap();
    let key = MacKey::from_bytes([1; 32]);
    assert_eq!(CredentialNumber::derive(&key, &id), CredentialNumber::derive(&key, &id));
    assert_ne!(
        CredentialNumber::derive(&key, &id),
        CredentialNumber::derive(&MacKey::from_bytes([2; 32]), &id)
    );
    let number = CredentialNumber::derive(&key, &id);
    assert_eq!(CredentialNumber::from_hex(&number.to_hex()), Some(number));
}

use super::*;
use rand::SeedableRng;
use time::macros::date;

use crate::{PersonGenerator, PopulationSpec};

struct Fixture {
    authority: Sm2SigningKey,
    trusted: TrustedAuthorities,
    challenge_key: MacKey,
    card: CardFile,
}

fn key(seed: u64, prefix: &str) -> Sm2SigningKey {
    Sm2SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), prefix).unwrap()
}

fn fixture() -> Fixture {
    let (record, _) = PersonGenerator::new(PopulationSpec {
        seed: 3,
        today: date!(2026 - 11 - 22),
    })
    .next_person();
    let authority = key(1, "card-authority");
    let mut trusted = TrustedAuthorities::default();
    trusted.add(authority.verifying_key());
    let card = CardFile::issue(&record, &authority, &key(2, "chip")).unwrap();
    Fixture {
        authority,
        trusted,
        challenge_key: MacKey::from_bytes([5; 32]),
        card,
    }
}

fn read(f: &Fixture, card: &CardFile) -> Result<VerifiedCard, CardVerificationError> {
    let challenge = CardChallenge::issue(&f.challenge_key, [9; 16], 1_000);
    card.present(challenge)?.verify(&f.trusted, &f.challenge_key, 900)
}

#[test]
fn genuine_card_verifies_and_survives_a_file_round_trip() {
    let f = fixture();
    let reparsed = CardFile::parse(f.card.to_json().as_bytes()).unwrap();
    let verified = read(&f, &reparsed).unwrap();
    assert_eq!(verified.chip.card_serial, f.card.chip.card_serial);
}

#[test]
fn edited_field_breaks_the_signature() {
    let f = fixture();
    let mut edited = f.card.clone();
    edited.chip.address.push('甲');
    assert_eq!(read(&f, &edited).unwrap_err(), CardVerificationError::SignatureInvalid);
    let mut later = f.card.clone();
    later.chip.validity.end = crate::ValidityEnd::LongTerm;
    assert_eq!(read(&f, &later).unwrap_err(), CardVerificationError::SignatureInvalid);
}

#[test]
fn copied_card_with_another_chip_key_fails_the_challenge() {
    let f = fixture();
    let mut clone = f.card.clone();
    clone.chip_secret_key = hex::encode(key(77, "chip").to_scalar_bytes().as_slice());
    assert_eq!(read(&f, &clone).unwrap_err(), CardVerificationError::ChipMismatch);
}

#[test]
fn card_from_an_unknown_authority_is_refused() {
    let f = fixture();
    let (record, _) = PersonGenerator::new(PopulationSpec {
        seed: 3,
        today: date!(2026 - 11 - 22),
    })
    .next_person();
    let forged = CardFile::issue(&record, &key(99, "card-authority"), &key(2, "chip")).unwrap();
    assert_eq!(read(&f, &forged).unwrap_err(), CardVerificationError::AuthorityUnknown);
    // Claiming the real authority's key id does not help a forger.
    let mut claimed = forged;
    claimed.authority_key_id = f.authority.key_id().to_string();
    assert_eq!(read(&f, &claimed).unwrap_err(), CardVerificationError::SignatureInvalid);
}

#[test]
fn forged_or_stale_challenges_are_refused() {
    let f = fixture();
    let mut forged = CardChallenge::issue(&f.challenge_key, [9; 16], 1_000);
    forged.expires_at = 5_000;
    let presentation = f.card.present(forged).unwrap();
    assert_eq!(
        presentation.verify(&f.trusted, &f.challenge_key, 900).unwrap_err(),
        CardVerificationError::ChallengeInvalid
    );
    let stale = f.card.present(CardChallenge::issue(&f.challenge_key, [9; 16], 1_000)).unwrap();
    assert_eq!(
        stale.verify(&f.trusted, &f.challenge_key, 1_001).unwrap_err(),
        CardVerificationError::ChallengeExpired
    );
}

#[test]
fn malformed_card_files_are_named() {
    assert_eq!(
        CardFile::parse(b"not json").unwrap_err(),
        CardVerificationError::Malformed("not a card file")
    );
    assert_eq!(
        CardFile::parse(&vec![b' '; 70_000]).unwrap_err(),
        CardVerificationError::Malformed("card file too large")
    );
    let f = fixture();
    let text = f.card.to_json().replace(CARD_FILE_VERSION, "wz-card/9");
    assert_eq!(
        CardFile::parse(text.as_bytes()).unwrap_err(),
        CardVerificationError::Malformed("unknown card format version")
    );
    let extra = f.card.to_json().replacen('{', "{\"extra\":1,", 1);
    assert!(CardFile::parse(extra.as_bytes()).is_err());
}

proptest::proptest! {
    #[test]
    fn random_bytes_never_panic_the_card_parser(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
        let _ = CardFile::parse(&bytes);
    }

    #[test]
    fn random_text_never_panics_the_id_parser(text in "\\PC{0,40}") {
        let _ = NationalIdNumber::parse(&text);
    }
}

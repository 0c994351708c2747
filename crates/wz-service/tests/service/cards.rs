use time::Duration;
use wz_core::{CardFile, IdentityStatus, ResultCode};
use wz_crypto::Sm2SigningKey;
use wz_service::{EntropyRng, OsEntropy, ServiceError};
use wz_testkit::{generated_people, service_fixture, ServiceFixture};

async fn fixture_with_valid_person() -> (ServiceFixture, wz_core::IdentityRecord) {
    let fixture = service_fixture(false).await;
    let mut people = generated_people(11, 3);
    for person in &mut people {
        person.status = IdentityStatus::Valid;
        person.record.validity = wz_core::Validity::by_age_rule(person.record.birth_date(), wz_testkit::TEST_NOW.date());
    }
    fixture.services.registry.seed(&people, "test").await.unwrap();
    (fixture, people.remove(0).record)
}

async fn read(fixture: &ServiceFixture, card: &CardFile) -> Result<wz_service::CardReadOutcome, ServiceError> {
    let presentation = card.present(fixture.services.cards.challenge()).unwrap();
    fixture.services.cards.read(&presentation, "test").await
}

fn code(result: Result<wz_service::CardReadOutcome, ServiceError>) -> ResultCode {
    result.unwrap_err().result_code()
}

#[tokio::test]
async fn issued_card_reads_back_desensitised() {
    let (fixture, person) = fixture_with_valid_person().await;
    let card = fixture.services.cards.issue(&person.id_number, "test").await.unwrap();
    let outcome = read(&fixture, &card).await.unwrap();
    assert_eq!(outcome.masked_id_number, person.id_number.masked());
    assert_eq!(outcome.masked_name, wz_core::mask_name(&person.name));
}

#[tokio::test]
async fn each_kind_of_bad_card_gets_its_own_code() {
    let (fixture, person) = fixture_with_valid_person().await;
    let card = fixture.services.cards.issue(&person.id_number, "test").await.unwrap();

    let mut edited = card.clone();
    edited.chip.name.push('甲');
    assert_eq!(code(read(&fixture, &edited).await), ResultCode::CardSignatureInvalid);

    let mut cloned = card.clone();
    let other_chip = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "chip").unwrap();
    cloned.chip_secret_key = hex::encode(other_chip.to_scalar_bytes().as_slice());
    assert_eq!(code(read(&fixture, &cloned).await), ResultCode::CardChipMismatch);

    let rogue = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "card-authority").unwrap();
    let forged = CardFile::issue(&person, &rogue, &other_chip).unwrap();
    assert_eq!(code(read(&fixture, &forged).await), ResultCode::CardAuthorityUnknown);

    let stale = card.present(fixture.services.cards.challenge()).unwrap();
    fixture.clock.advance(Duration::seconds(61));
    assert_eq!(
        fixture.services.cards.read(&stale, "test").await.unwrap_err().result_code(),
        ResultCode::CardChallengeExpired
    );

    fixture
        .services
        .registry
        .change_status(&person.id_number, IdentityStatus::ReportedLost, "reported_by_holder", "test")
        .await
        .unwrap();
    assert_eq!(code(read(&fixture, &card).await), ResultCode::CardReportedLost);
}

#[tokio::test]
async fn cancelled_expired_superseded_and_unknown_cards_are_refused() {
    let (fixture, person) = fixture_with_valid_person().await;
    let card = fixture.services.cards.issue(&person.id_number, "test").await.unwrap();

    // A card for someone the registry does not know, signed by the real authority.
    let mut stranger = generated_people(99, 1).remove(0).record;
    stranger.validity = card.chip.validity;
    let chip = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "chip").unwrap();
    let unknown = CardFile::issue(&stranger, &fixture.services.context.keyring.card_authority, &chip).unwrap();
    assert_eq!(code(read(&fixture, &unknown).await), ResultCode::CardNotInRegistry);

    // An older card of the same person (another serial).
    let mut older = person.clone();
    older.card_serial = wz_core::CardSerial::from_number(1);
    let superseded = CardFile::issue(&older, &fixture.services.context.keyring.card_authority, &chip).unwrap();
    assert_eq!(code(read(&fixture, &superseded).await), ResultCode::CardSuperseded);

    fixture
        .services
        .registry
        .change_status(&person.id_number, IdentityStatus::Expired, "validity_ended", "test")
        .await
        .unwrap();
    assert_eq!(code(read(&fixture, &card).await), ResultCode::CardExpired);
    fixture
        .services
        .registry
        .change_status(&person.id_number, IdentityStatus::Cancelled, "holder_deceased", "test")
        .await
        .unwrap();
    assert_eq!(code(read(&fixture, &card).await), ResultCode::CardCancelled);
}

#[tokio::test]
async fn every_card_read_is_audited_without_personal_data() {
    let (fixture, person) = fixture_with_valid_person().await;
    let card = fixture.services.cards.issue(&person.id_number, "test").await.unwrap();
    read(&fixture, &card).await.unwrap();
    let mut edited = card.clone();
    edited.chip.address.push('乙');
    read(&fixture, &edited).await.unwrap_err();
    let entries = fixture.services.context.store.list_audit(0, 100).await.unwrap();
    let reads: Vec<_> = entries.iter().filter(|e| e.action == "card.read").collect();
    assert_eq!(reads.len(), 2);
    assert!(reads[0].details.contains("\"success\"") && reads[1].details.contains("card_signature_invalid"));
    for entry in &entries {
        let text = format!("{entry:?}");
        assert!(
            !text.contains(person.id_number.expose()) && !text.contains(&person.name),
            "personal data in audit: {text}"
        );
    }
}

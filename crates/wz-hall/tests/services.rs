//! The hall's services end to end without a browser: the simulated city
//! around synthetic citizens, the hall over a fresh SQLite store (the
//! store's own tests cover PostgreSQL), each service applied for,
//! checked, decided, certified and verified.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use wz_hall::certificate::{PublishedKeys, SignedCertificate};
use wz_hall::registries::{Answer, Citizen, Connectors, Question, SimulatedCity};
use wz_hall::rules::{Applicant, Form, FormError, Kinship};
use wz_hall::store::{ApplicationState, HallStore};
use wz_hall::{Hall, HallError};

const NOW: i64 = 1_796_256_000_000; // 2026-12-03T00:00Z
const DAY_MS: i64 = 86_400_000;

/// Twelve synthetic adults from the platform's own generator, as the demo
/// listing gives them.
fn citizens() -> Vec<Citizen> {
    let today = time::macros::date!(2026 - 12 - 03);
    let mut generator = wz_core::PersonGenerator::new(wz_core::PopulationSpec { seed: 2026, today });
    std::iter::repeat_with(|| generator.next_person().0)
        .filter(|r| r.birth_date().year() < 1995)
        .take(12)
        .map(|r| Citizen {
            name: r.name.clone(),
            id_number: r.id_number.expose().to_owned(),
        })
        .collect()
}

struct World {
    hall: Hall,
    connectors: Connectors,
    people: Vec<Applicant>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let listed = citizens();
    let city = SimulatedCity::for_citizens(&listed, time::macros::date!(2026 - 12 - 03));
    let connectors = Connectors::simulated(&city);
    let dir = tempfile::tempdir().unwrap();
    let store = HallStore::open(&format!("sqlite://{}", dir.path().join("hall.db").display()))
        .await
        .unwrap();
    let keys = wz_hall::certificate::DepartmentKeys::load_or_create(&dir.path().join("keys.json")).unwrap();
    let hall = Hall::new(store, connectors.clone(), keys, "http://hall.test/verify".into());
    let people = listed
        .into_iter()
        .map(|c| Applicant {
            id_number: c.id_number,
            name: c.name,
        })
        .collect();
    World {
        hall,
        connectors,
        people,
        _dir: dir,
    }
}

async fn household_address(connectors: &Connectors, person: &str) -> String {
    match connectors.ask(&Question::HouseholdOf { person: person.into() }).await.unwrap() {
        Answer::Household(Some(h)) => h.address,
        other => panic!("no household: {other:?}"),
    }
}

#[tokio::test]
async fn moving_into_a_bought_home_with_family_is_approved_by_the_rules() {
    let w = world().await;
    let me = &w.people[0];
    let prefill = w.hall.prefill("house_move", me).await.unwrap();
    assert_eq!(prefill.properties.len(), 1, "the home bought is offered, not typed");
    let companions = prefill.companions(me);
    assert!(companions.len() >= 2, "spouse and child are offered from the household");
    let form = Form {
        property: Some(0),
        members: vec![0],
        ..Form::default()
    };
    let application = w.hall.submit("app-move", "house_move", me, &form, NOW).await.unwrap();
    assert_eq!(application.row.state, ApplicationState::Approved);
    assert_eq!(application.row.decided_by.as_deref(), Some("rules"));
    assert!(application.evidence.iter().all(|e| e.passed), "{:?}", application.evidence);

    // The registry moved the applicant and the member chosen, not the others.
    let home = prefill.properties[0].address.clone();
    assert_eq!(household_address(&w.connectors, &me.id_number).await, home);
    assert_eq!(household_address(&w.connectors, &companions[0].id_number).await, home);
    assert_ne!(household_address(&w.connectors, &companions[1].id_number).await, home);

    // The certificate verifies with the published keys, offline too.
    let certificates = w.hall.store().certificates_of("app-move").await.unwrap();
    assert_eq!(certificates.len(), 1);
    let verified = w.hall.verify(&certificates[0].encoded, NOW).await.unwrap();
    assert!(verified.is_good(), "{verified:?}");
    assert!(verified.body.statements[0].contains(&home));
    let offline = SignedCertificate::decode(&certificates[0].encoded).unwrap();
    offline.verify(&PublishedKeys::from_set(&w.hall.keys().published())).unwrap();
    // It carries the masked ID number only.
    assert!(!certificates[0].encoded.contains(&me.id_number));
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&offline.body).unwrap()).contains(&me.id_number));

    // Every registry question is in the trail with the application, and the trail holds.
    let trail = w.hall.store().audit_of("app-move").await.unwrap();
    let asked = trail.iter().filter(|e| e.action == "registry.asked").count();
    assert!(asked >= 4, "{asked} questions logged");
    for entry in &trail {
        assert!(!entry.detail.contains(&me.id_number) && !entry.detail.contains(&me.name));
    }
    assert!(w.hall.store().verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn a_form_can_only_choose_what_the_registries_offer() {
    let w = world().await;
    // The second citizen bought no home: nothing to choose.
    let second = &w.people[1];
    let form = Form {
        property: Some(0),
        ..Form::default()
    };
    let refused = w.hall.submit("app-x", "house_move", second, &form, NOW).await;
    assert!(matches!(refused, Err(HallError::Form(FormError::NotOffered(_)))), "{refused:?}");
    let missing = w.hall.submit("app-y", "house_move", &w.people[0], &Form::default(), NOW).await;
    assert!(matches!(missing, Err(HallError::Form(FormError::Missing(_)))));
    let stranger = Form {
        property: Some(0),
        members: vec![99],
        ..Form::default()
    };
    assert!(w.hall.submit("app-z", "house_move", &w.people[0], &stranger, NOW).await.is_err());
    // Nothing was stored and nothing changed.
    assert!(w.hall.store().application("app-x").await.unwrap().is_none());
    assert!(w.hall.store().application("app-z").await.unwrap().is_none());
    assert_eq!(w.hall.store().verify_audit().await.unwrap(), Ok(0));
    assert!(matches!(
        w.hall.submit("app-q", "no_such", second, &Form::default(), NOW).await,
        Err(HallError::UnknownService(_))
    ));
}

#[tokio::test]
async fn a_no_criminal_record_certificate_is_reviewed_issued_revoked_and_tamper_evident() {
    let w = world().await;
    let me = &w.people[1];
    let form = Form {
        purpose: Some("就业".into()),
        ..Form::default()
    };
    let submitted = w.hall.submit("app-ncr", "no_criminal_record", me, &form, NOW).await.unwrap();
    assert_eq!(submitted.row.state, ApplicationState::InReview, "an officer always decides");
    let queue = w.hall.store().applications_in(ApplicationState::InReview, 10).await.unwrap();
    assert_eq!(queue.len(), 1);
    let approved = w.hall.decide("app-ncr", "0001", true, None, NOW + 60_000).await.unwrap();
    assert_eq!(approved.row.state, ApplicationState::Approved);
    assert_eq!(approved.row.decided_by.as_deref(), Some("officer:0001"));
    assert!(matches!(
        w.hall.decide("app-ncr", "0002", false, Some("late"), NOW).await,
        Err(HallError::AlreadyDecided)
    ));

    let certificate = w.hall.store().certificates_of("app-ncr").await.unwrap().remove(0);
    let good = w.hall.verify(&certificate.encoded, NOW).await.unwrap();
    assert!(good.is_good());
    assert_eq!(good.body.purpose.as_deref(), Some("就业"));
    assert_eq!(good.body.valid_until.as_deref(), Some("2027-03-03"));
    // Ninety-one days on, it has expired.
    assert!(w.hall.verify(&certificate.encoded, NOW + 91 * DAY_MS).await.unwrap().expired);

    // A changed statement keeps the old signature: refused.
    let decoded = SignedCertificate::decode(&certificate.encoded).unwrap();
    let mut body = decoded.body.clone();
    body.holder_name = "王五".into();
    let signature = certificate.encoded.rsplit('.').next().unwrap();
    use base64::Engine;
    let forged = format!(
        "WZHC1.{}.{signature}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap())
    );
    let tampered = w.hall.verify(&forged, NOW).await.unwrap();
    assert!(!tampered.signature_valid && !tampered.issued_here && !tampered.is_good());

    w.hall
        .revoke(&certificate.id, "用途变更，重新开具", "officer:0001", NOW + 120_000)
        .await
        .unwrap();
    let revoked = w.hall.verify(&certificate.encoded, NOW + 130_000).await.unwrap();
    assert!(revoked.signature_valid && !revoked.is_good());
    assert_eq!(revoked.revoked.as_ref().map(|(_, why)| why.as_str()), Some("用途变更，重新开具"));
}

#[tokio::test]
async fn a_held_record_goes_to_an_officer_who_must_give_a_reason() {
    let w = world().await;
    let me = &w.people[11];
    let submitted = w
        .hall
        .submit("app-rec", "no_criminal_record", me, &Form::default(), NOW)
        .await
        .unwrap();
    let failed: Vec<_> = submitted.evidence.iter().filter(|e| !e.passed).collect();
    assert_eq!(failed.len(), 1);
    // The citizen-facing finding does not disclose the record.
    assert_eq!(failed[0].finding, "查询结果需人工核查");
    assert!(matches!(
        w.hall.decide("app-rec", "0001", true, None, NOW).await,
        Err(HallError::ReasonRequired)
    ));
    assert!(matches!(
        w.hall.decide("app-rec", "0001", false, Some("  "), NOW).await,
        Err(HallError::ReasonRequired)
    ));
    let rejected = w
        .hall
        .decide("app-rec", "0001", false, Some("存在违法犯罪记录，请到派出所窗口咨询"), NOW)
        .await
        .unwrap();
    assert_eq!(rejected.row.state, ApplicationState::Rejected);
    assert_eq!(rejected.row.reason.as_deref(), Some("存在违法犯罪记录，请到派出所窗口咨询"));
    assert!(w.hall.store().certificates_of("app-rec").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_newborn_is_registered_with_a_new_id_number() {
    let w = world().await;
    let me = &w.people[0];
    let prefill = w.hall.prefill("birth_registration", me).await.unwrap();
    assert_eq!(prefill.births.len(), 1);
    let form = Form {
        birth: Some(0),
        ..Form::default()
    };
    let application = w.hall.submit("app-birth", "birth_registration", me, &form, NOW).await.unwrap();
    assert_eq!(application.row.state, ApplicationState::Approved);
    let certificate = w.hall.store().certificates_of("app-birth").await.unwrap().remove(0);
    let body = SignedCertificate::decode(&certificate.encoded).unwrap().body;
    assert!(body.statements[0].contains(&prefill.births[0].child_name));
    // Registered once: the birth is no longer offered.
    assert!(w.hall.prefill("birth_registration", me).await.unwrap().births.is_empty());
}

#[tokio::test]
async fn kinship_and_insurance_are_certified_from_the_records() {
    let w = world().await;
    let me = &w.people[2];
    let prefill = w.hall.prefill("kinship", me).await.unwrap();
    let parent = prefill.relatives.iter().position(|r| r.relation == Kinship::Parent).unwrap();
    let form = Form {
        relative: Some(parent),
        ..Form::default()
    };
    let kinship = w.hall.submit("app-kin", "kinship", me, &form, NOW).await.unwrap();
    assert_eq!(kinship.row.state, ApplicationState::Approved);
    let body = SignedCertificate::decode(&w.hall.store().certificates_of("app-kin").await.unwrap()[0].encoded)
        .unwrap()
        .body;
    assert!(body.statements[0].contains("子女与父母"), "{:?}", body.statements);

    // Six months of insurance: the sixth citizen has four, so an officer looks.
    let short = w
        .hall
        .submit("app-ins", "insurance_record", &w.people[5], &Form::default(), NOW)
        .await
        .unwrap();
    assert_eq!(short.row.state, ApplicationState::InReview);
    let enough = w
        .hall
        .submit("app-ins2", "insurance_record", &w.people[0], &Form::default(), NOW)
        .await
        .unwrap();
    assert_eq!(enough.row.state, ApplicationState::Approved);
}

#[tokio::test]
async fn a_shareholder_change_completes_only_when_every_party_has_authenticated() {
    let w = world().await;
    let (applicant, other, newcomer) = (&w.people[2], &w.people[3], &w.people[4]);
    let prefill = w.hall.prefill("shareholder_change", applicant).await.unwrap();
    assert_eq!(prefill.companies.len(), 1);
    let company = &prefill.companies[0];
    let transferor = company
        .shareholders
        .iter()
        .position(|s| s.person.id_number == other.id_number)
        .unwrap();
    let form = Form {
        company: Some(0),
        transferor: Some(transferor),
        percent: Some(40),
        transferee_name: Some(newcomer.name.clone()),
        ..Form::default()
    };
    let submitted = w
        .hall
        .submit("app-share", "shareholder_change", applicant, &form, NOW)
        .await
        .unwrap();
    assert_eq!(submitted.row.state, ApplicationState::AwaitingParties);
    assert!(matches!(
        w.hall.decide("app-share", "0001", true, Some("x"), NOW).await,
        Err(HallError::AwaitingParties)
    ));
    // A stranger cannot step in as the new shareholder.
    assert!(matches!(
        w.hall.party_authenticated("app-share", &w.people[7], NOW).await,
        Err(HallError::NotAParty)
    ));
    let second = w.hall.party_authenticated("app-share", other, NOW + 1_000).await.unwrap();
    assert_eq!(second.row.state, ApplicationState::AwaitingParties, "two of three");
    let done = w.hall.party_authenticated("app-share", newcomer, NOW + 2_000).await.unwrap();
    assert_eq!(done.row.state, ApplicationState::Approved);
    let Answer::Companies(after) = w
        .connectors
        .ask(&Question::Shareholders {
            credit_code: company.credit_code.clone(),
        })
        .await
        .unwrap()
    else {
        panic!("company");
    };
    let holders: Vec<(String, u32)> = after[0]
        .shareholders
        .iter()
        .map(|s| (s.person.id_number.clone(), s.percent))
        .collect();
    assert_eq!(holders, vec![(applicant.id_number.clone(), 60), (newcomer.id_number.clone(), 40)]);
    assert!(matches!(
        w.hall.party_authenticated("app-share", other, NOW).await,
        Err(HallError::AlreadyDecided)
    ));
}

#[test]
fn errors_carry_no_personal_data() {
    let people = citizens();
    let errors = [
        HallError::NoSuchApplication,
        HallError::NotAParty,
        HallError::ReasonRequired,
        HallError::Form(FormError::NotOffered("a household member")),
    ];
    for error in errors {
        let text = error.to_string();
        for person in &people {
            assert!(!text.contains(&person.id_number) && !text.contains(&person.name));
        }
    }
}

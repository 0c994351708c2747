use wz_core::{IdentityStatus, NationalIdNumber};
use wz_service::ServiceError;
use wz_testkit::{generated_people, service_fixture};

#[tokio::test]
async fn seeded_people_can_be_found_and_opened() {
    let fixture = service_fixture(false).await;
    let people = generated_people(1, 20);
    fixture.services.registry.seed(&people, "test").await.unwrap();
    assert_eq!(fixture.services.registry.count().await.unwrap(), 20);
    let (record, status) = fixture.services.registry.find(&people[7].record.id_number).await.unwrap().unwrap();
    assert_eq!(record, people[7].record);
    assert_eq!(status, people[7].status);
}

#[tokio::test]
async fn registry_rows_hold_no_plaintext_personal_data() {
    let fixture = service_fixture(false).await;
    let people = generated_people(2, 5);
    fixture.services.registry.seed(&people, "test").await.unwrap();
    let lookup = fixture.services.context.keyring.sealer.lookup(&people[0].record.id_number);
    let row = fixture.services.context.store.find_identity(&lookup).await.unwrap().unwrap();
    let raw = String::from_utf8_lossy(&row.sealed);
    assert!(!raw.contains(people[0].record.id_number.expose()));
    assert!(!raw.contains(&people[0].record.name));
}

#[tokio::test]
async fn enrolment_needs_demo_mode_and_refuses_duplicates() {
    let person = generated_people(3, 1).remove(0).record;
    let production = service_fixture(false).await;
    assert!(matches!(
        production.services.registry.enrol(&person, "test").await,
        Err(ServiceError::DemoModeRequired)
    ));
    assert_eq!(production.services.registry.count().await.unwrap(), 0);

    let demo = service_fixture(true).await;
    demo.services.registry.enrol(&person, "test").await.unwrap();
    assert!(matches!(
        demo.services.registry.enrol(&person, "test").await,
        Err(ServiceError::IdentityExists)
    ));
    assert_eq!(demo.services.registry.count().await.unwrap(), 1);
}

#[tokio::test]
async fn inconsistent_record_is_refused_and_nothing_is_written() {
    let fixture = service_fixture(true).await;
    let mut person = generated_people(4, 1).remove(0).record;
    person.ethnicity = "火星".into();
    assert!(matches!(
        fixture.services.registry.enrol(&person, "test").await,
        Err(ServiceError::InvalidRecord(_))
    ));
    assert_eq!(fixture.services.context.store.list_audit(0, 10).await.unwrap().len(), 0);
}

#[tokio::test]
async fn status_changes_follow_the_lifecycle_with_history() {
    let fixture = service_fixture(false).await;
    let mut people = generated_people(5, 1);
    people[0].status = IdentityStatus::Valid;
    fixture.services.registry.seed(&people, "test").await.unwrap();
    let id = &people[0].record.id_number;
    let registry = &fixture.services.registry;
    registry
        .change_status(id, IdentityStatus::ReportedLost, "reported_by_holder", "operator")
        .await
        .unwrap();
    registry
        .change_status(id, IdentityStatus::Cancelled, "holder_deceased", "operator")
        .await
        .unwrap();
    let refused = registry.change_status(id, IdentityStatus::Valid, "found", "operator").await;
    assert!(matches!(refused, Err(ServiceError::InvalidStatusTransition { .. })));
    let history = registry.history(id).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.to).collect::<Vec<_>>(),
        vec![IdentityStatus::ReportedLost, IdentityStatus::Cancelled]
    );
    let unknown = NationalIdNumber::parse("11010519491231002X").unwrap();
    assert!(matches!(
        registry.change_status(&unknown, IdentityStatus::Expired, "x", "operator").await,
        Err(ServiceError::IdentityNotFound)
    ));
}

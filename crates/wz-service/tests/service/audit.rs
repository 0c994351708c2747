use wz_core::IdentityStatus;
use wz_testkit::{generated_people, service_fixture};

#[tokio::test]
async fn verify_reports_an_intact_chain_over_many_pages() {
    let fixture = service_fixture(false).await;
    for chunk in generated_people(21, 60).chunks(1) {
        fixture.services.registry.seed(chunk, "test").await.unwrap();
    }
    let report = fixture.services.audit.verify().await.unwrap();
    assert_eq!(report.entries_checked, 60);
    assert!(report.first_break.is_none());
}

#[tokio::test]
async fn every_status_change_is_in_the_chain() {
    let fixture = service_fixture(false).await;
    let mut people = generated_people(22, 1);
    people[0].status = IdentityStatus::Valid;
    fixture.services.registry.seed(&people, "test").await.unwrap();
    let id = &people[0].record.id_number;
    fixture
        .services
        .registry
        .change_status(id, IdentityStatus::ReportedLost, "reported_by_holder", "operator")
        .await
        .unwrap();
    let entries = fixture.services.context.store.list_audit(0, 10).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        vec!["registry.seeded", "registry.status_changed"]
    );
    assert_eq!(
        entries[1].subject.as_deref(),
        Some(fixture.services.context.keyring.sealer.lookup(id).short().as_str())
    );
}

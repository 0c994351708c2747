//! The store's behaviour on SQLite, and on PostgreSQL when
//! `WZ_TEST_DATABASE_URL` names a server (each run in a fresh schema).

use super::*;

/// The stores to test: a fresh SQLite file, and a fresh PostgreSQL schema
/// when a server is configured.
async fn stores() -> Vec<(HallStore, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = HallStore::open(&format!("sqlite://{}", dir.path().join("hall.db").display()))
        .await
        .unwrap();
    let mut out = vec![(sqlite, Some(dir))];
    match std::env::var("WZ_TEST_DATABASE_URL") {
        Ok(url) => {
            let schema = format!("wz_test_hall_{}", uuid::Uuid::new_v4().simple());
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
            admin.close().await;
            let separator = if url.contains('?') { '&' } else { '?' };
            let scoped = format!("{url}{separator}options=-c%20search_path%3D{schema}");
            out.push((HallStore::open(&scoped).await.unwrap(), None));
        }
        Err(_) => eprintln!("SKIPPED on PostgreSQL: WZ_TEST_DATABASE_URL is not set"),
    }
    out
}

fn new_application(id: &str, at: i64) -> ApplicationRow {
    ApplicationRow {
        id: id.into(),
        service: "no_criminal_record".into(),
        applicant_id_number: "330302199001011234".into(),
        applicant_name: "张三".into(),
        particulars: "{}".into(),
        evidence: "[]".into(),
        state: ApplicationState::InReview,
        reason: None,
        registry_reference: None,
        submitted_at: at,
        decided_at: None,
        decided_by: None,
        version: 1,
    }
}

fn note(at: i64, action: &str, application: &str) -> AuditDraft {
    AuditDraft {
        at,
        actor: "citizen".into(),
        action: action.into(),
        application_id: Some(application.into()),
        detail: String::new(),
    }
}

fn decided(state: ApplicationState) -> ApplicationUpdate {
    ApplicationUpdate {
        particulars: "{}".into(),
        evidence: "[]".into(),
        state,
        reason: Some("材料齐全".into()),
        registry_reference: None,
        decided_at: Some(2_000),
        decided_by: Some("officer:1".into()),
    }
}

#[tokio::test]
async fn applications_are_decided_once_and_the_trail_holds() {
    for (store, _dir) in stores().await {
        store
            .insert_application(&new_application("a1", 1_000), &[note(1_000, "application.submitted", "a1")])
            .await
            .unwrap();
        store
            .insert_application(&new_application("a2", 1_500), &[note(1_500, "application.submitted", "a2")])
            .await
            .unwrap();
        let queue = store.applications_in(ApplicationState::InReview, 10).await.unwrap();
        assert_eq!(queue.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a1", "a2"]);
        let first = store.application("a1").await.unwrap().unwrap();
        assert_eq!(first.version, 1);

        let certificate = CertificateRow {
            id: "c1".into(),
            application_id: "a1".into(),
            department: "criminal_records".into(),
            encoded: "WZHC1.x.y".into(),
            issued_at: 2_000,
            revoked_at: None,
            revoke_reason: None,
        };
        store
            .update_application(
                "a1",
                1,
                &decided(ApplicationState::Approved),
                Some(&certificate),
                &[note(2_000, "application.approved", "a1")],
            )
            .await
            .unwrap();
        // A second decision on the version first read is refused and changes nothing.
        let again = store
            .update_application(
                "a1",
                1,
                &decided(ApplicationState::Rejected),
                None,
                &[note(2_100, "application.rejected", "a1")],
            )
            .await;
        assert!(matches!(again, Err(HallStoreError::Conflict)));
        let after = store.application("a1").await.unwrap().unwrap();
        assert_eq!((after.state, after.version), (ApplicationState::Approved, 2));
        assert!(matches!(
            store
                .update_application("nope", 1, &decided(ApplicationState::Approved), None, &[])
                .await,
            Err(HallStoreError::NotFound)
        ));

        assert_eq!(store.certificates_of("a1").await.unwrap(), vec![certificate.clone()]);
        store
            .revoke_certificate("c1", "信息有误", 3_000, &[note(3_000, "certificate.revoked", "a1")])
            .await
            .unwrap();
        assert!(matches!(
            store.revoke_certificate("c1", "again", 3_100, &[]).await,
            Err(HallStoreError::Conflict)
        ));
        assert!(matches!(
            store.revoke_certificate("c9", "none", 3_100, &[]).await,
            Err(HallStoreError::NotFound)
        ));
        let revoked = store.certificate("c1").await.unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(3_000));

        let officer = OfficerRow {
            id_number: "330302198001011234".into(),
            name: "李警官".into(),
            added_at: 10,
            active: true,
        };
        store.add_officer(&officer, &[]).await.unwrap();
        assert_eq!(store.active_officer(&officer.id_number).await.unwrap(), Some(officer.clone()));
        store
            .add_officer(
                &OfficerRow {
                    active: false,
                    ..officer.clone()
                },
                &[],
            )
            .await
            .unwrap();
        assert_eq!(store.active_officer(&officer.id_number).await.unwrap(), None);

        // Two submissions, one approval, one revocation: four entries, linked.
        assert_eq!(store.verify_audit().await.unwrap(), Ok(4));
        assert_eq!(store.audit_of("a1").await.unwrap().len(), 3);
        assert_eq!(store.applications_of("330302199001011234").await.unwrap().len(), 2);
        store.close().await;
    }
}

#[tokio::test]
async fn a_changed_audit_entry_breaks_the_chain() {
    for (store, _dir) in stores().await {
        for (i, id) in ["a1", "a2", "a3"].iter().enumerate() {
            store
                .insert_application(&new_application(id, i as i64), &[note(i as i64, "application.submitted", id)])
                .await
                .unwrap();
        }
        assert_eq!(store.verify_audit().await.unwrap(), Ok(3));
        sqlx::query("UPDATE hall_audit SET detail = 'edited' WHERE seq = 2")
            .execute(&store.pool)
            .await
            .unwrap();
        let broken = store.verify_audit().await.unwrap().unwrap_err();
        assert_eq!(broken.seq, 2);
        store.close().await;
    }
}

#[tokio::test]
async fn a_url_of_another_database_is_refused() {
    assert!(matches!(HallStore::open("mysql://x").await, Err(HallStoreError::UnsupportedUrl)));
    assert!(matches!(HallStore::open("sqlite://").await, Err(HallStoreError::UnsupportedUrl)));
}

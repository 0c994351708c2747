use wz_proto::ChangeStatusRequest;

use crate::{audit_len, server_with_people};

fn request(id_number: &str, status: &str, reason: &str) -> ChangeStatusRequest {
    ChangeStatusRequest {
        id_number: id_number.into(),
        status: status.into(),
        reason: reason.into(),
    }
}

#[tokio::test]
async fn operator_token_is_required() {
    let (server, people) = server_with_people(1).await;
    let change = request(people[0].id_number.expose(), "reported_lost", "reported_by_holder");
    assert_eq!(server.client.change_status(&change).await.unwrap_err().code(), Some("unauthorized"));
    let wrong = wz_client::Client::new(&server.url).with_admin_token("not-the-token");
    assert_eq!(wrong.change_status(&change).await.unwrap_err().code(), Some("unauthorized"));
    assert_eq!(wrong.verify_audit().await.unwrap_err().code(), Some("unauthorized"));
    let (_, status) = server.opened.services.registry.find(&people[0].id_number).await.unwrap().unwrap();
    assert_eq!(status, wz_core::IdentityStatus::Valid);
}

#[tokio::test]
async fn each_bad_input_gets_its_own_code_and_changes_nothing() {
    let (server, people) = server_with_people(1).await;
    let id = people[0].id_number.expose().to_owned();
    let before = audit_len(&server).await;
    // Same region and birth date as a valid number, each broken one way.
    let mut check = id.clone().into_bytes();
    check[17] = if check[17] == b'1' { b'2' } else { b'1' };
    let cases = [
        (request("4401", "reported_lost", "lost"), "id_number_wrong_length"),
        (
            request(&format!("{}A", &id[..17]), "reported_lost", "lost"),
            "id_number_invalid_character",
        ),
        (
            request(&format!("990000{}", &id[6..]), "reported_lost", "lost"),
            "id_number_unknown_region",
        ),
        (
            request(&format!("{}19991332{}", &id[..6], &id[14..]), "reported_lost", "lost"),
            "id_number_invalid_birth_date",
        ),
        (
            request(&String::from_utf8(check).unwrap(), "reported_lost", "lost"),
            "id_number_check_digit",
        ),
        (request("11010519491231002X", "reported_lost", "lost"), "identity_not_found"),
        (request(&id, "misplaced", "lost"), "invalid_request"),
        (request(&id, "valid", "lost"), "invalid_status_transition"),
        (request(&id, "reported_lost", "Lost near 人民路"), "invalid_identity_record"),
    ];
    for (change, expected) in cases {
        let error = server.admin.change_status(&change).await.unwrap_err();
        assert_eq!(error.code(), Some(expected), "{change:?}");
    }
    assert_eq!(audit_len(&server).await, before);
    assert!(server
        .opened
        .services
        .registry
        .history(&people[0].id_number)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn audit_verification_names_the_first_tampered_entry() {
    let (server, people) = server_with_people(2).await;
    for person in &people {
        server
            .admin
            .change_status(&request(person.id_number.expose(), "reported_lost", "reported_by_holder"))
            .await
            .unwrap();
    }
    let report = server.admin.verify_audit().await.unwrap();
    assert!(report.intact);
    assert_eq!(report.entries_checked, 3);

    // An attacker with database access drops the append-only guard and edits entry 2.
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", server.data_dir().join("wz.db").display()))
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_update").execute(&db).await.unwrap();
    sqlx::query("UPDATE audit_log SET details = replace(details, 'reported_by_holder', 'renewed') WHERE seq = 2")
        .execute(&db)
        .await
        .unwrap();
    let report = server.admin.verify_audit().await.unwrap();
    assert!(!report.intact);
    assert_eq!(report.first_broken_seq, Some(2));
    assert_eq!(report.entries_checked, 1);
}

//! Instances sharing a database must share their keys: the first start
//! records the keys' check values in the database, a later start with the
//! same keys directory opens it, and one with other keys refuses with an
//! error that names the differing keys (and no key material), changing
//! nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use wz_server::{Config, ConfigOverrides, ServerError};

fn config(data_dir: &std::path::Path, database: &std::path::Path) -> Config {
    Config::load(
        None,
        &ConfigOverrides {
            data_dir: Some(data_dir.to_path_buf()),
            database_url: Some(format!("sqlite://{}", database.display())),
            ..ConfigOverrides::default()
        },
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_with_other_keys_refuses_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("shared.db");
    let first = config(&dir.path().join("first"), &database);
    let opened = wz_server::open_services(&first).await.unwrap();
    let entries = opened.services.context.store.list_audit(0, 1000).await.unwrap().len();
    drop(opened);
    // The same keys directory again: fine.
    wz_server::open_services(&first).await.unwrap();

    // A second instance given fresh keys instead of the first's.
    let second = config(&dir.path().join("second"), &database);
    let refused = match wz_server::open_services(&second).await {
        Ok(_) => panic!("other keys must be refused"),
        Err(error) => error,
    };
    assert!(matches!(refused, ServerError::KeysMismatch { .. }), "{refused}");
    let message = refused.to_string();
    assert!(message.contains("platform-sm2") && message.contains("registry-data"), "{message}");
    assert!(message.contains("docs/cluster.md"), "{message}");
    for key_file in ["registry-data.key", "registry-lookup.key", "password-pepper.key"] {
        let secret = std::fs::read_to_string(dir.path().join("second/keys").join(key_file)).unwrap();
        assert!(!message.contains(secret.trim()), "no key material in the error");
    }
    let reopened = wz_server::open_services(&first).await.unwrap();
    assert_eq!(
        reopened.services.context.store.list_audit(0, 1000).await.unwrap().len(),
        entries,
        "the refused start wrote nothing"
    );
}

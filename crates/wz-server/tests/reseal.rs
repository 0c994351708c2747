//! A registry written by the previous release (every row sealed whole,
//! portrait inside) opens with this one: the migration adds the portrait
//! column, the start reseals every row into attributes and portrait, no
//! record changes, the audit chain stays intact, and a second start has
//! nothing left to do.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::path::{Path, PathBuf};

use wz_core::NationalIdNumber;
use wz_server::{Config, ConfigOverrides};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "README.md" {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/before-portraits-apart")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_previous_release_registry_is_resealed_in_place_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_dir(&fixture(), &data);
    let config = Config::load(
        None,
        &ConfigOverrides {
            data_dir: Some(data.clone()),
            database_url: Some(format!("sqlite://{}", data.join("wz.db").display())),
            demo: Some(true),
            ..Default::default()
        },
    )
    .unwrap();
    let portrait = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/faces/dev/Colin_Powell/1.jpg")).unwrap();
    let enrolled = NationalIdNumber::parse("11010519491231002X").unwrap();

    let opened = wz_server::open_services(&config).await.unwrap();
    let services = &opened.services;
    assert_eq!(services.registry.count().await.unwrap(), 4, "every row is still there");
    let (record, _) = services.registry.find(&enrolled).await.unwrap().unwrap();
    assert_eq!(
        record.portrait.as_deref(),
        Some(portrait.as_slice()),
        "the portrait survives the reseal"
    );
    let store = &services.context.store;
    assert!(
        store.whole_sealed_identities(10).await.unwrap().is_empty(),
        "no row is left sealed whole"
    );
    let lookup = services.context.keyring.sealer.lookup(&enrolled);
    let row = store.find_identity(&lookup).await.unwrap().unwrap();
    let attributes = services.context.keyring.sealer.open(&lookup, &row.sealed).unwrap();
    assert_eq!(attributes.portrait, None, "the attributes part no longer holds the JPEG");
    assert!(store.find_portrait(&lookup).await.unwrap().is_some());
    let report = services.audit.verify().await.unwrap();
    assert!(report.first_break.is_none(), "{:?}", report.first_break);
    let entries = store.list_audit(0, 100).await.unwrap();
    assert_eq!(entries.last().unwrap().action, "registry.resealed");
    drop(opened);

    // A second start finds nothing to reseal and writes nothing.
    let again = wz_server::open_services(&config).await.unwrap();
    assert_eq!(again.services.context.store.list_audit(0, 100).await.unwrap().len(), entries.len());
    let (record_again, _) = again.services.registry.find(&enrolled).await.unwrap().unwrap();
    assert_eq!(record_again, record);
}

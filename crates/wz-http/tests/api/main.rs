//! End-to-end API tests: the real server on a random port, spoken to over
//! HTTP with the typed client (and raw reqwest for malformed requests).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

mod admin;
mod cards;
mod cluster;
mod credentials;
mod hall;
mod hardening;
mod keys;
mod oidc;
mod privacy;
mod relying_parties;
mod sessions;
mod speech;
mod system;
mod web;

use wz_core::{IdentityRecord, IdentityStatus, Validity};
use wz_testkit::{generated_people, spawn_server, TestServer, TEST_NOW};

/// A server whose registry holds `n` people with valid cards.
pub async fn server_with_people(n: usize) -> (TestServer, Vec<IdentityRecord>) {
    let server = spawn_server().await;
    let mut people = generated_people(31, n);
    let today = server.opened.services.context.clock.now().date().max(TEST_NOW.date());
    for person in &mut people {
        person.status = IdentityStatus::Valid;
        person.record.validity = Validity::by_age_rule(person.record.birth_date(), today);
    }
    server.opened.services.registry.seed(&people, "test").await.unwrap();
    (server, people.into_iter().map(|p| p.record).collect())
}

/// Number of audit entries.
pub async fn audit_len(server: &TestServer) -> usize {
    server.opened.services.context.store.list_audit(0, 100_000).await.unwrap().len()
}

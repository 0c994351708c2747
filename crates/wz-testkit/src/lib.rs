//! Test fixtures for WangZheng: a settable clock, seeded randomness,
//! temporary SQLite stores, generated people, service fixtures and
//! `spawn_server()` for end-to-end tests over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: failing loudly is the point

mod postgres;
mod server;
mod signer;

pub use postgres::fresh_schema_url;

pub use server::{spawn_demo_server, spawn_server, spawn_server_with, TestServer};
pub use signer::{fresh_key, impostor, rp_signer, terminal_signer, wallet};
pub use wz_client::KeySigner;

use std::sync::{Arc, Mutex};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tempfile::TempDir;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use wz_core::{PersonGenerator, PopulationSpec};
use wz_service::{Clock, Entropy, Keyring, SeedPerson, ServiceContext, Services};
use wz_store::Store;
use wz_store_sqlite::SqliteConfig;

/// The fixed "now" of tests.
pub const TEST_NOW: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FakeClock(Mutex<OffsetDateTime>);

impl FakeClock {
    /// A clock at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// Deterministic randomness for reproducible tests.
#[derive(Debug)]
pub struct SeededEntropy(Mutex<ChaCha8Rng>);

impl SeededEntropy {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(ChaCha8Rng::seed_from_u64(seed)))
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buffer: &mut [u8]) {
        self.0.lock().unwrap().fill_bytes(buffer);
    }
}

/// A liveness verdict set by the test, standing in for the landmark
/// geometry check where no live person can be filmed (the geometry itself
/// is tested in `wz-face`). Frames still go through the real face engine.
#[derive(Debug)]
pub struct ScriptedLiveness(Mutex<Verdict>);

/// What [`ScriptedLiveness`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Pass (after the checks that need no live person).
    Pass,
    /// Fail with this reason.
    Fail(wz_face::LivenessFailure),
    /// Run the real landmark-geometry check.
    Real,
}

impl ScriptedLiveness {
    /// Every sequence passes.
    pub fn passing() -> Self {
        Self(Mutex::new(Verdict::Pass))
    }

    /// From now on, answer `verdict`.
    pub fn set(&self, verdict: Verdict) {
        *self.0.lock().unwrap() = verdict;
    }
}

impl wz_service::LivenessCheck for ScriptedLiveness {
    fn check(
        &self,
        challenge: &wz_face::LivenessChallenge,
        nonce: &[u8; 16],
        frames: &[wz_face::FrameObservation],
        now_ms: i64,
    ) -> Result<(), wz_face::LivenessFailure> {
        let verdict = *self.0.lock().unwrap();
        if verdict == Verdict::Real {
            return wz_face::verify_liveness(challenge, nonce, frames, now_ms);
        }
        // The parts that need no live person are still checked for real.
        if nonce != &challenge.nonce {
            return Err(wz_face::LivenessFailure::NonceMismatch);
        }
        if now_ms > challenge.expires_at_ms {
            return Err(wz_face::LivenessFailure::Expired);
        }
        if frames
            .iter()
            .any(|f| !f.descriptor.matches(&frames[0].descriptor, wz_face::Strictness::Standard))
        {
            return Err(wz_face::LivenessFailure::DifferentFaces);
        }
        match verdict {
            Verdict::Fail(failure) => Err(failure),
            Verdict::Pass | Verdict::Real => Ok(()),
        }
    }
}

/// A migrated SQLite store in a temporary directory (kept alive by the
/// returned guard).
pub async fn temp_sqlite_store() -> (TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let config = SqliteConfig {
        path: dir.path().join("wz.db"),
        read_connections: 2,
    };
    let store = wz_store_sqlite::open(&config).await.unwrap();
    (dir, Arc::new(store))
}

/// `n` generated people (deterministic for a seed), as of [`TEST_NOW`].
pub fn generated_people(seed: u64, n: usize) -> Vec<SeedPerson> {
    let mut generator = PersonGenerator::new(PopulationSpec {
        seed,
        today: TEST_NOW.date(),
    });
    (0..n)
        .map(|_| {
            let (record, status) = generator.next_person();
            SeedPerson { record, status }
        })
        .collect()
}

/// Services over a temporary SQLite store with a fake clock.
pub struct ServiceFixture {
    /// The services under test.
    pub services: Services,
    /// The clock they read.
    pub clock: Arc<FakeClock>,
    _dir: TempDir,
}

/// The fetched speech model (`scripts/fetch-models`).
pub fn speech_model_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/whisper-tiny.en")
}

/// Builds a [`ServiceFixture`]; `demo` enables self-enrolment.
pub async fn service_fixture(demo: bool) -> ServiceFixture {
    let (dir, store) = temp_sqlite_store().await;
    let entropy = Arc::new(SeededEntropy::new(42));
    let clock = Arc::new(FakeClock::new(TEST_NOW));
    let keyring = Arc::new(Keyring::generate(entropy.as_ref()).unwrap());
    let context = ServiceContext {
        store,
        keyring,
        clock: clock.clone(),
        entropy,
        demo,
        face: wz_service::FaceService::lazy(2),
        liveness: Arc::new(ScriptedLiveness::passing()),
        speech: wz_service::SpeechService::lazy(speech_model_dir(), 2),
        policy: wz_service::CredentialPolicy::default(),
        webhooks: Arc::new(wz_core::WebhookPolicy::default()),
    };
    ServiceFixture {
        services: Services::new(context),
        clock,
        _dir: dir,
    }
}

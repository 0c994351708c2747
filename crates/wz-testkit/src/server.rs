//! `spawn_server()`: the real server on `127.0.0.1:0` over a temporary data
//! directory, reached through the typed client.

use std::path::PathBuf;

use tempfile::TempDir;
use wz_client::Client;
use wz_server::{Config, OpenedServices, RunningServer};

/// A running test server.
pub struct TestServer {
    /// Client without the operator token.
    pub client: Client,
    /// Client with the operator token.
    pub admin: Client,
    /// Base URL.
    pub url: String,
    /// The configuration it runs with.
    pub config: Config,
    /// Its services (for arranging state directly).
    pub opened: OpenedServices,
    /// The scripted liveness verdict the server uses (see [`crate::ScriptedLiveness`]).
    pub liveness: std::sync::Arc<crate::ScriptedLiveness>,
    server: Option<RunningServer>,
    _dir: TempDir,
}

impl TestServer {
    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    /// Drains as on SIGTERM: `/readyz` answers 503 for the configured
    /// drain period while requests are still served.
    pub async fn drain(&self) {
        if let Some(server) = &self.server {
            server.drain().await;
        }
    }

    /// Shuts the server down gracefully.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.unwrap();
        }
    }
}

/// Starts a server with default test settings (demo mode off).
pub async fn spawn_server() -> TestServer {
    spawn_server_with(|_| {}).await
}

/// Starts a demo server as `wz serve --demo` does (seeded registry of
/// `people`, demo relying parties, `/v1/demo/*` routes), with portraits
/// from `../shared/faces/dev` when that folder exists.
pub async fn spawn_demo_server(people: usize) -> (TestServer, wz_server::DemoSetup) {
    let mut setup = None;
    let server = spawn(
        |config| {
            config.demo = true;
            config.demo_people = people;
            config.demo_faces_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/faces/dev");
        },
        Some(&mut setup),
    )
    .await;
    (server, setup.unwrap())
}

/// Starts a server after letting `adjust` change its configuration.
pub async fn spawn_server_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    spawn(adjust, None).await
}

async fn spawn(adjust: impl FnOnce(&mut Config), demo: Option<&mut Option<wz_server::DemoSetup>>) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.server.shutdown_grace_seconds = 5;
    config.credentials.speech_model_dir = crate::speech_model_dir();
    adjust(&mut config);
    let liveness = std::sync::Arc::new(crate::ScriptedLiveness::passing());
    let opened = wz_server::open_services_with(&config, liveness.clone()).await.unwrap();
    let server = match demo {
        Some(out) => {
            let (server, setup) = wz_server::start_demo(&config, &opened).await.unwrap();
            *out = Some(setup);
            server
        }
        None => wz_server::start(&config, &opened).await.unwrap(),
    };
    let url = server.url();
    TestServer {
        client: Client::new(&url),
        admin: Client::new(&url).with_admin_token(&opened.admin_token),
        url,
        config,
        opened,
        liveness,
        server: Some(server),
        _dir: dir,
    }
}

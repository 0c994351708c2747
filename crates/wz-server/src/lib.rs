//! Server assembly for WangZheng: loads configuration (defaults → TOML →
//! `WZ_*` environment → flags), loads or creates the key files, opens the
//! chosen store, wires the services and the HTTP router, and serves with
//! graceful shutdown. A library, so tests and the CLI start the same server.
//!
//! The only crate that reads configuration and key files.

mod app;
mod config;
mod demo;
mod demo_api;
mod error;
mod housekeeping;
mod keystore;
mod telemetry;
mod webhooks;

pub use app::{
    bind, open_services, open_services_in, open_services_with, public_url, require_registry, serve, start, start_on, OpenMode,
    OpenedServices, RunningServer,
};
pub use config::{
    data_dir_origin, default_data_dir, default_faces_dir, Config, ConfigOverrides, CredentialsConfig, DemoLiveness, LogConfig, LogFormat,
    ServerConfig,
};
pub use demo::{demo_portraits, face_set_images, seed_demo, DemoCitizen};
pub use demo_api::{point_demo_hall, point_demo_website, start_demo, start_demo_on, DemoParty, DemoSetup};
pub use error::ServerError;
pub use keystore::{load_or_create_keys, write_owner_only};
pub use telemetry::init_tracing;

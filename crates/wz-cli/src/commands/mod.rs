//! One module per top-level command.

pub mod audit;
pub mod bench;
pub mod bench_crypto;
pub mod bench_limits;
pub mod bench_oidc;
pub mod bench_phase;
pub mod bench_qr;
pub mod bench_registry;
pub mod bench_session;
pub mod card;
pub mod card_file;
pub mod demo;
pub mod demo_website;
pub mod face;
pub mod face_detectors;
pub mod face_liveness;
pub mod face_pad;
pub mod hall;
pub mod qr;
pub mod qr_image;
pub mod registry;
pub mod rp;
pub mod rp_credentials;
pub mod seed;
pub mod serve;
pub mod speech;
pub mod terminal;
pub mod wallet;
pub mod wallet_file;

use wz_client::Client;

use crate::Cli;

/// Default server URL for commands that speak HTTP.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// A client with the operator token from `--admin-token`, `WZ_ADMIN_TOKEN`,
/// or `<data_dir>/keys/admin.token`.
pub fn admin_client(cli: &Cli, server: &str, token: Option<&str>) -> anyhow::Result<Client> {
    let token = match token {
        Some(token) => token.to_owned(),
        None => {
            let config = cli.config(None, None)?;
            cli.announce_data_dir(&config);
            let path = config.data_dir.join("keys").join("admin.token");
            std::fs::read_to_string(&path).map_err(|e| {
                let why = if e.kind() == std::io::ErrorKind::NotFound { "missing".to_owned() } else { e.to_string() };
                anyhow::anyhow!(
                    "no operator token: {} is {why} ({}); pass --data-dir with the server's data directory, or --admin-token (WZ_ADMIN_TOKEN)",
                    path.display(),
                    wz_server::data_dir_origin(&cli.overrides(None, None))
                )
            })?
        }
    };
    Ok(Client::new(server).with_admin_token(token.trim()))
}

/// Unix milliseconds as an RFC 3339 UTC time, for people.
pub fn when(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

//! One module per top-level command.

pub mod audit;
pub mod bench;
pub mod bench_crypto;
pub mod bench_qr;
pub mod bench_session;
pub mod card;
pub mod face;
pub mod face_detectors;
pub mod qr;
pub mod qr_image;
pub mod registry;
pub mod rp;
pub mod seed;
pub mod serve;
pub mod terminal;
pub mod wallet;
pub mod wallet_file;

use std::path::Path;

use wz_client::Client;

/// Default server URL for commands that speak HTTP.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// A client with the operator token from `--admin-token`, `WZ_ADMIN_TOKEN`,
/// or `<data_dir>/keys/admin.token`.
pub fn admin_client(server: &str, token: Option<&str>, data_dir: &Path) -> anyhow::Result<Client> {
    let token = match token {
        Some(token) => token.to_owned(),
        None => std::fs::read_to_string(data_dir.join("keys/admin.token"))
            .map_err(|e| anyhow::anyhow!("no --admin-token given and {}/keys/admin.token unreadable: {e}", data_dir.display()))?,
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

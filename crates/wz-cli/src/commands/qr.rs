//! `wz qr verify`: verify a wallet's dynamic QR code (二维码验码).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use wz_client::Client;
use wz_proto::QrVerifyRequest;

use super::{qr_image, DEFAULT_SERVER};

#[derive(Subcommand)]
pub enum QrCommand {
    /// Verify a code given as text or as a picture.
    Verify {
        /// The code's text (`WZQR1:…`).
        #[arg(conflicts_with = "png")]
        code: Option<String>,
        /// A picture of the code.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Server URL.
        #[arg(long, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
        server: String,
        /// The verifying relying party's client id (mode `credential` or
        /// `qr_verify`): only a relying party may spend a code.
        #[arg(long = "rp-id", env = "WZ_RP_ID")]
        rp_id: Option<String>,
        /// Its client secret.
        #[arg(long = "rp-secret", env = "WZ_RP_SECRET", hide_env_values = true)]
        rp_secret: Option<String>,
        /// Or its credentials file from `wz rp register --save FILE`.
        #[arg(long = "rp", env = "WZ_RP_FILE")]
        rp_file: Option<PathBuf>,
    },
}

pub async fn run(command: &QrCommand) -> anyhow::Result<ExitCode> {
    let QrCommand::Verify {
        code,
        png,
        server,
        rp_id,
        rp_secret,
        rp_file,
    } = command;
    let (rp_id, rp_secret) = super::rp_credentials::resolve(rp_id.as_deref(), rp_secret.as_deref(), rp_file.as_deref())?;
    let code = match (code, png) {
        (Some(code), _) => code.clone(),
        (None, Some(png)) => qr_image::scan(png, std::time::Duration::from_secs(60)).await?,
        (None, None) => anyhow::bail!("give the code's text or --png FILE"),
    };
    match Client::new(server).verify_qr((&rp_id, &rp_secret), &QrVerifyRequest { code }).await {
        Ok(verified) => {
            println!(
                "{}: {} credential, holder {} (your pairwise subject), valid until {}",
                verified.result,
                verified.level,
                verified.subject,
                super::when(verified.credential_expires_at_ms)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!("refused: {error}");
            Ok(ExitCode::from(2))
        }
    }
}

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
    },
}

pub async fn run(command: &QrCommand) -> anyhow::Result<ExitCode> {
    let QrCommand::Verify { code, png, server } = command;
    let code = match (code, png) {
        (Some(code), _) => code.clone(),
        (None, Some(png)) => qr_image::read(png)?,
        (None, None) => anyhow::bail!("give the code's text or --png FILE"),
    };
    match Client::new(server).verify_qr(&QrVerifyRequest { code }).await {
        Ok(verified) => {
            println!(
                "{}: {} credential {} (holder {}), valid until {}",
                verified.result,
                verified.level,
                verified.serial,
                verified.credential_number,
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

//! `wz card issue` (offline, holds the authority key) and `wz card read`
//! (a reader: challenge from the platform, chip answer, platform check).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use wz_client::Client;
use wz_core::{CardChallenge, NationalIdNumber};
use wz_proto::ReadCardRequest;

use crate::Cli;

#[derive(Subcommand)]
pub enum CardCommand {
    /// Write a card file for a registered person (offline operator task).
    Issue {
        /// ID number of the holder.
        #[arg(long)]
        id_number: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Read a card file: verify it and check its registry status via the server.
    Read {
        /// The card file.
        file: PathBuf,
        /// Server URL.
        #[arg(long, env = "WZ_SERVER_URL", default_value = super::DEFAULT_SERVER)]
        server: String,
    },
}

pub async fn run(cli: &Cli, command: &CardCommand) -> anyhow::Result<ExitCode> {
    match command {
        CardCommand::Issue { id_number, out } => {
            let id_number = NationalIdNumber::parse(id_number).map_err(|e| anyhow::anyhow!("invalid ID number: {e}"))?;
            let (_, opened) = cli.open_existing(None).await?;
            let card = opened
                .services
                .cards
                .issue(&id_number, "cli")
                .await
                .map_err(|e| anyhow::anyhow!("{e} ({})", e.result_code().as_str()))?;
            // The card file holds the chip's secret key and the holder's record.
            wz_server::write_owner_only(out, card.to_json().as_bytes()).with_context(|| format!("writing {}", out.display()))?;
            println!("card {} written to {}", card.chip.card_serial.as_str(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        CardCommand::Read { file, server } => {
            let card = super::card_file::read(file)?;
            let client = Client::new(server);
            let challenge = client.card_challenge().await?;
            let challenge = CardChallenge {
                nonce: challenge.nonce,
                expires_at: challenge.expires_at,
                mac: challenge.mac,
            };
            let presentation = card.present(challenge).map_err(|e| anyhow::anyhow!("{e}"))?;
            let request = ReadCardRequest {
                presentation: serde_json::to_value(&presentation)?,
            };
            match client.read_card(&request).await {
                Ok(result) => {
                    println!(
                        "{}: card {} of {} ({}), valid {}, registry status {}",
                        result.result, result.card_serial, result.masked_name, result.masked_id_number, result.validity, result.status
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    println!("refused: {error}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

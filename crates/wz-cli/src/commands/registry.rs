//! `wz registry ...`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use wz_core::{CardSerial, IdentityRecord, NationalIdNumber, Validity};
use wz_proto::ChangeStatusRequest;

use crate::Cli;

/// Largest portrait accepted for enrolment.
const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Enrol a person with their own photo (demo mode only; offline).
    Enrol {
        /// Full name.
        #[arg(long)]
        name: String,
        /// 18-character ID number.
        #[arg(long)]
        id_number: String,
        /// Registered address.
        #[arg(long)]
        address: String,
        /// Ethnic group.
        #[arg(long, default_value = "汉")]
        ethnicity: String,
        /// Portrait, JPEG or PNG.
        #[arg(long)]
        photo: PathBuf,
        /// Allow enrolment (demo mode) for this command.
        #[arg(long)]
        demo: bool,
    },
    /// Change a card's registry status through a running server (operator token).
    SetStatus {
        /// ID number of the holder.
        #[arg(long)]
        id_number: String,
        /// The new status.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(wz_core::STATUS_NAMES))]
        status: String,
        /// Why: a reason code from the closed list.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(wz_core::STATUS_REASONS))]
        reason: String,
        /// Server URL.
        #[arg(long, env = "WZ_SERVER_URL", default_value = super::DEFAULT_SERVER)]
        server: String,
        /// Operator token (default: <data_dir>/keys/admin.token).
        #[arg(long, env = "WZ_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
    },
}

fn read_photo(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    anyhow::ensure!(bytes.len() <= MAX_PHOTO_BYTES, "photo is larger than 5 MiB");
    let is_jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
    let is_png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    anyhow::ensure!(is_jpeg || is_png, "photo must be a JPEG or PNG file");
    Ok(bytes)
}

pub async fn run(cli: &Cli, command: &RegistryCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegistryCommand::Enrol {
            name,
            id_number,
            address,
            ethnicity,
            photo,
            demo,
        } => {
            let id_number = NationalIdNumber::parse(id_number).map_err(|e| anyhow::anyhow!("invalid ID number: {e}"))?;
            let portrait = read_photo(photo)?;
            let (_, opened) = cli.open_existing(demo.then_some(true)).await?;
            let services = &opened.services;
            let today = services.context.clock.now().date();
            let mut serial = [0u8; 8];
            services.context.entropy.fill(&mut serial);
            let region = id_number.region().context("region code")?;
            let record = IdentityRecord {
                name: name.clone(),
                sex: id_number.sex(),
                ethnicity: ethnicity.clone(),
                address: address.clone(),
                issuing_authority: region.issuing_authority(),
                validity: Validity::by_age_rule(id_number.birth_date(), today),
                card_serial: CardSerial::from_number(u64::from_le_bytes(serial)),
                portrait: Some(portrait),
                id_number: id_number.clone(),
            };
            services
                .registry
                .enrol(&record, "cli")
                .await
                .map_err(|e| anyhow::anyhow!("{} ({})", e, e.result_code().as_str()))?;
            println!(
                "enrolled {} ({}), card serial {}, valid {}",
                wz_core::mask_name(name),
                id_number.masked(),
                record.card_serial.as_str(),
                record.validity.printed()
            );
            Ok(ExitCode::SUCCESS)
        }
        RegistryCommand::SetStatus {
            id_number,
            status,
            reason,
            server,
            admin_token,
        } => {
            let client = super::admin_client(cli, server, admin_token.as_deref())?;
            let request = ChangeStatusRequest {
                id_number: id_number.clone(),
                status: status.clone(),
                reason: reason.clone(),
            };
            let response = client.change_status(&request).await?;
            println!("status is now {} (audit entry {})", response.status, response.audit_seq);
            Ok(ExitCode::SUCCESS)
        }
    }
}

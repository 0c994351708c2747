//! `wz audit verify`: walks the whole chain (offline, read-only).

use std::process::ExitCode;

use clap::Subcommand;

use crate::Cli;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify every link of the audit chain; exit 2 and name the first broken link if any.
    Verify,
}

pub async fn run(cli: &Cli, command: &AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => {
            let config = cli.config(None, None)?;
            let opened = wz_server::open_services(&config).await?;
            let report = opened.services.audit.verify().await?;
            match report.first_break {
                None => {
                    println!(
                        "audit chain intact: {} entries, head {}",
                        report.entries_checked,
                        report.head_hash.as_deref().unwrap_or("(empty)")
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(chain_break) => {
                    println!(
                        "audit chain BROKEN at entry {}: {} ({} entries verified before it)",
                        chain_break.seq, chain_break.reason, report.entries_checked
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

//! `wz audit verify`: walks the whole chain (offline, read-only).

use std::process::ExitCode;

use clap::Subcommand;

use crate::Cli;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify every link of the audit chain; exit 2 and name the first
    /// broken link if any, exit 3 if the chain is empty.
    Verify,
}

pub async fn run(cli: &Cli, command: &AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => {
            let (config, opened) = cli.open_existing(None).await?;
            let report = opened.services.audit.verify().await?;
            match report.first_break {
                // An empty chain proves nothing: a registry always has
                // entries (its seeding, enrolments), so none means the wrong
                // database or a truncated one.
                None if report.entries_checked == 0 => {
                    println!(
                        "audit chain EMPTY: no entries in {}; nothing was verified (wrong --data-dir or --database-url?)",
                        config.database_url()
                    );
                    Ok(ExitCode::from(3))
                }
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

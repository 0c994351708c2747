//! The one `wz` binary. `wz serve` starts the server; commands that act on a
//! running server speak HTTP through `wz-client`; offline operator tasks
//! (migrate, seed, enrol, card issue, audit verify) open the data directory
//! and database themselves.

mod commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use wz_server::{Config, ConfigOverrides};

#[derive(Parser)]
#[command(name = "wz", version, about = "WangZheng (网证): trusted online identity platform")]
struct Cli {
    /// Configuration file (TOML); default ./wz.toml if present.
    #[arg(long, global = true, env = "WZ_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (database and keys).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://...
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(commands::serve::ServeArgs),
    /// Create or upgrade the database schema and keys, then exit.
    Migrate,
    /// Generate a deterministic demo population into the registry.
    Seed(commands::seed::SeedArgs),
    /// Registry operations.
    #[command(subcommand)]
    Registry(commands::registry::RegistryCommand),
    /// Simulated ID cards.
    #[command(subcommand)]
    Card(commands::card::CardCommand),
    /// Audit chain.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Face engine: accuracy evaluation.
    #[command(subcommand)]
    Face(commands::face::FaceCommand),
    /// The citizen's wallet: network ID credential, QR codes.
    Wallet(commands::wallet::WalletArgs),
    /// Trusted terminal (kiosk): registration and enrolment.
    #[command(subcommand)]
    Terminal(commands::terminal::TerminalCommand),
    /// Verify wallet QR codes.
    #[command(subcommand)]
    Qr(commands::qr::QrCommand),
    /// Relying parties: registry, and authentication as one.
    Rp(Box<commands::rp::RpArgs>),
}

impl Cli {
    fn config(&self, demo: Option<bool>, listen: Option<std::net::SocketAddr>) -> anyhow::Result<Config> {
        let overrides = ConfigOverrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            demo,
            listen,
        };
        Ok(Config::load(self.config.as_deref(), &overrides)?)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Serve(args) => commands::serve::run(&cli, args).await,
        Command::Migrate => commands::seed::migrate(&cli).await,
        Command::Seed(args) => commands::seed::run(&cli, args).await,
        Command::Registry(command) => commands::registry::run(&cli, command).await,
        Command::Card(command) => commands::card::run(&cli, command).await,
        Command::Audit(command) => commands::audit::run(&cli, command).await,
        Command::Face(command) => commands::face::run(command),
        Command::Bench(command) => commands::bench::run(&cli, command).await,
        Command::Wallet(args) => commands::wallet::run(args).await,
        Command::Terminal(command) => commands::terminal::run(&cli, command).await,
        Command::Qr(command) => commands::qr::run(command).await,
        Command::Rp(args) => commands::rp::run(&cli, args).await,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

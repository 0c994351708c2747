//! The one `wz` binary. `wz serve` starts the server; commands that act on a
//! running server speak HTTP through `wz-client`; offline operator tasks
//! (migrate, seed, enrol, card issue, audit verify) open the data directory
//! and database themselves.

mod commands;

/// mimalloc instead of the system allocator: a request allocates and frees
/// many small buffers across two worker threads, and glibc's `malloc` and
/// `free` were 7–12 % of the server's CPU per request (issue #19,
/// BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Data directory (database and keys). Default: $WZ_DATA_DIR, else
    /// ./data if it exists, else ~/.local/share/wangzheng.
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
    /// Spoken digits: the voice and digit checks on recordings.
    #[command(subcommand)]
    Speech(commands::speech::SpeechCommand),
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
    /// A running demo server's featured citizens and their photos.
    Demo(commands::demo::DemoArgs),
    /// The online service hall: run it beside the platform, verify its certificates.
    Hall(commands::hall::HallArgs),
}

impl Cli {
    fn overrides(&self, demo: Option<bool>, listen: Option<std::net::SocketAddr>) -> ConfigOverrides {
        ConfigOverrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            demo,
            listen,
            log_format: None,
        }
    }

    fn config(&self, demo: Option<bool>, listen: Option<std::net::SocketAddr>) -> anyhow::Result<Config> {
        Ok(Config::load(self.config.as_deref(), &self.overrides(demo, listen))?)
    }

    /// Says on stderr which data directory a command uses and why.
    fn announce_data_dir(&self, config: &Config) {
        eprintln!(
            "data directory: {} ({})",
            config.data_dir.display(),
            wz_server::data_dir_origin(&self.overrides(None, None))
        );
    }

    /// Opens the services of an existing registry: refuses, naming the
    /// folder and the flag, rather than creating one.
    async fn open_existing(&self, demo: Option<bool>) -> anyhow::Result<(Config, wz_server::OpenedServices)> {
        let config = self.config(demo, None)?;
        self.announce_data_dir(&config);
        let opened = wz_server::open_services_in(&config, wz_server::OpenMode::Existing).await?;
        Ok((config, opened))
    }
}

/// The error and its causes on one line, each cause once: libraries often
/// repeat their cause's text in their own message.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(text.as_str()) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace(['\n', '\r'], " ")
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
        Command::Speech(command) => commands::speech::run(command),
        Command::Bench(command) => commands::bench::run(&cli, command).await,
        Command::Wallet(args) => commands::wallet::run(args).await,
        Command::Terminal(command) => commands::terminal::run(&cli, command).await,
        Command::Qr(command) => commands::qr::run(command).await,
        Command::Rp(args) => commands::rp::run(&cli, args).await,
        Command::Demo(args) => commands::demo::run(&cli, args).await,
        Command::Hall(args) => commands::hall::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

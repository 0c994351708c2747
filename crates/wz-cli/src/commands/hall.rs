//! `wz hall …`: the online service hall (crate `wz-hall`) as its own
//! process beside the platform — its own database and keys, talking to
//! the platform only over HTTP — and offline certificate verification.
//!
//! `wz serve --demo` starts `wz hall serve` the way it starts the demo
//! website: credentials in the environment, the URL as the first line of
//! output, gone when the server's end of its standard input closes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use wz_hall::certificate::{DepartmentKeys, PublishedKeySet, PublishedKeys, SignedCertificate};
use wz_hall::platform::Platform;
use wz_hall::registries::{Citizen, Connectors, SimulatedCity};
use wz_hall::store::{AuditDraft, HallStore, OfficerRow};
use wz_hall::web::{system_clock, HallWeb};
use wz_hall::Hall;

use super::demo_website::{discover, start_child, stop_signal, Website};
use super::DEFAULT_SERVER;

/// The client id variable.
const CLIENT_ID: &str = "WZ_HALL_CLIENT_ID";
/// The client secret variable.
const CLIENT_SECRET: &str = "WZ_HALL_CLIENT_SECRET";
/// The featured demo citizen who is the demo's officer (1-based).
const DEMO_OFFICER: usize = 7;

#[derive(clap::Args)]
pub struct HallArgs {
    /// The platform's URL (its OpenID Connect issuer).
    #[arg(long, global = true, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
    server: String,
    #[command(subcommand)]
    command: HallCommand,
}

#[derive(Subcommand)]
pub enum HallCommand {
    /// Run the service hall against the platform (`--server`).
    Serve(ServeArgs),
    /// Verify a certificate offline: FILE holds its QR text (the page's
    /// "download", or a QR code read by any scanner).
    Verify {
        /// The certificate file.
        file: PathBuf,
        /// The hall's published keys (saved from its `/keys`).
        #[arg(long)]
        keys: PathBuf,
    },
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Where the hall listens (ADDRESS:PORT; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Its client id at the platform.
    #[arg(long, env = CLIENT_ID)]
    client_id: String,
    /// The hall's own data directory (its keys, and its database unless
    /// `--hall-database-url` names one).
    #[arg(long = "hall-data-dir", env = "WZ_HALL_DATA_DIR")]
    data_dir: PathBuf,
    /// The hall's own database: `sqlite://PATH` or `postgres://…` (default
    /// `hall.db` in the data directory). Never the platform's.
    #[arg(long = "hall-database-url", env = "WZ_HALL_DATABASE_URL")]
    database_url: Option<String>,
    /// Stop when standard input closes (how `wz serve --demo` runs it).
    #[arg(long)]
    exit_with_stdin: bool,
}

pub async fn run(args: &HallArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        HallCommand::Serve(serve) => run_serve(&args.server, serve).await,
        HallCommand::Verify { file, keys } => verify(file, keys),
    }
}

fn verify(file: &Path, keys: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let keys: PublishedKeySet =
        serde_json::from_str(&std::fs::read_to_string(keys).with_context(|| format!("reading {}", keys.display()))?)
            .context("the keys file is not the hall's published key set (GET /keys)")?;
    let certificate = SignedCertificate::decode(&text)?;
    match certificate.verify(&PublishedKeys::from_set(&keys)) {
        Ok(()) => {
            let body = &certificate.body;
            println!("valid: {} · {} · issued {}", body.title, body.department_name, body.issued_on);
            println!("holder: {} ({})", body.holder_name, body.holder_id_masked);
            for statement in &body.statements {
                println!("  {statement}");
            }
            if let Some(until) = &body.valid_until {
                println!("valid until {until}");
            }
            println!("revocation is not checked offline: {}", body.verify_url);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("not valid: {error}");
            Ok(ExitCode::from(2))
        }
    }
}

async fn run_serve(server: &str, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // Warnings (a registry or the store failing) as JSON lines on standard
    // error, beside the platform's own log when `wz serve --demo` runs it.
    wz_server::init_tracing(&wz_server::LogConfig {
        format: wz_server::LogFormat::Json,
        filter: "warn".into(),
    });
    let client_secret = std::env::var(CLIENT_SECRET).with_context(|| format!("{CLIENT_SECRET} must hold the client secret"))?;
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    let database = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", args.data_dir.join("hall.db").display()));
    let store = HallStore::open(&database).await.context("opening the hall's database")?;
    let keys = DepartmentKeys::load_or_create(&args.data_dir.join("hall-keys.json"))?;
    let clock = system_clock();
    let now = clock();
    let today = time::OffsetDateTime::from_unix_timestamp(now / 1000)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    // The demo city lives around the platform's featured citizens, read
    // from its public demo listing; a platform without one (not a demo)
    // gives an empty city.
    let citizens: Vec<Citizen> = wz_client::Client::new(server)
        .demo_setup()
        .await
        .map(|setup| {
            setup
                .citizens
                .into_iter()
                .map(|c| Citizen {
                    name: c.name,
                    id_number: c.id_number,
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(officer) = citizens.get(DEMO_OFFICER - 1) {
        let active = store.active_officer(&officer.id_number).await?;
        if active.is_none() {
            let row = OfficerRow {
                id_number: officer.id_number.clone(),
                name: officer.name.clone(),
                added_at: now,
                active: true,
            };
            let audit = AuditDraft {
                at: now,
                actor: "operator".into(),
                action: "officer.added".into(),
                application_id: None,
                detail: format!("demo officer: featured citizen {DEMO_OFFICER}"),
            };
            store.add_officer(&row, &[audit]).await?;
        }
    }
    let city = SimulatedCity::for_citizens(&citizens, today);
    let hall = Hall::new(store, Connectors::simulated(&city), keys, format!("{url}/verify"));
    let config = wz_demo_rp::DemoRpConfig {
        issuer: server.trim_end_matches('/').to_owned(),
        client_id: args.client_id.clone(),
        client_secret,
        redirect_uri: format!("{url}/callback"),
    };
    let rp = discover(&config).await?;
    println!("{url}");
    // The parties of a 股东变更 are invited by the platform's multi-party
    // transaction, each with the wallet and the face.
    let platform = Platform::new(server, &args.client_id, &config.client_secret, "portrait_credential");
    let web = HallWeb::new(hall, rp, url, clock).with_platform(platform).requiring_live_sign_in();
    wz_hall::web::serve(listener, web, stop_signal(args.exit_with_stdin))
        .await
        .context("serving the service hall")?;
    Ok(ExitCode::SUCCESS)
}

/// Starts `wz hall serve` for the server at `issuer` with the demo hall
/// party's credentials, its data under `data_dir/hall`.
pub async fn start(issuer: &str, party: &wz_server::DemoParty, data_dir: &Path, listen: SocketAddr) -> anyhow::Result<Website> {
    let hall_dir = data_dir.join("hall");
    let args = [
        "hall".to_owned(),
        "--server".to_owned(),
        issuer.to_owned(),
        "serve".to_owned(),
        "--exit-with-stdin".to_owned(),
        "--hall-data-dir".to_owned(),
        hall_dir.display().to_string(),
        "--listen".to_owned(),
    ];
    start_child(
        "the service hall",
        &args,
        listen,
        &[(CLIENT_ID, &party.client_id), (CLIENT_SECRET, &party.client_secret)],
    )
    .await
}

//! `wz terminal …`: the trusted-terminal kiosk from the command line:
//! register a terminal (operator), then drive an enrolment end to end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use clap::Subcommand;
use wz_client::{Client, KeySigner};
use wz_core::{unix_ms, CardChallenge, CardFile};
use wz_crypto::Sm2SigningKey;
use wz_proto::{CompleteEnrolmentRequest, RegisterTerminalRequest};
use wz_service::{Clock, EntropyRng, OsEntropy, SystemClock};
use zeroize::Zeroizing;

use super::{admin_client, qr_image, DEFAULT_SERVER};
use crate::Cli;

#[derive(Subcommand)]
pub enum TerminalCommand {
    /// Register a terminal: makes its key, writes it, registers the public half.
    Register {
        /// Where it stands.
        #[arg(long)]
        name: String,
        /// File for the terminal's private key and id (mode 0600).
        #[arg(long)]
        key_out: PathBuf,
        /// Server URL.
        #[arg(long, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
        server: String,
        /// Operator token (else WZ_ADMIN_TOKEN or <data_dir>/keys/admin.token).
        #[arg(long, env = "WZ_ADMIN_TOKEN")]
        admin_token: Option<String>,
    },
    /// Enrol a citizen: show the QR code, wait for the wallet, read the
    /// card, take the password and the face, issue the upgraded credential.
    Enrol {
        /// The terminal key file from `register`.
        #[arg(long)]
        key: PathBuf,
        /// The citizen's card file.
        #[arg(long)]
        card: PathBuf,
        /// Photo taken at the terminal.
        #[arg(long)]
        face: PathBuf,
        /// File with the new 8-digit password on its first two lines (typed twice).
        #[arg(long)]
        password_file: PathBuf,
        /// Also write the enrolment QR code as an image.
        #[arg(long)]
        qr_out: Option<PathBuf>,
        /// Server URL.
        #[arg(long, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
        server: String,
        /// How long to wait for the wallet, in seconds.
        #[arg(long, default_value_t = 600)]
        wait: u64,
    },
}

fn now() -> wz_client::NowMs {
    Arc::new(|| unix_ms(SystemClock.now()))
}

fn load_key(path: &Path) -> anyhow::Result<KeySigner> {
    let text = Zeroizing::new(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?);
    let (id, pem) = text
        .split_once('\n')
        .context("terminal key file: first line id, then the PEM key")?;
    let key = Sm2SigningKey::from_pkcs8_pem(pem, "terminal")?;
    Ok(KeySigner::terminal(id.trim(), key, now()))
}

pub async fn run(cli: &Cli, command: &TerminalCommand) -> anyhow::Result<ExitCode> {
    match command {
        TerminalCommand::Register {
            name,
            key_out,
            server,
            admin_token,
        } => {
            anyhow::ensure!(!key_out.exists(), "{} exists; not overwriting a terminal key", key_out.display());
            let config = cli.config(None, None)?;
            let admin = admin_client(server, admin_token.as_deref(), &config.data_dir)?;
            let key = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "terminal")?;
            let request = RegisterTerminalRequest {
                name: name.clone(),
                public_key: hex::encode(key.verifying_key().to_sec1_bytes()),
            };
            let registered = admin.register_terminal(&request).await?;
            let contents = Zeroizing::new(format!("{}\n{}", registered.id, key.to_pkcs8_pem()?.as_str()));
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(key_out)?;
            file.write_all(contents.as_bytes())?;
            file.sync_all()?;
            println!(
                "terminal {} registered ({}); key in {}",
                registered.id,
                registered.key_id,
                key_out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        TerminalCommand::Enrol {
            key,
            card,
            face,
            password_file,
            qr_out,
            server,
            wait,
        } => {
            let kiosk = load_key(key)?;
            let client = Client::new(server);
            let card = CardFile::parse(&std::fs::read(card).with_context(|| format!("reading {}", card.display()))?)
                .map_err(|e| anyhow::anyhow!("{e} (card_malformed)"))?;
            let face = base64::engine::general_purpose::STANDARD
                .encode(std::fs::read(face).with_context(|| format!("reading {}", face.display()))?);
            let passwords = Zeroizing::new(std::fs::read_to_string(password_file)?);
            let mut lines = passwords.lines();
            let (password, confirmation) = (
                lines.next().unwrap_or("").trim().to_owned(),
                lines.next().unwrap_or("").trim().to_owned(),
            );
            let opened = client.open_enrolment(&kiosk).await?;
            println!("show this code to the citizen's wallet:\n{}", opened.qr_payload);
            if let Some(out) = qr_out {
                qr_image::write(&opened.qr_payload, out)?;
                eprintln!("QR image written to {}", out.display());
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(*wait);
            loop {
                // A fresh card answer on every try: each one is single use.
                let challenge = client.card_challenge().await?;
                let challenge = CardChallenge {
                    nonce: challenge.nonce,
                    expires_at: challenge.expires_at,
                    mac: challenge.mac,
                };
                let request = CompleteEnrolmentRequest {
                    card: serde_json::to_value(card.present(challenge).map_err(|e| anyhow::anyhow!("{e}"))?)?,
                    password: password.clone(),
                    password_confirmation: confirmation.clone(),
                    face: face.clone(),
                };
                match client.complete_enrolment(&opened.enrolment_id, &request, &kiosk).await {
                    Ok(issued) => {
                        println!("issued: {} credential {} to the wallet", issued.level, issued.serial);
                        return Ok(ExitCode::SUCCESS);
                    }
                    Err(error) if error.code() == Some("enrolment_state") && std::time::Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    Err(error) => {
                        println!("refused: {error}");
                        return Ok(ExitCode::from(2));
                    }
                }
            }
        }
    }
}

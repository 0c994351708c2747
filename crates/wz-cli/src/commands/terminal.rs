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
use wz_core::{unix_ms, CardChallenge};
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
        /// File with the new 8-digit password: on one line, or on two lines
        /// as typed twice at the keypad (they must match).
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

/// The new password from a file: one line (typed once), or two lines (typed
/// twice; compared by the platform). Only 8 digits are a password.
fn read_passwords(path: &Path) -> anyhow::Result<(String, String)> {
    let text = Zeroizing::new(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?);
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let password = lines.next().unwrap_or("").to_owned();
    let confirmation = lines.next().map_or_else(|| password.clone(), str::to_owned);
    anyhow::ensure!(
        password.len() == 8 && password.bytes().all(|b| b.is_ascii_digit()),
        "{}: the card password must be 8 digits on the first line (a second line, if any, repeats it)",
        path.display()
    );
    Ok((password, confirmation))
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
            let admin = admin_client(cli, server, admin_token.as_deref())?;
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
            let card = super::card_file::read(card)?;
            let face = base64::engine::general_purpose::STANDARD
                .encode(std::fs::read(face).with_context(|| format!("reading {}", face.display()))?);
            let (password, confirmation) = read_passwords(password_file)?;
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
                        if error.code() == Some("enrolment_state") {
                            println!("refused: no wallet scanned the code within {wait} s (--wait)");
                        } else {
                            println!("refused: {error}");
                        }
                        // Tell the wallet at once rather than let it wait for the expiry.
                        if let Err(cancel) = client.cancel_enrolment(&opened.enrolment_id, &kiosk).await {
                            eprintln!("could not end the enrolment on the platform: {cancel}");
                        }
                        return Ok(ExitCode::from(2));
                    }
                }
            }
        }
    }
}

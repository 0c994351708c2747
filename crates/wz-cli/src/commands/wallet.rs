//! `wz wallet …`: the citizen's wallet on the command line. The device key
//! and credential live in a passphrase-sealed file (`wallet_file`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use clap::Subcommand;
use wz_client::Client;
use wz_proto::{BindEnrolmentRequest, CredentialStatusRequest, EnrolledCredentialRequest, LightApplicationRequest, PasswordCheckRequest};

use super::wallet_file::{new_passphrase, passphrase, Wallet};
use super::{qr_image, DEFAULT_SERVER};

#[derive(clap::Args)]
pub struct WalletArgs {
    /// Wallet file.
    #[arg(long, global = true, env = "WZ_WALLET", default_value = "wallet.wz")]
    wallet: PathBuf,
    /// File whose first line is the passphrase (else WZ_WALLET_PASSPHRASE).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    /// Server URL.
    #[arg(long, global = true, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
    server: String,
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Subcommand)]
pub enum WalletCommand {
    /// Create a wallet with a fresh SM2 device key.
    Init,
    /// Apply for a light credential: shows the liveness challenge, then
    /// sends the frames (8–30 JPEG/PNG files or a folder of them).
    Apply {
        /// ID number.
        #[arg(long)]
        id_number: String,
        /// Name as on the card.
        #[arg(long)]
        name: String,
        /// Frame files, or one folder holding them (sorted by name).
        #[arg(long, num_args = 1.., required = true)]
        frames: Vec<PathBuf>,
        /// The digits read aloud while filming: a 16 kHz mono 16-bit PCM
        /// WAV file; the frames are taken to be spread evenly over it.
        #[arg(long)]
        audio: Option<PathBuf>,
        /// The language the digits were read in: `en` (the server checks
        /// the digits heard) or `zh` (voice and lip timing only).
        #[arg(long, default_value = "en", requires = "audio")]
        language: String,
    },
    /// Scan a trusted terminal's enrolment code and wait for the credential.
    Enrol {
        /// The code's text (`WZENROL1:…`).
        #[arg(long, conflicts_with = "qr_png")]
        qr: Option<String>,
        /// A picture of the code.
        #[arg(long)]
        qr_png: Option<PathBuf>,
        /// How long to wait for the terminal, in seconds.
        #[arg(long, default_value_t = 600)]
        wait: u64,
    },
    /// The credential as the platform sees it.
    Status,
    /// Make a dynamic QR code (valid about 60 s, usable once).
    Qr {
        /// Also write it as an image (`.png` or `.svg`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the 8-digit card password (read from standard input).
    CheckPassword,
    /// Where your identity was used: relying party, purpose, result.
    History,
    /// Scan a relying party's session code (or open a multi-party
    /// invitation), see who asks for what, then consent and prove, or decline.
    Scan {
        /// The code's text (`WZS1:…` or `WZI1:…`).
        #[arg(long, conflicts_with = "png")]
        payload: Option<String>,
        /// A picture of the code.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Decline instead of consenting.
        #[arg(long)]
        decline: bool,
        /// One still portrait for portrait modes (a relying party may
        /// refuse it: it proves no live person).
        #[arg(long, conflicts_with = "frames")]
        portrait: Option<PathBuf>,
        /// For portrait modes, a face sequence instead: 8–30 frame files or
        /// a folder; a liveness challenge is fetched and shown first.
        #[arg(long, num_args = 1..)]
        frames: Vec<PathBuf>,
        /// The challenge's digits read aloud while filming (16 kHz mono
        /// 16-bit PCM WAV), with `--frames`.
        #[arg(long, requires = "frames")]
        audio: Option<PathBuf>,
        /// The language the digits were read in: `en` or `zh`.
        #[arg(long, default_value = "en", requires = "audio")]
        language: String,
    },
}

/// How long a scan waits for the picture to appear (the other side, e.g.
/// `wz terminal enrol` started just before in another terminal, writes it).
const SCAN_WAIT: Duration = Duration::from_secs(60);

fn frames(paths: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)?.filter_map(Result::ok).map(|e| e.path()).collect();
            inside.retain(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("jpg" | "jpeg" | "png")));
            inside.sort();
            files.extend(inside);
        } else {
            files.push(path.clone());
        }
    }
    files
        .iter()
        .map(
            |f| Ok(base64::engine::general_purpose::STANDARD.encode(std::fs::read(f).with_context(|| format!("reading {}", f.display()))?)),
        )
        .collect()
}

/// The audio of an application, with `frames` capture times spread evenly
/// over it (a file cannot say when each frame was taken).
fn spoken(path: &Path, frames: usize, language: &str) -> anyhow::Result<wz_proto::SpokenDigits> {
    let wav = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let duration_ms = wz_speech::Recording::from_wav(&wav)
        .with_context(|| path.display().to_string())?
        .duration_ms();
    let step = duration_ms / u32::try_from(frames + 1).unwrap_or(u32::MAX).max(1);
    Ok(wz_proto::SpokenDigits {
        audio: base64::engine::general_purpose::STANDARD.encode(&wav),
        frame_times_ms: (1..=frames as u32).map(|i| i * step).collect(),
        language: language.to_owned(),
    })
}

fn open(args: &WalletArgs) -> anyhow::Result<Wallet> {
    Wallet::open(&args.wallet, passphrase(args.passphrase_file.as_deref())?)
}

fn refused(error: &wz_client::ClientError) -> ExitCode {
    println!("refused: {error}");
    ExitCode::from(2)
}

pub async fn run(args: &WalletArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server);
    match &args.command {
        WalletCommand::Init => {
            let wallet = Wallet::create(&args.wallet, new_passphrase(args.passphrase_file.as_deref())?)?;
            println!(
                "wallet {} created; device key {}",
                args.wallet.display(),
                wallet.signer()?.public_hex()
            );
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::Apply {
            id_number,
            name,
            frames: paths,
            audio,
            language,
        } => {
            let mut wallet = open(args)?;
            let challenge = client.liveness_challenge().await?;
            println!(
                "liveness challenge: read aloud {} and {}",
                challenge.digits,
                challenge.action.replace('_', " ")
            );
            let frames = frames(paths)?;
            let speech = audio.as_deref().map(|path| spoken(path, frames.len(), language)).transpose()?;
            let request = LightApplicationRequest {
                id_number: id_number.clone(),
                name: name.clone(),
                challenge_token: challenge.token,
                frames,
                speech,
            };
            match client.apply_light(&request, &wallet.signer()?).await {
                Ok(issued) => {
                    println!(
                        "issued: {} credential {}, valid until {}",
                        issued.level,
                        issued.serial,
                        super::when(issued.expires_at_ms)
                    );
                    wallet.secrets.credential = Some(issued.credential);
                    wallet.secrets.qr_key = Some(issued.qr_key);
                    wallet.save()?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => Ok(refused(&error)),
            }
        }
        WalletCommand::Enrol { qr, qr_png, wait } => enrol(args, &client, qr.as_deref(), qr_png.as_deref(), *wait).await,
        WalletCommand::Status => {
            let wallet = open(args)?;
            let request = CredentialStatusRequest {
                credential: wallet.credential()?.to_owned(),
            };
            match client.credential_status(&request, &wallet.signer()?).await {
                Ok(status) => {
                    println!(
                        "credential {}: level {}, issued {}, expires {}, state {}",
                        status.serial,
                        status.level,
                        super::when(status.issued_at_ms),
                        super::when(status.expires_at_ms),
                        status.state
                    );
                    Ok(if status.state == "success" {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(2)
                    })
                }
                Err(error) => Ok(refused(&error)),
            }
        }
        WalletCommand::Qr { out } => {
            let wallet = open(args)?;
            let qr_key = wallet.secrets.qr_key.as_deref().context("this wallet holds no QR key")?;
            let text = wallet.signer()?.qr(wallet.credential()?, qr_key)?;
            println!("{text}");
            if let Some(out) = out {
                qr_image::write(&text, out)?;
                eprintln!("written to {}", out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::Scan {
            payload,
            png,
            decline,
            portrait,
            frames: frame_paths,
            audio,
            language,
        } => {
            let wallet = open(args)?;
            let signer = wallet.signer()?;
            let payload = match (payload, png) {
                (Some(text), _) => text.clone(),
                (None, Some(png)) => qr_image::scan(png, SCAN_WAIT).await?,
                (None, None) => anyhow::bail!("give --payload TEXT or --png FILE"),
            };
            let scanned = match client.scan_session(&payload, &signer).await {
                Ok(scanned) => scanned,
                Err(error) => return Ok(refused(&error)),
            };
            println!("{} ({}) asks: {}", scanned.rp_name, scanned.rp_category, scanned.purpose);
            println!("  mode: {}", scanned.mode);
            println!(
                "  in full: {}",
                if scanned.released.is_empty() {
                    "nothing (desensitised fields only)".to_owned()
                } else {
                    scanned.released.join(", ")
                }
            );
            if *decline {
                client.decline_session(&scanned.session_id, &signer).await?;
                println!("declined");
                return Ok(ExitCode::SUCCESS);
            }
            client.consent_session(&scanned.session_id, &signer).await?;
            let qr_key = wallet.secrets.qr_key.as_deref().context("this wallet holds no QR key")?;
            let portrait = portrait
                .as_ref()
                .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
                .transpose()?
                .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes));
            let live = if frame_paths.is_empty() {
                None
            } else {
                let challenge = client.liveness_challenge().await?;
                println!("  liveness challenge: read aloud {}", challenge.digits);
                let frames = frames(frame_paths)?;
                let speech = audio.as_deref().map(|path| spoken(path, frames.len(), language)).transpose()?;
                Some(wz_proto::LiveSequence {
                    challenge_token: challenge.token,
                    frames,
                    speech,
                })
            };
            let password = if scanned.mode == "portrait_credential_pin" {
                let mut line = zeroize::Zeroizing::new(String::new());
                eprintln!("card password (8 digits):");
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim().to_owned())
            } else {
                None
            };
            let proof = wz_proto::CompleteSessionRequest {
                code: signer.qr(wallet.credential()?, qr_key)?,
                portrait,
                live,
                password,
            };
            match client.complete_session(&scanned.session_id, &proof, &signer).await {
                Ok(answer) => {
                    println!("{}  level {}", answer.result, answer.level.as_deref().unwrap_or("-"));
                    for (field, value) in &answer.attributes {
                        println!("  sent {field}: {value}");
                    }
                    Ok(if answer.result == "success" {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(2)
                    })
                }
                Err(error) => Ok(refused(&error)),
            }
        }
        WalletCommand::History => {
            let wallet = open(args)?;
            let request = wz_proto::WalletHistoryRequest {
                credential: wallet.credential()?.to_owned(),
            };
            match client.wallet_history(&request, &wallet.signer()?).await {
                Ok(history) => {
                    if history.entries.is_empty() {
                        println!("no relying party has used your identity");
                    }
                    for entry in history.entries {
                        let released = if entry.released.is_empty() {
                            "masked fields only".to_owned()
                        } else {
                            format!("released {}", entry.released.join(", "))
                        };
                        println!(
                            "{}  {} ({})  {}  {}  {}  {}",
                            super::when(entry.at_ms),
                            entry.rp_name,
                            entry.rp_category,
                            entry.purpose,
                            entry.mode,
                            entry.result,
                            released
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => Ok(refused(&error)),
            }
        }
        WalletCommand::CheckPassword => {
            let wallet = open(args)?;
            let mut line = zeroize::Zeroizing::new(String::new());
            std::io::stdin().read_line(&mut line)?;
            let request = PasswordCheckRequest {
                credential: wallet.credential()?.to_owned(),
                password: line.trim().to_owned(),
            };
            match client.check_password(&request, &wallet.signer()?).await {
                Ok(answer) => {
                    println!(
                        "{}{}{}",
                        answer.result,
                        answer
                            .remaining_attempts
                            .map(|n| format!(" ({n} attempts left)"))
                            .unwrap_or_default(),
                        answer
                            .locked_until_ms
                            .map(|ms| format!(" (locked until {})", super::when(ms)))
                            .unwrap_or_default()
                    );
                    Ok(if answer.result == "success" {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(2)
                    })
                }
                Err(error) => Ok(refused(&error)),
            }
        }
    }
}

async fn enrol(args: &WalletArgs, client: &Client, qr: Option<&str>, qr_png: Option<&Path>, wait: u64) -> anyhow::Result<ExitCode> {
    let payload = match (qr, qr_png) {
        (Some(text), _) => text.to_owned(),
        (None, Some(png)) => qr_image::scan(png, SCAN_WAIT).await?,
        (None, None) => anyhow::bail!("give --qr TEXT or --qr-png FILE"),
    };
    let mut wallet = open(args)?;
    let signer = wallet.signer()?;
    let binding = match client.bind_enrolment(&BindEnrolmentRequest { qr_payload: payload }, &signer).await {
        Ok(binding) => binding,
        Err(error) => return Ok(refused(&error)),
    };
    println!(
        "bound to the terminal at {}; complete the card, password and face steps there",
        binding.terminal_name
    );
    wallet.secrets.enrolment_id = Some(binding.enrolment_id.clone());
    wallet.save()?;
    let request = EnrolledCredentialRequest {
        enrolment_id: binding.enrolment_id,
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(wait);
    loop {
        match client.enrolled_credential(&request, &signer).await {
            Ok(issued) => {
                println!(
                    "issued: {} credential {}, valid until {}",
                    issued.level,
                    issued.serial,
                    super::when(issued.expires_at_ms)
                );
                wallet.secrets.credential = Some(issued.credential);
                wallet.secrets.qr_key = Some(issued.qr_key);
                wallet.secrets.enrolment_id = None;
                wallet.save()?;
                return Ok(ExitCode::SUCCESS);
            }
            Err(error) if error.code() == Some("enrolment_state") && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) if error.code() == Some("enrolment_state") => {
                println!("refused: the terminal did not finish within {wait} s (--wait); start again at the terminal");
                return Ok(ExitCode::from(2));
            }
            Err(error) => {
                // Cancelled or expired: nothing will come; the wallet forgets it.
                wallet.secrets.enrolment_id = None;
                wallet.save()?;
                return Ok(refused(&error));
            }
        }
    }
}

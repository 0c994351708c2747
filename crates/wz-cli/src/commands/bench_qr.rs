//! `wz bench qr`: wallet QR code verification (验码) over HTTP. Run it
//! beside `wz serve --demo` (it needs the operator token, from the same
//! data directory or `--admin-token`): it registers citizens of its own at
//! the demo registry office and a terminal, enrols them into fresh wallets
//! (card, password, the same photo at the terminal), signs `--codes`
//! codes, then verifies each once from `--connections` concurrent
//! connections and reports throughput, latency, the server's CPU per code
//! (signing and enrolment not counted) and that CPU as a multiple of the
//! HTTP floor measured just before with a body of the same size.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use base64::Engine;
use wz_client::{Client, KeySigner};
use wz_core::{unix_ms, CardChallenge, CardFile};
use wz_crypto::Sm2SigningKey;
use wz_proto::{BindEnrolmentRequest, CompleteEnrolmentRequest, QrVerifyRequest, RegisterTerminalRequest};
use wz_service::{Clock, EntropyRng, OsEntropy, SystemClock};

use super::bench_phase::{measure, server_cpu};
use super::{admin_client, DEFAULT_SERVER};
use crate::Cli;

#[derive(clap::Args)]
pub struct QrBenchArgs {
    /// Server URL.
    #[arg(long, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
    server: String,
    /// Codes to verify (each is used once; all must be verified within
    /// their 60 s lifetime).
    #[arg(long, default_value_t = 50_000)]
    codes: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Operator token (else WZ_ADMIN_TOKEN or <data_dir>/keys/admin.token).
    #[arg(long, env = "WZ_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// `qr`: a relying party's `POST /v1/qr/verify`; `credential`: its
    /// `POST /v1/authentications` in mode `credential` (signed result).
    #[arg(long, default_value = "qr", value_parser = ["qr", "credential"])]
    endpoint: String,
    /// Face set whose photos become the benchmark's own citizens (default:
    /// the demo face set).
    #[arg(long)]
    faces: Option<PathBuf>,
    /// Skip the HTTP floor measured beside the endpoint (the server's CPU
    /// per code is then not stated as a multiple of it).
    #[arg(long)]
    no_floor: bool,
}

fn now() -> wz_client::NowMs {
    Arc::new(|| unix_ms(SystemClock.now()))
}

/// Benchmark citizens enrolled per run.
const BENCH_CITIZENS: usize = 12;

/// Enrols citizens of the benchmark's own into fresh wallets: each is
/// registered at the demo registry office with a face-set photo (a new
/// identity every run), then enrolled at a benchmark terminal with that
/// photo. The featured demo citizens are never touched, so a wallet the
/// user made keeps working.
pub(crate) async fn enrol_wallets(
    cli: &Cli,
    admin_token: Option<&str>,
    faces_dir: Option<&std::path::Path>,
    client: &Client,
) -> anyhow::Result<Vec<(KeySigner, String, String)>> {
    let admin = admin_client(cli, client.base_url(), admin_token)?;
    let faces_dir = match faces_dir {
        Some(dir) => dir.to_owned(),
        None => cli.config(None, None)?.demo_faces_dir,
    };
    let photos: Vec<Vec<u8>> = wz_server::demo_portraits(&faces_dir)
        .into_iter()
        .take(BENCH_CITIZENS)
        .map(|(_, bytes)| bytes)
        .collect();
    anyhow::ensure!(
        !photos.is_empty(),
        "no face images under {} (pass --faces DIR)",
        faces_dir.display()
    );
    let terminal_key = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "terminal")?;
    let registered = admin
        .register_terminal(&RegisterTerminalRequest {
            name: "benchmark terminal".into(),
            public_key: hex::encode(terminal_key.verifying_key().to_sec1_bytes()),
        })
        .await?;
    let kiosk = KeySigner::terminal(&registered.id, terminal_key, now());
    let mut wallets = Vec::new();
    for (index, face) in photos.into_iter().enumerate() {
        let face = base64::engine::general_purpose::STANDARD.encode(face);
        let person = client
            .demo_enrol_person(&format!("压测{:02}", index + 1), &face)
            .await
            .context("registering a benchmark citizen at the demo registry office (the server must run with --demo)")?;
        let card = CardFile::parse(serde_json::to_string(&person.card)?.as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let wallet = KeySigner::device(Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "device")?, now());
        let session = client.open_enrolment(&kiosk).await?;
        client
            .bind_enrolment(
                &BindEnrolmentRequest {
                    qr_payload: session.qr_payload,
                },
                &wallet,
            )
            .await?;
        let challenge = client.card_challenge().await?;
        let challenge = CardChallenge {
            nonce: challenge.nonce,
            expires_at: challenge.expires_at,
            mac: challenge.mac,
        };
        let completion = CompleteEnrolmentRequest {
            card: serde_json::to_value(card.present(challenge).map_err(|e| anyhow::anyhow!("{e}"))?)?,
            password: "20481357".into(),
            password_confirmation: "20481357".into(),
            face,
        };
        match client.complete_enrolment(&session.enrolment_id, &completion, &kiosk).await {
            Ok(issued) => wallets.push((wallet, issued.credential, issued.qr_key)),
            Err(error) => eprintln!("skipping one benchmark citizen: {error}"),
        }
    }
    anyhow::ensure!(!wallets.is_empty(), "no benchmark citizen could be enrolled");
    Ok(wallets)
}

/// The request body each endpoint receives for `code`.
fn request_body(credential_mode: bool, code: &str) -> anyhow::Result<Vec<u8>> {
    Ok(if credential_mode {
        serde_json::to_vec(&authentication_request(code.to_owned()))?
    } else {
        serde_json::to_vec(&QrVerifyRequest { code: code.to_owned() })?
    })
}

fn authentication_request(code: String) -> wz_proto::AuthenticationRequest {
    wz_proto::AuthenticationRequest {
        mode: "credential".into(),
        purpose: "benchmark".into(),
        attributes: vec!["name".into()],
        code: Some(code),
        ..Default::default()
    }
}

pub async fn run(cli: &Cli, args: &QrBenchArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server);
    let http = reqwest::Client::new();
    let wallets = enrol_wallets(cli, args.admin_token.as_deref(), args.faces.as_deref(), &client).await?;
    let credential_mode = args.endpoint == "credential";
    // The floor first, with a body of the same size: the codes signed
    // next must all be verified within their 60 s.
    let floor = if args.no_floor {
        None
    } else {
        let (wallet, credential, qr_key) = &wallets[0];
        let body = request_body(credential_mode, &wallet.qr(credential, qr_key)?)?;
        Some(super::bench_limits::floor(&http, body, args.codes.clamp(50_000, 100_000), args.connections).await?)
    };
    let started = Instant::now();
    let codes: Vec<String> = (0..args.codes)
        .map(|i| {
            let (wallet, credential, qr_key) = &wallets[i % wallets.len()];
            wallet.qr(credential, qr_key).map_err(anyhow::Error::from)
        })
        .collect::<Result<_, _>>()?;
    println!(
        "{} wallets (credentials), {} codes signed in {:.1} s",
        wallets.len(),
        codes.len(),
        started.elapsed().as_secs_f64()
    );
    // Both endpoints are a relying party's: /v1/qr/verify needs one too.
    let party = {
        let admin = admin_client(cli, &args.server, args.admin_token.as_deref())?;
        let request = wz_proto::RelyingPartyRequest {
            name: "benchmark bank".into(),
            category: "bank".into(),
            modes: vec!["credential".into()],
            grants: vec!["name".into()],
            webhook_url: None,
            public_key: None,
            alg: None,
            oidc: None,
        };
        let registered = admin.register_relying_party(&request).await?;
        Arc::new((registered.relying_party.id, registered.client_secret))
    };
    let codes = Arc::new(codes);
    let failures = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let phase = {
        let (client, failures) = (client.clone(), Arc::clone(&failures));
        measure(
            codes.len(),
            args.connections,
            move |index| {
                let (client, codes, party, failures) = (client.clone(), Arc::clone(&codes), Arc::clone(&party), Arc::clone(&failures));
                async move {
                    let Some(code) = codes.get(index) else { return false };
                    let outcome = if credential_mode {
                        let request = authentication_request(code.clone());
                        client.authenticate(&party.0, &party.1, &request).await.map(|a| a.result)
                    } else {
                        client
                            .verify_qr((&party.0, &party.1), &QrVerifyRequest { code: code.clone() })
                            .await
                            .map(|_| "success".to_owned())
                    };
                    let failure = match outcome {
                        Ok(result) if result == "success" => return true,
                        Ok(result) => result,
                        Err(error) => error.code().unwrap_or("transport").to_owned(),
                    };
                    if let Ok(mut failures) = failures.lock() {
                        *failures.entry(failure).or_default() += 1;
                    }
                    false
                }
            },
            server_cpu(&http, &args.server),
            server_cpu(&http, &args.server),
        )
        .await
    };
    if let Some(floor) = &floor {
        floor.print("HTTP floor (same body size, same connections)", None);
    }
    phase.print(
        if credential_mode {
            "authenticated (mode credential, signed result)"
        } else {
            "verified (POST /v1/qr/verify)"
        },
        floor.as_ref(),
    );
    let failures = failures.lock().map(|f| f.clone()).unwrap_or_default();
    if !failures.is_empty() {
        println!("failures: {failures:?}");
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

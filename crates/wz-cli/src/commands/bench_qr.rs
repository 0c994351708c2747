//! `wz bench qr`: wallet QR code verification (验码) over HTTP. Run it
//! beside `wz serve --demo` (it needs the operator token, from the same
//! data directory or `--admin-token`): it registers citizens of its own at
//! the demo registry office and a terminal, enrols them into fresh wallets
//! (card, password, the same photo at the terminal), signs `--codes`
//! codes, then verifies each once from `--connections` concurrent
//! connections and reports throughput and latency.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use base64::Engine;
use wz_client::{Client, KeySigner};
use wz_core::{unix_ms, CardChallenge, CardFile};
use wz_crypto::Sm2SigningKey;
use wz_proto::{BindEnrolmentRequest, CompleteEnrolmentRequest, QrVerifyRequest, RegisterTerminalRequest};
use wz_service::{Clock, EntropyRng, OsEntropy, SystemClock};

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

pub async fn run(cli: &Cli, args: &QrBenchArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server);
    let wallets = enrol_wallets(cli, args.admin_token.as_deref(), args.faces.as_deref(), &client).await?;
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
    let verify_endpoint = args.endpoint != "credential";
    let codes = Arc::new(codes);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.connections.max(1))
        .map(|_| {
            let (codes, next, client, party) = (Arc::clone(&codes), Arc::clone(&next), client.clone(), Arc::clone(&party));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = std::collections::BTreeMap::<String, usize>::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(code) = codes.get(index) else { break };
                    let sent = Instant::now();
                    let outcome = if verify_endpoint {
                        client
                            .verify_qr((&party.0, &party.1), &QrVerifyRequest { code: code.clone() })
                            .await
                            .map(|_| "success".to_owned())
                    } else {
                        let request = wz_proto::AuthenticationRequest {
                            mode: "credential".into(),
                            purpose: "benchmark".into(),
                            attributes: vec!["name".into()],
                            code: Some(code.clone()),
                            ..Default::default()
                        };
                        client.authenticate(&party.0, &party.1, &request).await.map(|a| a.result)
                    };
                    match outcome {
                        Ok(result) if result == "success" => latencies.push(sent.elapsed().as_secs_f64() * 1000.0),
                        Ok(result) => *failures.entry(result).or_default() += 1,
                        Err(error) => *failures.entry(error.code().unwrap_or("transport").to_owned()).or_default() += 1,
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = std::collections::BTreeMap::<String, usize>::new();
    for worker in workers {
        let (mine, theirs) = worker.await?;
        latencies.extend(mine);
        for (code, count) in theirs {
            *failures.entry(code).or_default() += count;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len().saturating_sub(1)) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "{} {} codes in {elapsed:.2} s with {} connections: {:.0}/s; latency p50 {:.2} ms, p99 {:.2} ms",
        if !verify_endpoint {
            "authenticated (mode credential)"
        } else {
            "verified"
        },
        latencies.len(),
        args.connections,
        latencies.len() as f64 / elapsed,
        percentile(0.5),
        percentile(0.99)
    );
    if !failures.is_empty() {
        println!("failures: {failures:?}");
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

//! `wz bench session`: end-to-end latency of a service-window session,
//! from the wallet submitting its proof to the relying party receiving the
//! completed state over server-sent events. Run beside `wz serve --demo`
//! (citizens of its own, as `wz bench qr`); mode `credential` (no face
//! inference). The server's CPU per whole session (five requests and an
//! event stream) is read from its metrics around the sessions and stated
//! as a multiple of the HTTP floor measured first.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use wz_client::Client;
use wz_core::{session_frame, unix_ms};
use wz_proto::{CompleteSessionRequest, CreateSessionRequest, RelyingPartyRequest};
use wz_service::{Clock, SystemClock};

use super::bench_phase::{server_cpu, Phase};
use super::{admin_client, DEFAULT_SERVER};
use crate::Cli;

#[derive(clap::Args)]
pub struct SessionBenchArgs {
    /// Server URL.
    #[arg(long, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
    server: String,
    /// Sessions to run, one after another.
    #[arg(long, default_value_t = 200)]
    sessions: usize,
    /// Operator token (else WZ_ADMIN_TOKEN or <data_dir>/keys/admin.token).
    #[arg(long, env = "WZ_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Face set whose photos become the benchmark's own citizens (default:
    /// the demo face set).
    #[arg(long)]
    faces: Option<std::path::PathBuf>,
    /// Skip the HTTP floor measured first (the server's CPU per session is
    /// then not stated as a multiple of it).
    #[arg(long)]
    no_floor: bool,
}

/// Waits on the SSE stream until a `completed` state arrives; returns when.
async fn completed_at(mut response: reqwest::Response) -> anyhow::Result<Instant> {
    let mut buffer = String::new();
    while let Some(chunk) = response.chunk().await? {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        if buffer.contains("\"state\":\"completed\"") {
            return Ok(Instant::now());
        }
    }
    anyhow::bail!("the event stream ended without a completed state")
}

pub async fn run(cli: &Cli, args: &SessionBenchArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server);
    let wallets = super::bench_qr::enrol_wallets(cli, args.admin_token.as_deref(), args.faces.as_deref(), &client).await?;
    let admin = admin_client(cli, &args.server, args.admin_token.as_deref())?;
    let registered = admin
        .register_relying_party(&RelyingPartyRequest {
            name: "benchmark service window".into(),
            category: "government".into(),
            modes: vec!["credential".into()],
            grants: vec!["name".into()],
            webhook_url: None,
            public_key: None,
            alg: None,
            oidc: None,
        })
        .await?;
    let party = (registered.relying_party.id.as_str(), registered.client_secret.as_str());
    let http = reqwest::Client::new();
    let floor = if args.no_floor {
        None
    } else {
        let (wallet, credential, qr_key) = &wallets[0];
        let proof = CompleteSessionRequest {
            code: wallet.qr(credential, qr_key)?,
            ..Default::default()
        };
        Some(super::bench_limits::floor(&http, serde_json::to_vec(&proof)?, 50_000, 64).await?)
    };
    let (mut to_event, mut to_answer) = (Vec::new(), Vec::new());
    let cpu_before = server_cpu(&http, &args.server).await;
    let own_before = wz_http::process_cpu_seconds();
    let started = Instant::now();
    for i in 0..args.sessions {
        let (wallet, credential, qr_key) = &wallets[i % wallets.len()];
        let created = client
            .create_session(
                party,
                &CreateSessionRequest {
                    mode: "credential".into(),
                    purpose: "benchmark".into(),
                    attributes: vec!["name".into()],
                    expires_in_seconds: None,
                },
            )
            .await?;
        let events = http
            .get(format!("{}/v1/sessions/{}/events", args.server, created.session_id))
            .basic_auth(party.0, Some(party.1))
            .send()
            .await?;
        let watcher = tokio::spawn(completed_at(events));
        let secret: [u8; 32] = hex::decode(&created.secret)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("bad secret"))?;
        let frame = session_frame(&secret, &created.session_id, unix_ms(SystemClock.now()));
        client.scan_session(&frame, wallet).await?;
        client.consent_session(&created.session_id, wallet).await?;
        let proof = CompleteSessionRequest {
            code: wallet.qr(credential, qr_key)?,
            ..Default::default()
        };
        let submitted = Instant::now();
        let answer = client.complete_session(&created.session_id, &proof, wallet).await?;
        to_answer.push(submitted.elapsed());
        anyhow::ensure!(
            answer.result == "success",
            "session {} answered {}",
            created.session_id,
            answer.result
        );
        let arrived = tokio::time::timeout(Duration::from_secs(5), watcher).await???;
        to_event.push(arrived.duration_since(submitted));
    }
    let seconds = started.elapsed().as_secs_f64();
    let own_after = wz_http::process_cpu_seconds();
    let cpu_after = server_cpu(&http, &args.server).await;
    let mut whole: Vec<f64> = to_event.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    whole.sort_by(f64::total_cmp);
    let phase = Phase::from_latencies(
        &whole,
        0,
        seconds,
        cpu_before.zip(cpu_after).map(|(b, a)| a - b),
        own_before.zip(own_after).map(|(b, a)| a - b),
    );
    if let Some(floor) = &floor {
        floor.print("HTTP floor (a body the size of the wallet's proof, 64 connections)", None);
    }
    phase.print(
        "sessions one after another (create, event stream, scan, consent, prove; latency: submit to event)",
        floor.as_ref(),
    );
    let report = |name: &str, mut times: Vec<Duration>| {
        times.sort();
        let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
        println!(
            "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} sessions",
            at(0.5),
            at(0.99),
            at(1.0),
            times.len()
        );
    };
    report("wallet submit -> wallet answer", to_answer);
    report("wallet submit -> RP server-sent event", to_event);
    Ok(ExitCode::SUCCESS)
}

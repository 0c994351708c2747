//! `wz bench oidc`: the OpenID Connect provider's token endpoint (code
//! redemption with PKCE and client_secret_basic, ID token signed ES256,
//! the grant stored and audited) and its discovery and JWKS documents,
//! against a running demo server, with the server's CPU time per
//! operation read from `process_cpu_seconds_total` in `/metrics` before
//! and after each measured phase. The codes come from real sign-ins
//! (PAR, the browser's authorization, the wallet scanning, consenting and
//! proving), made before the measured phase. With `--peer URL` the same
//! redemption loop runs against `tests/oidc/peer.mjs` (panva's
//! oidc-provider) and the two are compared per CPU-second.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use base64::Engine;
use sha2::Digest;
use wz_client::{Client, KeySigner};
use wz_proto::{CompleteSessionRequest, OidcClientSettings, RelyingPartyRequest};

use super::admin_client;
use super::bench_phase::{measure, server_cpu, Phase};
use super::bench_qr::enrol_wallets;
use crate::Cli;

#[derive(clap::Args)]
pub struct OidcBenchArgs {
    /// Server URL.
    #[arg(long, env = "WZ_SERVER_URL", default_value = super::DEFAULT_SERVER)]
    server: String,
    /// Codes to redeem (each from a real sign-in; all within their 60 s).
    #[arg(long, default_value_t = 1500)]
    codes: usize,
    /// Concurrent connections while measuring.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Operator token (else WZ_ADMIN_TOKEN or <data_dir>/keys/admin.token).
    #[arg(long, env = "WZ_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Face set whose photos become the benchmark's citizens.
    #[arg(long)]
    faces: Option<std::path::PathBuf>,
    /// A peer provider to measure the same way (`node tests/oidc/peer.mjs PORT`).
    #[arg(long)]
    peer: Option<String>,
    /// Unmeasured rounds of `--codes` redemptions on the peer first: its
    /// JIT needs about three to reach steady state (a compiled server does
    /// not), and steady state is the figure that predicts capacity.
    #[arg(long, default_value_t = 3)]
    peer_warmup: usize,
}

const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// One code to redeem.
#[derive(Clone, serde::Deserialize)]
struct Code {
    code: String,
    verifier: String,
}

/// One whole sign-in by `wallet` for the client: its code and verifier.
async fn sign_in(
    http: &reqwest::Client,
    client: &Client,
    base: &str,
    party: &(String, String),
    wallet: &(KeySigner, String, String),
) -> anyhow::Result<Code> {
    let mut random = [0u8; 32];
    wz_service::Entropy::fill(&wz_service::OsEntropy, &mut random);
    let verifier = b64(random);
    let pushed: serde_json::Value = http
        .post(format!("{base}/oidc/par"))
        .basic_auth(&party.0, Some(&party.1))
        .form(&[
            ("response_type", "code"),
            ("client_id", party.0.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile"),
            ("nonce", "bench"),
            ("code_challenge", b64(sha2::Sha256::digest(verifier.as_bytes())).as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let request_uri = pushed["request_uri"].as_str().context("no request_uri")?;
    let opened = http
        .get(format!("{base}/oidc/authorize"))
        .query(&[("client_id", party.0.as_str()), ("request_uri", request_uri)])
        .send()
        .await?;
    let location = opened
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("no sign-in page")?;
    let handle = location.rsplit_once('#').context("no handle")?.1.to_owned();
    let cookie = opened
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("no cookie")?
        .to_owned();
    let page = format!("{base}/oidc/signin/{handle}");
    let status: serde_json::Value = http
        .get(format!("{page}/status"))
        .header("cookie", &cookie)
        .send()
        .await?
        .json()
        .await?;
    let frame = status["frame"].as_str().context("no frame")?;
    let (signer, credential, qr_key) = wallet;
    let scanned = client.scan_session(frame, signer).await?;
    client.consent_session(&scanned.session_id, signer).await?;
    let proof = CompleteSessionRequest {
        code: signer.qr(credential, qr_key)?,
        ..Default::default()
    };
    client.complete_session(&scanned.session_id, &proof, signer).await?;
    let back = http.get(format!("{page}/finish")).header("cookie", &cookie).send().await?;
    let location = back
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .context("no redirect")?;
    let url = url::Url::parse(location)?;
    let code = url.query_pairs().find(|(k, _)| k == "code").context("no code")?.1.into_owned();
    Ok(Code { code, verifier })
}

/// A token endpoint and the client that redeems there.
struct Target {
    token_endpoint: String,
    party: (String, String),
    redirect: String,
}

/// Redeems `codes` at the target's token endpoint with HTTP Basic.
async fn redeem_all(
    http: &reqwest::Client,
    target: Target,
    codes: Vec<Code>,
    connections: usize,
    cpu: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<f64>> + Send>>,
) -> Phase {
    let codes = Arc::new(codes);
    let (http2, endpoint, party, redirect) = (
        http.clone(),
        Arc::new(target.token_endpoint),
        Arc::new(target.party),
        Arc::new(target.redirect),
    );
    let count = codes.len();
    measure(
        count,
        connections,
        move |i| {
            let (http, codes, endpoint, party, redirect) = (
                http2.clone(),
                Arc::clone(&codes),
                Arc::clone(&endpoint),
                Arc::clone(&party),
                Arc::clone(&redirect),
            );
            async move {
                let Some(code) = codes.get(i) else { return false };
                let response = http
                    .post(endpoint.as_str())
                    .basic_auth(&party.0, Some(&party.1))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.code.as_str()),
                        ("redirect_uri", redirect.as_str()),
                        ("code_verifier", code.verifier.as_str()),
                    ])
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => r.json::<serde_json::Value>().await.is_ok_and(|v| v.get("id_token").is_some()),
                    _ => false,
                }
            }
        },
        cpu(),
        cpu(),
    )
    .await
}

pub async fn run(cli: &Cli, args: &OidcBenchArgs) -> anyhow::Result<ExitCode> {
    let base = args.server.trim_end_matches('/').to_owned();
    let client = Client::new(&base);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let wallets = Arc::new(enrol_wallets(cli, args.admin_token.as_deref(), args.faces.as_deref(), &client).await?);
    let admin = admin_client(cli, &base, args.admin_token.as_deref())?;
    let registered = admin
        .register_relying_party(&RelyingPartyRequest {
            name: "benchmark site".into(),
            category: "government".into(),
            modes: vec!["credential".into()],
            grants: vec!["name".into()],
            webhook_url: None,
            public_key: None,
            alg: None,
            oidc: Some(OidcClientSettings {
                redirect_uris: vec![REDIRECT.into()],
                jwks: None,
                id_token_signed_response_alg: None,
                access_token_lifetime_seconds: None,
            }),
        })
        .await?;
    let party = (registered.relying_party.id.clone(), registered.client_secret.clone());

    // Codes from real sign-ins, eight at a time (not measured).
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, client, base, party, wallets, next, total) = (
            http.clone(),
            client.clone(),
            base.clone(),
            party.clone(),
            Arc::clone(&wallets),
            Arc::clone(&next),
            args.codes,
        );
        tasks.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                match sign_in(&http, &client, &base, &party, &wallets[i % wallets.len()]).await {
                    Ok(code) => codes.push(code),
                    Err(error) => eprintln!("a sign-in failed: {error}"),
                }
            }
            codes
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        codes.extend(task.await?);
    }
    println!(
        "{} codes from real sign-ins in {:.1} s (not measured)",
        codes.len(),
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(!codes.is_empty(), "no sign-in succeeded");

    let cpu_of = |http: reqwest::Client, base: String| {
        move || {
            let (http, base) = (http.clone(), base.clone());
            Box::pin(async move { server_cpu(&http, &base).await })
                as std::pin::Pin<Box<dyn std::future::Future<Output = Option<f64>> + Send>>
        }
    };
    let ours = redeem_all(
        &http,
        Target {
            token_endpoint: format!("{base}/oidc/token"),
            party,
            redirect: REDIRECT.into(),
        },
        codes,
        args.connections,
        cpu_of(http.clone(), base.clone()),
    )
    .await;
    ours.print("token endpoint (redeem code, sign ES256 ID token, store and audit)", None);

    let documents = {
        let (http2, base2) = (http.clone(), base.clone());
        measure(
            4000,
            args.connections,
            move |i| {
                let (http, base) = (http2.clone(), base2.clone());
                async move {
                    let path = if i % 2 == 0 {
                        "/.well-known/openid-configuration"
                    } else {
                        "/oidc/jwks"
                    };
                    http.get(format!("{base}{path}"))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success())
                }
            },
            server_cpu(&http, &base),
            server_cpu(&http, &base),
        )
        .await
    };
    documents.print("discovery and JWKS documents", None);

    if let Some(peer) = &args.peer {
        let peer = peer.trim_end_matches('/').to_owned();
        #[derive(serde::Deserialize)]
        struct PeerSetup {
            client_id: String,
            client_secret: String,
            redirect_uri: String,
            token_endpoint: String,
            codes: Vec<Code>,
        }
        let fetch = || async {
            let setup: PeerSetup = http
                .get(format!("{peer}/bench/codes?n={}", args.codes))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await
                .context("reading the peer's codes (is it tests/oidc/peer.mjs?)")?;
            anyhow::Ok(setup)
        };
        let peer_cpu = {
            let (http, peer) = (http.clone(), peer.clone());
            move || {
                let (http, peer) = (http.clone(), peer.clone());
                Box::pin(async move {
                    let value: serde_json::Value = http.get(format!("{peer}/bench/cpu")).send().await.ok()?.json().await.ok()?;
                    value["seconds"].as_f64()
                }) as std::pin::Pin<Box<dyn std::future::Future<Output = Option<f64>> + Send>>
            }
        };
        let target = |setup: &PeerSetup| Target {
            token_endpoint: setup.token_endpoint.clone(),
            party: (setup.client_id.clone(), setup.client_secret.clone()),
            redirect: setup.redirect_uri.clone(),
        };
        for round in 1..=args.peer_warmup {
            let setup = fetch().await?;
            let warm = redeem_all(&http, target(&setup), setup.codes, args.connections, peer_cpu.clone()).await;
            warm.print(&format!("peer warm-up round {round} (not counted)"), None);
        }
        let setup = fetch().await?;
        let theirs = redeem_all(&http, target(&setup), setup.codes, args.connections, peer_cpu).await;
        theirs.print("peer (oidc-provider) token endpoint, same redemption", None);
        if let (Some(a), Some(b)) = (ours.per_cpu_second(), theirs.per_cpu_second()) {
            println!(
                "redemptions per server CPU-second: ours {a:.0}, peer {b:.0}: {:.2}x the peer",
                a / b
            );
        }
    }
    Ok(if ours.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

//! `wz bench limits`: this machine's own limits, measured in one run so
//! the other benchmarks can be stated as multiples of them (issue #19):
//! the HTTP floor (an axum handler in its own process that parses a body
//! of the given size and answers, driven by the same load generator as
//! the real endpoints), SM2 sign and verify and HMAC-SM3 on one core, and
//! a group-committed SQLite insert of a nonce row. Every figure is CPU
//! time per operation; rates are printed beside them but swing with the
//! machine's other load.

use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::AsyncBufReadExt;
use wz_crypto::{MacKey, Sm2SigningKey};
use wz_service::{EntropyRng, GroupCommit, OsEntropy};
use wz_store::NonceUse;

use super::bench_phase::{measure, server_cpu, Phase};

#[derive(clap::Args)]
pub struct LimitsBenchArgs {
    /// Requests to the HTTP floor.
    #[arg(long, default_value_t = 100_000)]
    requests: usize,
    /// Concurrent connections to the HTTP floor.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Size of the JSON body sent to the floor (a wallet QR code request
    /// is about this size).
    #[arg(long, default_value_t = 700)]
    body_bytes: usize,
    /// Nonce rows inserted through the group commit.
    #[arg(long, default_value_t = 50_000)]
    nonces: usize,
    /// Seconds each one-core operation runs.
    #[arg(long, default_value_t = 2.0)]
    core_seconds: f64,
}

/// The floor server, a child process of this one (`wz bench floor-server`),
/// stopped when dropped.
pub(crate) struct FloorServer {
    _child: tokio::process::Child,
    /// Its base URL.
    pub url: String,
}

impl FloorServer {
    /// Starts `wz bench floor-server` on a free port and waits for it.
    pub async fn start() -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("finding the wz binary to start the HTTP floor")?;
        let mut child = tokio::process::Command::new(exe)
            .args(["bench", "floor-server"])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting the HTTP floor (wz bench floor-server)")?;
        let stdout = child.stdout.take().context("the floor's output")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .context("the HTTP floor did not start within 10 s")??
            .context("the HTTP floor exited before it listened")?;
        let url = line.trim().to_owned();
        anyhow::ensure!(url.starts_with("http://"), "the HTTP floor said {url:?}");
        Ok(Self { _child: child, url })
    }

    /// `count` requests carrying `body` from `connections` connections.
    pub async fn measure(&self, http: &reqwest::Client, body: Vec<u8>, count: usize, connections: usize) -> Phase {
        let (endpoint, body) = (Arc::new(format!("{}/floor", self.url)), Arc::new(body));
        let client = http.clone();
        measure(
            count,
            connections,
            move |_| {
                let (client, endpoint, body) = (client.clone(), Arc::clone(&endpoint), Arc::clone(&body));
                async move {
                    let response = client
                        .post(endpoint.as_str())
                        .header("content-type", "application/json")
                        .body(body.as_ref().clone())
                        .send()
                        .await;
                    match response {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        _ => false,
                    }
                }
            },
            server_cpu(http, &self.url),
            server_cpu(http, &self.url),
        )
        .await
    }
}

/// Serves the floor on 127.0.0.1:`port` and prints its URL on the first line.
pub async fn serve_floor(port: u16) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("http://{}", listener.local_addr()?);
    wz_http::serve_floor(listener).await?;
    Ok(ExitCode::SUCCESS)
}

/// The floor measured with `body`: after an unmeasured warm-up (the first
/// connections and allocations are not the steady state), three rounds of
/// `count` requests, of which the round with the median server CPU per
/// request is returned (a round's CPU moves by ±20 % with how the two
/// cores happen to share the floor and the load generator).
pub(crate) async fn floor(http: &reqwest::Client, body: Vec<u8>, count: usize, connections: usize) -> anyhow::Result<Phase> {
    let server = FloorServer::start().await?;
    server.measure(http, body.clone(), (count / 10).max(connections), connections).await;
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let phase = server.measure(http, body.clone(), count, connections).await;
        anyhow::ensure!(phase.failed == 0, "{} requests to the HTTP floor failed", phase.failed);
        rounds.push(phase);
    }
    rounds.sort_by(|a, b| a.server_ms_per_op().unwrap_or(0.0).total_cmp(&b.server_ms_per_op().unwrap_or(0.0)));
    Ok(rounds.swap_remove(1))
}

/// A JSON body of about `bytes` bytes, shaped like a QR verification.
fn body_of(bytes: usize) -> Vec<u8> {
    serde_json::json!({ "code": "A".repeat(bytes.saturating_sub(12)) })
        .to_string()
        .into_bytes()
}

/// One-thread cost of `work`, run for about `budget`: (operations per
/// wall-clock second, CPU microseconds per operation; the thread's CPU
/// is counted in ticks of 1/100 s, so two seconds are good to about 1 %).
pub(crate) fn per_core(budget: Duration, mut work: impl FnMut()) -> (f64, Option<f64>) {
    let cpu_before = wz_http::thread_cpu_seconds();
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < budget {
        work();
        count += 1;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = wz_http::thread_cpu_seconds()
        .zip(cpu_before)
        .map(|(a, b)| (a - b) * 1e6 / count.max(1) as f64);
    (count as f64 / wall, cpu)
}

fn print_core(name: &str, (rate, cpu_us): (f64, Option<f64>)) {
    let cpu = cpu_us.map_or("n/a".to_owned(), |us| format!("{us:.2} µs CPU"));
    println!("  {name:<34} {cpu:>16} per op ({rate:>9.0}/s on one core)");
}

/// Nonce rows inserted through a group commit into a fresh SQLite file:
/// process CPU per row (this process does nothing else meanwhile), rows
/// per wall second, and the mean batch size.
async fn sqlite_group_commit(nonces: usize, connections: usize) -> anyhow::Result<(Phase, f64)> {
    let folder = tempfile::tempdir()?;
    let store = Arc::new(
        wz_store_sqlite::open(&wz_store_sqlite::SqliteConfig {
            path: folder.path().join("limits.db"),
            read_connections: 1,
        })
        .await?,
    );
    let batches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let queue = {
        let (store, batches) = (Arc::clone(&store), Arc::clone(&batches));
        GroupCommit::new(256, move |items: Vec<NonceUse>| {
            let (store, batches) = (Arc::clone(&store), Arc::clone(&batches));
            Box::pin(async move {
                batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let count = items.len();
                wz_store::CredentialStore::consume_nonces(store.as_ref(), &items)
                    .await
                    .unwrap_or_else(|_| vec![false; count])
            }) as wz_service::BatchFuture<bool>
        })
    };
    let cpu = || async { wz_http::process_cpu_seconds() };
    let phase = measure(
        nonces,
        connections,
        move |index| {
            let queue = queue.clone();
            async move {
                let mut nonce = [0u8; 16];
                nonce[..8].copy_from_slice(&(index as u64).to_be_bytes());
                let row = NonceUse {
                    kind: "bench",
                    nonce,
                    expires_at_ms: i64::MAX,
                    credential: None,
                };
                queue.submit(row).await == Some(true)
            }
        },
        cpu(),
        cpu(),
    )
    .await;
    drop(store);
    let batches = batches.load(std::sync::atomic::Ordering::Relaxed).max(1);
    Ok((phase, nonces as f64 / batches as f64))
}

pub async fn run(args: &LimitsBenchArgs) -> anyhow::Result<ExitCode> {
    let http = reqwest::Client::new();
    let floor = floor(&http, body_of(args.body_bytes), args.requests, args.connections).await?;
    floor.print(&format!("HTTP floor (axum, parse a {} B JSON body, answer)", args.body_bytes), None);
    if let Some(per_second) = floor.per_cpu_second() {
        println!("  = {per_second:.0} requests per server CPU-second");
    }

    anyhow::ensure!(
        args.core_seconds > 0.0 && args.core_seconds <= 60.0,
        "--core-seconds must be above 0 and at most 60"
    );
    anyhow::ensure!(args.requests > 0 && args.nonces > 0, "--requests and --nonces must be at least 1");
    let budget = Duration::from_secs_f64(args.core_seconds);
    let key = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "bench")?;
    let public = key.verifying_key();
    let message = [7u8; 120];
    let signature = key.sign(&message)?;
    let mac = MacKey::from_bytes([3; 32]);
    println!("one core, about {} s each:", args.core_seconds);
    print_core(
        "SM2 sign (120 B, Z_A rule)",
        per_core(budget, || {
            let _ = key.sign(&message);
        }),
    );
    print_core(
        "SM2 verify (120 B, Z_A rule)",
        per_core(budget, || {
            let _ = public.verify(&message, &signature);
        }),
    );
    print_core(
        "HMAC-SM3 (64 B)",
        per_core(budget, || {
            let _ = mac.mac(&message[..64]);
        }),
    );

    let (inserts, mean_batch) = sqlite_group_commit(args.nonces, args.connections).await?;
    inserts.print(
        &format!("SQLite group-committed nonce insert (synchronous=FULL, mean batch {mean_batch:.0}), CPU of this process"),
        None,
    );
    anyhow::ensure!(inserts.failed == 0, "{} nonce inserts failed", inserts.failed);
    Ok(ExitCode::SUCCESS)
}

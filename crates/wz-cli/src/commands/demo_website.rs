//! `wz demo website`: the demo relying party (crate `wz-demo-rp`) as its
//! own process, and how `wz serve --demo` starts it beside itself.
//!
//! Started by the server, it is given its client credentials in its
//! environment (not its command line, which other users can read), prints
//! the URL it listens on as its first line, and ends when its standard
//! input closes: the server holds the other end, so the website goes with
//! it however the server ends, SIGKILL included.

use std::net::SocketAddr;
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// The client id variable.
const CLIENT_ID: &str = "WZ_DEMO_WEBSITE_CLIENT_ID";
/// The client secret variable.
const CLIENT_SECRET: &str = "WZ_DEMO_WEBSITE_CLIENT_SECRET";
/// Tries at discovery before giving up (one a second).
const DISCOVERY_TRIES: u32 = 20;

#[derive(clap::Args)]
pub struct WebsiteArgs {
    /// Where the website listens (ADDRESS:PORT; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Its client id (the relying party's id).
    #[arg(long, env = CLIENT_ID)]
    client_id: String,
    /// Stop when standard input closes (how `wz serve --demo` runs it).
    #[arg(long)]
    exit_with_stdin: bool,
}

/// Runs the website against the provider at `issuer`.
pub async fn run(issuer: &str, args: &WebsiteArgs) -> anyhow::Result<ExitCode> {
    let client_secret = std::env::var(CLIENT_SECRET).with_context(|| format!("{CLIENT_SECRET} must hold the client secret"))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    let config = wz_demo_rp::DemoRpConfig {
        issuer: issuer.trim_end_matches('/').to_owned(),
        client_id: args.client_id.clone(),
        client_secret,
        redirect_uri: format!("{url}/callback"),
    };
    let rp = discover(&config).await?;
    println!("{url}");
    wz_demo_rp::serve(listener, rp, stop_signal(args.exit_with_stdin))
        .await
        .context("serving the demo website")?;
    Ok(ExitCode::SUCCESS)
}

/// Discovers the provider, retrying for a while (the server that started
/// this process may still be opening).
pub async fn discover(config: &wz_demo_rp::DemoRpConfig) -> anyhow::Result<wz_demo_rp::DemoRp> {
    let mut tries = 0;
    loop {
        match wz_demo_rp::DemoRp::discover(config).await {
            Ok(rp) => return Ok(rp),
            Err(_) if tries + 1 < DISCOVERY_TRIES => {
                tries += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error).context(format!("discovering the provider at {}", config.issuer)),
        }
    }
}

/// A website started beside a demo server (the demo website, the service
/// hall): its process and URL.
pub struct Website {
    /// Held so that the website lives as long as this process (its stdin).
    _child: Child,
    /// Its standard output, kept open.
    _output: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    /// Where it listens.
    pub url: String,
}

/// Starts `wz demo website` for the server at `issuer` with the demo
/// website party's credentials and waits for its URL.
pub async fn start(issuer: &str, party: &wz_server::DemoParty, listen: SocketAddr) -> anyhow::Result<Website> {
    let args = ["demo", "--server", issuer, "website", "--exit-with-stdin", "--listen"].map(str::to_owned);
    start_child(
        "the demo website",
        &args,
        listen,
        &[(CLIENT_ID, &party.client_id), (CLIENT_SECRET, &party.client_secret)],
    )
    .await
}

/// Starts `wz ARGS… LISTEN` with `env` (credentials stay out of the
/// command line) and waits for the URL it prints first.
pub async fn start_child(what: &str, args: &[String], listen: SocketAddr, env: &[(&str, &str)]) -> anyhow::Result<Website> {
    let exe = std::env::current_exe().context("finding the wz binary")?;
    let mut command = Command::new(exe);
    command.args(args).arg(listen.to_string());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let stdout = child.stdout.take().with_context(|| format!("{what}'s output"))?;
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .with_context(|| format!("{what} did not start within 30 s"))??
        .with_context(|| format!("{what} ended before it started"))?;
    if !first.starts_with("http://") {
        anyhow::bail!("{what} said `{first}` instead of its URL");
    }
    Ok(Website {
        _child: child,
        _output: lines,
        url: first,
    })
}

/// Waits until standard input closes (`exit_with_stdin`, how a demo
/// server runs its websites) or Ctrl-C.
pub async fn stop_signal(exit_with_stdin: bool) {
    if exit_with_stdin {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    } else {
        let _ = tokio::signal::ctrl_c().await;
    }
}

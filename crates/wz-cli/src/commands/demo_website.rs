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
    let mut tries = 0;
    let rp = loop {
        match wz_demo_rp::DemoRp::discover(&config).await {
            Ok(rp) => break rp,
            Err(_) if tries + 1 < DISCOVERY_TRIES => {
                tries += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => return Err(error).context(format!("discovering the provider at {}", config.issuer)),
        }
    };
    println!("{url}");
    let exit_with_stdin = args.exit_with_stdin;
    let stop = async move {
        if exit_with_stdin {
            let mut sink = Vec::new();
            let _ = tokio::io::stdin().read_to_end(&mut sink).await;
        } else {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    wz_demo_rp::serve(listener, rp, stop).await.context("serving the demo website")?;
    Ok(ExitCode::SUCCESS)
}

/// The website started beside a demo server: its process and URL.
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
    let exe = std::env::current_exe().context("finding the wz binary")?;
    let mut child = Command::new(exe)
        .args(["demo", "--server", issuer, "website", "--exit-with-stdin", "--listen"])
        .arg(listen.to_string())
        .env(CLIENT_ID, &party.client_id)
        .env(CLIENT_SECRET, &party.client_secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the demo website")?;
    let stdout = child.stdout.take().context("the demo website's output")?;
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .context("the demo website did not start within 30 s")??
        .context("the demo website ended before it started")?;
    if !first.starts_with("http://") {
        anyhow::bail!("the demo website said `{first}` instead of its URL");
    }
    Ok(Website {
        _child: child,
        _output: lines,
        url: first,
    })
}

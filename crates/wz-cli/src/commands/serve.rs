//! `wz serve`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Args;
use wz_server::LogFormat;

use crate::Cli;

#[derive(Args)]
pub struct ServeArgs {
    /// Demo mode: seed a population if the registry is empty, allow self-enrolment.
    #[arg(long)]
    demo: bool,
    /// Where to listen: a port (9090, on 127.0.0.1) or ADDRESS:PORT
    /// (0.0.0.0:9090, `[::1]:9090`). Default 127.0.0.1:8080.
    #[arg(long, value_parser = parse_listen)]
    listen: Option<SocketAddr>,
    /// Port on 127.0.0.1: shorthand for --listen PORT.
    #[arg(long, conflicts_with = "listen")]
    port: Option<u16>,
    /// Log lines as `pretty` text (no colour unless stderr is a terminal)
    /// or `json`, one object per line.
    #[arg(long, value_parser = ["pretty", "json"])]
    log_format: Option<String>,
}

/// `9090`, `:9090`, `localhost:9090` or `ADDRESS:PORT`.
fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let port_only = text.strip_prefix(':').unwrap_or(text);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        if let Ok(port) = port.parse::<u16>() {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        }
    }
    text.parse::<SocketAddr>().map_err(|_| {
        format!("`{text}` is not a port or ADDRESS:PORT; for example --listen 9090, --listen 0.0.0.0:9090 or --listen [::1]:9090")
    })
}

pub async fn run(cli: &Cli, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let listen = args
        .listen
        .or(args.port.map(|port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)));
    let mut overrides = cli.overrides(args.demo.then_some(true), listen);
    overrides.log_format = args
        .log_format
        .as_deref()
        .map(|f| if f == "json" { LogFormat::Json } else { LogFormat::Pretty });
    let config = wz_server::Config::load(cli.config.as_deref(), &overrides)?;
    wz_server::init_tracing(&config.log);
    // Bind first: a port in use must not leave a seeded data directory.
    let listener = wz_server::bind(&config).await?;
    cli.announce_data_dir(&config);
    let opened = wz_server::open_services(&config).await?;
    let (server, citizens, website, hall) = if config.demo {
        println!("Preparing the demo registry ({} people)...", config.demo_people);
        let (server, setup) = wz_server::start_demo_on(Some(listener), &config, &opened).await?;
        let website = start_website(&config, &opened, &server, &setup).await;
        let hall = start_hall(&config, &opened, &server, &setup).await;
        (server, setup.citizens, website, hall)
    } else {
        (wz_server::start_on(listener, &config, &opened).await?, Vec::new(), None, None)
    };
    let url = server.url();
    println!();
    println!("WangZheng (网证) is running. Open:");
    println!("  {url}/                   landing page: where to begin");
    println!("  {url}/wallet             citizen wallet (phone)");
    println!("  {url}/window             service-window console");
    println!("  {url}/hotel              hotel desk");
    println!("  {url}/kiosk              trusted-terminal kiosk");
    println!("  {url}/admin              admin console");
    if config.demo {
        println!("  {url}/registry-office    demo registry office (enrol yourself)");
    }
    if let Some(website) = &website {
        println!("  {}/    demo website: sign in with WangZheng (OpenID Connect)", website.url);
    }
    if let Some(hall) = &hall {
        println!(
            "  {}/    online service hall (网上办事大厅): apply by face; back office at /office",
            hall.url
        );
    }
    println!("  {url}/v1/openapi.json    API description");
    println!("  {url}/v1/keys            published keys");
    println!("  {url}/healthz  {url}/readyz  {url}/metrics");
    println!("Data directory: {}", config.data_dir.display());
    println!("Operator token: {}", opened.admin_token_path.display());
    println!(
        "Registry: {} identities in {}",
        opened.services.registry.count().await?,
        config.database_url()
    );
    if !citizens.is_empty() {
        println!("\nDemo citizens (synthetic; portraits from the face set where shown):");
        for citizen in &citizens {
            println!(
                "  {}  {}  {}",
                citizen.id_number,
                citizen.name,
                citizen.portrait_source.as_deref().unwrap_or("-")
            );
        }
        println!("\nTry, in another terminal:");
        // Other commands find this server and data directory only if told
        // where they are when they differ from the defaults.
        let mut exports = Vec::new();
        if url != super::DEFAULT_SERVER {
            exports.push(format!("WZ_SERVER_URL={url}"));
        }
        if config.data_dir != wz_server::default_data_dir() {
            let dir = std::fs::canonicalize(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
            exports.push(format!("WZ_DATA_DIR={}", dir.display()));
        }
        if let Some(database) = &config.database_url {
            if database.starts_with("postgres") {
                exports.push("WZ_DATABASE_URL=…".to_owned());
            }
        }
        if !exports.is_empty() {
            println!("  export {}", exports.join(" "));
        }
        println!(
            "  wz card issue --id-number {} --out card.json && wz card read card.json",
            citizens[0].id_number
        );
    }
    println!("\nPress Ctrl-C to stop.");
    wz_server::serve(server).await?;
    Ok(ExitCode::SUCCESS)
}

/// The address a website beside the server listens on: the server's
/// port plus `offset` when there is one, else any free port.
fn beside(server: &wz_server::RunningServer, offset: u16) -> SocketAddr {
    let ip = match server.addr.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let port = match server.addr.port() {
        0 => 0,
        port => port.checked_add(offset).unwrap_or(0),
    };
    SocketAddr::new(ip, port)
}

/// Starts a relying party beside the server — on the port `offset` above
/// the server's, else any free port when that one is taken — then `point`s
/// the platform's registration at its `/callback` (the redirect URI must be
/// registered before a citizen signs in, but the port is known only once it
/// is bound). One that cannot start is reported and the demo goes on.
async fn start_relying_party<S, P>(
    server: &wz_server::RunningServer,
    offset: u16,
    what: &str,
    start: S,
    point: P,
) -> Option<super::demo_website::Website>
where
    S: AsyncFn(SocketAddr) -> anyhow::Result<super::demo_website::Website>,
    P: AsyncFnOnce(String) -> anyhow::Result<()>,
{
    let at = beside(server, offset);
    let mut started = start(at).await;
    if started.is_err() && at.port() != 0 {
        started = start(SocketAddr::new(at.ip(), 0)).await;
    }
    let result = match started {
        Ok(website) => point(format!("{}/callback", website.url)).await.map(|()| website),
        Err(error) => Err(error),
    };
    report(what, result)
}

/// The demo website, one port up.
async fn start_website(
    config: &wz_server::Config,
    opened: &wz_server::OpenedServices,
    server: &wz_server::RunningServer,
    setup: &wz_server::DemoSetup,
) -> Option<super::demo_website::Website> {
    let issuer = wz_server::public_url(config, server.addr);
    start_relying_party(
        server,
        1,
        "the demo website",
        async |at| super::demo_website::start(&issuer, &setup.website, at).await,
        async |uri| Ok(wz_server::point_demo_website(&opened.services, setup, &uri).await?),
    )
    .await
}

/// The online service hall, two ports up, with its own data under
/// `<data_dir>/hall`.
async fn start_hall(
    config: &wz_server::Config,
    opened: &wz_server::OpenedServices,
    server: &wz_server::RunningServer,
    setup: &wz_server::DemoSetup,
) -> Option<super::demo_website::Website> {
    let issuer = wz_server::public_url(config, server.addr);
    start_relying_party(
        server,
        2,
        "the service hall",
        async |at| super::hall::start(&issuer, &setup.hall, &config.data_dir, at).await,
        async |uri| Ok(wz_server::point_demo_hall(&opened.services, setup, &uri).await?),
    )
    .await
}

fn report(what: &str, result: anyhow::Result<super::demo_website::Website>) -> Option<super::demo_website::Website> {
    match result {
        Ok(website) => Some(website),
        Err(error) => {
            eprintln!("warning: {what} did not start: {}", crate::one_line(&error));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_listen;

    #[test]
    fn listen_takes_a_bare_port_or_an_address() {
        assert_eq!(parse_listen("9090").unwrap().to_string(), "127.0.0.1:9090");
        assert_eq!(parse_listen(":9090").unwrap().to_string(), "127.0.0.1:9090");
        assert_eq!(parse_listen("localhost:9090").unwrap().to_string(), "127.0.0.1:9090");
        assert_eq!(parse_listen("0.0.0.0:80").unwrap().to_string(), "0.0.0.0:80");
        assert_eq!(parse_listen("[::1]:80").unwrap().to_string(), "[::1]:80");
        let refused = parse_listen("90x0").unwrap_err();
        assert!(refused.contains("--listen 9090"), "{refused}");
    }
}

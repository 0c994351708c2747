//! `wz serve`.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;

use crate::Cli;

#[derive(Args)]
pub struct ServeArgs {
    /// Demo mode: seed a population if the registry is empty, allow self-enrolment.
    #[arg(long)]
    demo: bool,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<SocketAddr>,
}

pub async fn run(cli: &Cli, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = cli.config(args.demo.then_some(true), args.listen)?;
    wz_server::init_tracing(&config.log);
    let opened = wz_server::open_services(&config).await?;
    let (server, citizens) = if config.demo {
        println!("Preparing the demo registry ({} people)...", config.demo_people);
        let (server, setup) = wz_server::start_demo(&config, &opened).await?;
        (server, setup.citizens)
    } else {
        (wz_server::start(&config, &opened).await?, Vec::new())
    };
    let url = server.url();
    println!();
    println!("WangZheng (网证) is running. Open:");
    println!("  {url}/                   landing page");
    println!("  {url}/wallet             citizen wallet (phone)");
    println!("  {url}/window             service-window console");
    println!("  {url}/hotel              hotel desk");
    println!("  {url}/kiosk              trusted-terminal kiosk");
    println!("  {url}/admin              admin console");
    if config.demo {
        println!("  {url}/registry-office    demo registry office (enrol yourself)");
    }
    println!("  {url}/v1/openapi.json    API description");
    println!("  {url}/v1/keys            published keys");
    println!("  {url}/healthz  {url}/readyz  {url}/metrics");
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
        println!(
            "Try: wz card issue --id-number {} --out card.json && wz card read card.json",
            citizens[0].id_number
        );
    }
    println!("\nPress Ctrl-C to stop.");
    wz_server::serve(server).await?;
    Ok(ExitCode::SUCCESS)
}

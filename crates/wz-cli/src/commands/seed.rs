//! `wz seed` and `wz migrate`: offline operator tasks.

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use wz_core::{PersonGenerator, PopulationSpec};
use wz_service::SeedPerson;

use crate::Cli;

#[derive(Args)]
pub struct SeedArgs {
    /// How many people to generate.
    #[arg(long)]
    people: usize,
    /// Seed: the same seed and date give the same people.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// People per transaction.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
}

pub async fn migrate(cli: &Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config(None, None)?;
    cli.announce_data_dir(&config);
    let opened = wz_server::open_services(&config).await?;
    println!(
        "database {} is up to date; {} identities",
        config.database_url(),
        opened.services.registry.count().await?
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run(cli: &Cli, args: &SeedArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.people > 0 && args.batch > 0, "--people and --batch must be positive");
    // Adds to an existing registry: seeding into a folder that holds none
    // would make a new registry nobody serves (`wz migrate` creates one).
    let (config, opened) = cli.open_existing(None).await?;
    let today = opened.services.context.clock.now().date();
    let mut generator = PersonGenerator::new(PopulationSpec { seed: args.seed, today });
    let started = Instant::now();
    let mut done = 0usize;
    while done < args.people {
        let size = args.batch.min(args.people - done);
        let batch: Vec<SeedPerson> = (0..size)
            .map(|_| {
                let (record, status) = generator.next_person();
                SeedPerson { record, status }
            })
            .collect();
        opened.services.registry.seed(&batch, "cli.seed").await?;
        done += size;
        if done.is_multiple_of(100_000) || done == args.people {
            eprintln!("  {done} people, {:.1} s", started.elapsed().as_secs_f64());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seeded {done} people in {seconds:.1} s ({:.0} per second) into {}",
        done as f64 / seconds,
        config.database_url()
    );
    Ok(ExitCode::SUCCESS)
}

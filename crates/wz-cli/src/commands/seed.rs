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
    #[arg(long, default_value_t = 100_000)]
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
    let registry = opened.services.registry.clone();
    let started = Instant::now();
    // Generation and sealing (CPU) run on their own thread, a batch or two
    // ahead of the inserts, so the database is never waiting for them.
    let (sealed, mut batches) = tokio::sync::mpsc::channel(2);
    let (people, batch_size, seed) = (args.people, args.batch, args.seed);
    let sealer = registry.clone();
    let producer = tokio::task::spawn_blocking(move || {
        let mut generator = PersonGenerator::new(PopulationSpec { seed, today });
        let mut made = 0usize;
        while made < people {
            let size = batch_size.min(people - made);
            let batch: Vec<SeedPerson> = (0..size)
                .map(|_| {
                    let (record, status) = generator.next_person();
                    SeedPerson { record, status }
                })
                .collect();
            made += size;
            if sealed.blocking_send(sealer.seal_batch(&batch)).is_err() {
                return;
            }
        }
    });
    let mut done = 0usize;
    while let Some(batch) = batches.recv().await {
        let batch = batch?;
        let size = batch.len();
        registry.seed_sealed(batch, "cli.seed").await?;
        let before = done;
        done += size;
        if done / 1_000_000 > before / 1_000_000 || (done < 1_000_000 && done / 100_000 > before / 100_000) || done == args.people {
            eprintln!("  {done} people, {:.1} s", started.elapsed().as_secs_f64());
        }
    }
    producer.await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seeded {done} people in {seconds:.1} s ({:.0} per second) into {}",
        done as f64 / seconds,
        config.database_url()
    );
    Ok(ExitCode::SUCCESS)
}

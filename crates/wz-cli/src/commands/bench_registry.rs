//! `wz bench registry`: the latency of one registry lookup (ID number →
//! keyed lookup digest → row → SM4-opened record) in a seeded registry, to
//! see how it grows with the registry's size. The sample is the first
//! people `wz seed` made with the same seed today: their keys are keyed
//! digests, so where their rows sit in the index has nothing to do with
//! when they were inserted.

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use wz_core::{PersonGenerator, PopulationSpec};

use crate::Cli;

#[derive(Args)]
pub struct RegistryBenchArgs {
    /// Lookups to time.
    #[arg(long, default_value_t = 20_000)]
    samples: usize,
    /// The seed `wz seed` was run with.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub async fn run(cli: &Cli, args: &RegistryBenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.samples > 0, "--samples must be positive");
    let (config, opened) = cli.open_existing(None).await?;
    let registry = &opened.services.registry;
    let size = registry.count().await?;
    let today = opened.services.context.clock.now().date();
    let mut generator = PersonGenerator::new(PopulationSpec { seed: args.seed, today });
    let mut ids: Vec<_> = (0..args.samples).map(|_| generator.next_person().0.id_number).collect();
    // A fixed order (from the seed): the same run twice reads the same rows.
    ids.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(args.seed));
    let (mut times, mut missing) = (Vec::with_capacity(ids.len()), 0usize);
    let started = Instant::now();
    for id in &ids {
        let start = Instant::now();
        let found = registry.find(id).await?;
        times.push(start.elapsed().as_secs_f64() * 1_000.0);
        missing += usize::from(found.is_none());
    }
    let wall = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        missing == 0,
        "{missing} of {} sampled people are not in the registry: seed it with `wz seed --seed {}` today first",
        ids.len(),
        args.seed
    );
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "registry of {size} identities ({}): {} lookups one after another, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {:.0} per second",
        config.database_url(),
        times.len(),
        at(0.50),
        at(0.99),
        times[times.len() - 1],
        times.len() as f64 / wall
    );
    Ok(ExitCode::SUCCESS)
}

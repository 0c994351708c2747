//! What every HTTP benchmark measures the same way (issue #19): a phase of
//! requests from concurrent connections, its rate and latency, and the
//! CPU time it cost — the server's, read from `process_cpu_seconds_total`
//! in its `/metrics` just before and just after the phase, so setup work
//! (enrolment, signing codes) is never counted, and the load generator's
//! own. CPU per operation is the figure that predicts capacity; a rate on
//! a shared 2-core machine swings by 2× from run to run.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What a measured phase cost.
pub(crate) struct Phase {
    /// Operations that succeeded.
    pub done: usize,
    /// Operations that failed.
    pub failed: usize,
    /// Wall-clock seconds of the phase.
    pub seconds: f64,
    /// The target's CPU seconds over the phase, where it tells.
    pub server_cpu: Option<f64>,
    /// This process's CPU seconds over the phase.
    pub own_cpu: Option<f64>,
    /// Latency of a successful operation, milliseconds.
    pub p50_ms: f64,
    /// Latency of a successful operation, milliseconds.
    pub p99_ms: f64,
}

impl Phase {
    /// From the sorted latencies of the successes and the CPU readings.
    pub fn from_latencies(sorted_ms: &[f64], failed: usize, seconds: f64, server_cpu: Option<f64>, own_cpu: Option<f64>) -> Self {
        Self {
            done: sorted_ms.len(),
            failed,
            seconds,
            server_cpu,
            own_cpu,
            p50_ms: percentile(sorted_ms, 0.5),
            p99_ms: percentile(sorted_ms, 0.99),
        }
    }

    /// The target's CPU milliseconds per successful operation.
    pub fn server_ms_per_op(&self) -> Option<f64> {
        self.server_cpu.map(|cpu| cpu * 1000.0 / self.done.max(1) as f64)
    }

    fn own_ms_per_op(&self) -> Option<f64> {
        self.own_cpu.map(|cpu| cpu * 1000.0 / self.done.max(1) as f64)
    }

    /// Operations per CPU-second of the target.
    pub fn per_cpu_second(&self) -> Option<f64> {
        self.server_cpu.filter(|c| *c > 0.0).map(|c| self.done as f64 / c)
    }

    /// One line: count, rate, latency, CPU per operation on both sides,
    /// and, given the floor measured in the same run, the server's CPU per
    /// operation as a multiple of it.
    pub fn print(&self, what: &str, floor: Option<&Phase>) {
        let ms = |value: Option<f64>| value.map_or("n/a".to_owned(), |v| format!("{v:.3} ms"));
        let ratio = match (self.server_ms_per_op(), floor.and_then(Phase::server_ms_per_op)) {
            (Some(ours), Some(floor)) if floor > 0.0 => format!("; {:.1}x the HTTP floor", ours / floor),
            _ => String::new(),
        };
        println!(
            "{what}: {} in {:.2} s: {:.0}/s; p50 {:.2} ms, p99 {:.2} ms; server CPU {} per op{ratio}; load generator CPU {} per op{}",
            self.done,
            self.seconds,
            self.done as f64 / self.seconds.max(f64::MIN_POSITIVE),
            self.p50_ms,
            self.p99_ms,
            ms(self.server_ms_per_op()),
            ms(self.own_ms_per_op()),
            if self.failed > 0 {
                format!("; {} FAILED", self.failed)
            } else {
                String::new()
            }
        );
    }
}

/// The value at quantile `q` of sorted values (0 when there are none).
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len().saturating_sub(1)) as f64 * q).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// A server's CPU seconds from its Prometheus metrics.
pub(crate) async fn server_cpu(http: &reqwest::Client, base: &str) -> Option<f64> {
    let text = http.get(format!("{base}/metrics")).send().await.ok()?.text().await.ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("process_cpu_seconds_total "))
        .and_then(|v| v.trim().parse().ok())
}

/// Runs `request(0..count)` from `connections` tasks, each taking the next
/// index until none is left; `request` answers whether the operation
/// succeeded. `cpu` and `cpu_after` read the target's CPU seconds just
/// before and just after.
pub(crate) async fn measure<F, Fut>(
    count: usize,
    connections: usize,
    request: F,
    cpu: impl Future<Output = Option<f64>>,
    cpu_after: impl Future<Output = Option<f64>>,
) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let before = cpu.await;
    let own_before = wz_http::process_cpu_seconds();
    let request = Arc::new(request);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections.max(1))
        .map(|_| {
            let (request, next) = (Arc::clone(&request), Arc::clone(&next));
            tokio::spawn(async move {
                let (mut latencies, mut failed) = (Vec::new(), 0usize);
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    let sent = Instant::now();
                    if request(index).await {
                        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    } else {
                        failed += 1;
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let (mut latencies, mut failed) = (Vec::new(), 0);
    for worker in workers {
        if let Ok((mine, theirs)) = worker.await {
            latencies.extend(mine);
            failed += theirs;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let own_after = wz_http::process_cpu_seconds();
    let after = cpu_after.await;
    latencies.sort_by(f64::total_cmp);
    Phase::from_latencies(
        &latencies,
        failed,
        seconds,
        before.zip(after).map(|(b, a)| a - b),
        own_before.zip(own_after).map(|(b, a)| a - b),
    )
}

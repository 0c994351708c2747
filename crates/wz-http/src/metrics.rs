//! Prometheus metrics.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    channel: &'static str,
    result: String,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// `process_cpu_seconds_total`: the server's user and system CPU time, so a
/// benchmark can report CPU per operation from two scrapes (issue #19).
/// Read from `/proc/self/stat` (Linux; elsewhere the metric is absent),
/// whose times are in `USER_HZ` = 100 ticks per second on every Linux.
#[derive(Debug)]
struct ProcessCpu;

/// Seconds of CPU this process has used, where the platform tells.
pub fn process_cpu_seconds() -> Option<f64> {
    cpu_seconds_in("/proc/self/stat")
}

/// Seconds of CPU the calling thread has used, where the platform tells
/// (benchmarks of one-core operations).
pub fn thread_cpu_seconds() -> Option<f64> {
    cpu_seconds_in("/proc/thread-self/stat")
}

/// utime + stime of a `/proc/.../stat` file.
fn cpu_seconds_in(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the parenthesised command name (which may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ")".
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

impl prometheus_client::collector::Collector for ProcessCpu {
    fn encode(&self, mut encoder: prometheus_client::encoding::DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        let Some(seconds) = process_cpu_seconds() else { return Ok(()) };
        let counter = prometheus_client::metrics::counter::ConstCounter::new(seconds);
        let metric = encoder.encode_descriptor(
            "process_cpu_seconds",
            "User and system CPU time of the server process",
            None,
            counter.metric_type(),
        )?;
        counter.encode(metric)
    }
}

/// Request counters and latency histograms. Labels are route templates and
/// status codes only: no identifiers, no personal data.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    outcomes: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("wz_http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("wz_http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        let outcomes = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "wz_authentications",
            "Signed authentication outcomes by channel (direct or session) and result code",
            outcomes.clone(),
        );
        registry.register_collector(Box::new(ProcessCpu));
        Self {
            registry: Mutex::new(registry),
            requests,
            latency,
            outcomes,
        }
    }
}

impl Metrics {
    pub(crate) fn observe(&self, method: &'static str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route: route.to_owned() })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one signed authentication outcome. `result` is a result code
    /// (a fixed vocabulary), never anything about the person.
    pub(crate) fn authentication(&self, channel: &'static str, result: &str) {
        self.outcomes
            .get_or_create(&OutcomeLabels {
                channel,
                result: result.to_owned(),
            })
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // A poisoned lock only means another render panicked; the registry is still usable.
        let registry = self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}

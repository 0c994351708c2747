//! Tracing setup. Logs carry route templates, status codes, request ids and
//! pseudonymous subjects; never names, ID numbers, portraits or secrets.

use tracing_subscriber::EnvFilter;

use crate::{LogConfig, LogFormat};

/// Installs the global subscriber (once; later calls are ignored).
pub fn init_tracing(config: &LogConfig) {
    let filter = EnvFilter::try_new(&config.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only for a person at a terminal, not in a log file.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let result = match config.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    // Already installed (tests, repeated starts): keep the first.
    drop(result);
}

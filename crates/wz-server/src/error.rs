//! The server assembly's error enum.

use std::path::PathBuf;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// A key file is unreadable or malformed.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The registry has records but its keys are missing: refusing to create
    /// new keys that could never open them.
    #[error("the registry holds {0} records but its key files in the data directory are missing; restore them from backup")]
    RegistryKeysMissing(u64),
    /// The keys directory holds other keys than the database was written
    /// with (another instance's, or new ones): starting would write data
    /// no other instance can open or verify.
    #[error(
        "the keys in {} are not the ones this database was written with (they differ in: {}); give every instance the same keys directory (docs/cluster.md) — refusing to start",
        keys_dir.display(),
        names.join(", ")
    )]
    KeysMismatch {
        /// The keys directory.
        keys_dir: PathBuf,
        /// The keys that differ.
        names: Vec<String>,
    },
    /// An offline command needs a registry and the data directory has none.
    #[error("no registry at {} — start `wz serve --demo` to create one, or pass --data-dir (or set WZ_DATA_DIR) to the server's data directory", data_dir.display())]
    NoRegistry {
        /// The data directory looked in.
        data_dir: PathBuf,
    },
    /// Another process listens on the configured address.
    #[error("{addr} is in use (another `wz serve`?): stop it, or pass --listen with a free port, e.g. --listen {}", addr.port().saturating_add(1))]
    PortInUse {
        /// The address asked for.
        addr: std::net::SocketAddr,
    },
    /// File system failure.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error("storage: {0}")]
    Store(#[from] wz_store::StoreError),
    /// A use case failed.
    #[error("{0}")]
    Service(#[from] wz_service::ServiceError),
}

impl ServerError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}

//! Opening the store and keys, wiring services and serving HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wz_core::unix_ms;
use wz_http::{AdminToken, AppState, HttpLimits, Metrics};
use wz_service::{Clock, FaceService, GeometryLiveness, LivenessCheck, OsEntropy, PresenceLiveness, ServiceContext, Services, SystemClock};
use wz_store::Store;
use wz_store_postgres::PgConfig;
use wz_store_sqlite::SqliteConfig;
use zeroize::Zeroizing;

use crate::keystore::load_or_create_keys;
use crate::{Config, ServerError};

/// Services ready to use, with the operator token.
pub struct OpenedServices {
    /// The wired services.
    pub services: Services,
    /// Operator bearer token.
    pub admin_token: Zeroizing<String>,
    /// Where the token file lives.
    pub admin_token_path: PathBuf,
}

async fn open_store(config: &Config) -> Result<Arc<dyn Store>, ServerError> {
    let url = config.database_url();
    if config.shared_database() {
        let store = wz_store_postgres::connect(&PgConfig {
            url,
            max_connections: 16,
            schema: None,
        })
        .await?;
        return Ok(Arc::new(store));
    }
    let sqlite = SqliteConfig::from_url(&url).ok_or_else(|| ServerError::Config(format!("unsupported database URL scheme in {url:?}")))?;
    if let Some(parent) = sqlite.path.parent() {
        std::fs::create_dir_all(parent).map_err(ServerError::io(format!("creating {}", parent.display())))?;
    }
    Ok(Arc::new(wz_store_sqlite::open(&sqlite).await?))
}

/// Whether opening may create a new registry (database and keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create what is missing: `wz serve`, `wz migrate`, `wz seed`.
    CreateIfMissing,
    /// The registry must exist already: offline commands that act on one
    /// (card issue, audit verify, enrol) refuse rather than make an empty
    /// registry with fresh keys behind the operator's back.
    Existing,
}

/// Refuses with [`ServerError::NoRegistry`] unless the data directory holds
/// a registry: its key files and, with SQLite, its database file.
pub fn require_registry(config: &Config) -> Result<(), ServerError> {
    let keys = config.data_dir.join("keys").join("registry-data.key");
    let database = SqliteConfig::from_url(&config.database_url()).map(|sqlite| sqlite.path);
    let database_missing = database.as_ref().is_some_and(|path| !path.exists());
    if !keys.exists() || database_missing {
        return Err(ServerError::NoRegistry {
            data_dir: config.data_dir.clone(),
        });
    }
    Ok(())
}

/// Opens the store (migrating it), loads or creates the keys and wires the
/// services. Used by `wz serve` and by offline operator commands; with
/// [`OpenMode::Existing`] nothing is created.
pub async fn open_services_in(config: &Config, mode: OpenMode) -> Result<OpenedServices, ServerError> {
    if mode == OpenMode::Existing {
        require_registry(config)?;
    }
    open_services(config).await
}

/// [`open_services_in`] with [`OpenMode::CreateIfMissing`].
pub async fn open_services(config: &Config) -> Result<OpenedServices, ServerError> {
    let liveness: Arc<dyn LivenessCheck> = match (config.demo, config.demo_liveness) {
        (true, crate::config::DemoLiveness::Presence) => {
            tracing::warn!("demo liveness is `presence`: frames are not checked for movement (demo only)");
            Arc::new(PresenceLiveness)
        }
        _ => Arc::new(GeometryLiveness),
    };
    open_services_with(config, liveness).await
}

/// [`open_services`] with another liveness decision. Only end-to-end tests
/// use this: no camera can film a live person here, so they script the
/// verdict of the geometry check (face detection and comparison stay real).
pub async fn open_services_with(config: &Config, liveness: Arc<dyn LivenessCheck>) -> Result<OpenedServices, ServerError> {
    create_data_dir(&config.data_dir)?;
    let store = open_store(config).await?;
    let count = store.count_identities().await?;
    let keys = load_or_create_keys(&config.data_dir, &OsEntropy, count == 0).map_err(|error| match error {
        ServerError::RegistryKeysMissing(_) => ServerError::RegistryKeysMissing(count),
        other => other,
    })?;
    check_keys(store.as_ref(), &keys.keyring, &config.data_dir).await?;
    let context = ServiceContext {
        store,
        keyring: Arc::new(keys.keyring),
        clock: Arc::new(SystemClock),
        entropy: Arc::new(OsEntropy),
        demo: config.demo,
        face: FaceService::lazy(std::thread::available_parallelism().map_or(1, |n| n.get())),
        liveness,
        speech: speech_service(config)?,
        policy: wz_service::CredentialPolicy {
            cluster_wide_limits: config.shared_database(),
            ..config.credentials.policy()
        },
        webhooks: Arc::new(config.webhook_policy()),
    };
    let services = Services::new(context);
    let resealed = services.registry.reseal_whole_records().await?;
    if resealed > 0 {
        tracing::info!(rows = resealed, "registry rows resealed with their portraits apart");
    }
    Ok(OpenedServices {
        services,
        admin_token: keys.admin_token,
        admin_token_path: keys.admin_token_path,
    })
}

/// The speech recogniser of the configuration; loaded now when speech is
/// required, so that a missing model stops the server at startup (naming
/// `scripts/fetch-models`) rather than refusing citizens later.
fn speech_service(config: &Config) -> Result<wz_service::SpeechService, ServerError> {
    let speech = wz_service::SpeechService::lazy(
        config.credentials.speech_model_dir.clone(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    let dir = &config.credentials.speech_model_dir;
    if config.credentials.require_speech {
        speech.preload().map_err(|e| ServerError::Config(e.to_string()))?;
    } else if !dir.join("model.bin").is_file() {
        tracing::warn!(
            dir = %dir.display(),
            "speech model missing: applications read in English are refused (service_unavailable) until scripts/fetch-models fills it"
        );
    }
    Ok(speech)
}

/// Records the keys' check values in a database that has none and refuses
/// keys other than the recorded ones: instances sharing a database must
/// share their keys, and a mismatch is found here rather than as data one
/// instance wrote that another cannot open.
async fn check_keys(store: &dyn Store, keyring: &wz_service::Keyring, data_dir: &std::path::Path) -> Result<(), ServerError> {
    let ours = keyring.check_values();
    let now_ms = unix_ms(SystemClock.now());
    let recorded = store.record_key_check_values(&ours, now_ms).await?;
    let names: Vec<String> = recorded
        .iter()
        .filter(|(name, value)| ours.iter().any(|(n, v)| n == name && v != value))
        .map(|(name, _)| name.clone())
        .collect();
    if names.is_empty() {
        Ok(())
    } else {
        Err(ServerError::KeysMismatch {
            keys_dir: data_dir.join("keys"),
            names,
        })
    }
}

/// The data directory holds the keys and, with SQLite, the database: a new
/// one is created `0700`; an existing one others can read is reported
/// (it may be a folder the operator shares on purpose, so it is left).
fn create_data_dir(dir: &std::path::Path) -> Result<(), ServerError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match std::fs::metadata(dir) {
        Ok(metadata) => {
            if metadata.permissions().mode() & 0o077 != 0 {
                tracing::warn!(dir = %dir.display(), "the data directory is readable by other users; 0700 is advised");
            }
            Ok(())
        }
        Err(_) => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(ServerError::io(format!("creating {}", dir.display()))),
    }
}

/// A server running in the background.
pub struct RunningServer {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    webhooks: JoinHandle<()>,
    housekeeping: JoinHandle<()>,
    /// Following other instances' session changes (PostgreSQL only).
    changes: Option<JoinHandle<()>>,
    /// `/readyz` answers 503 while set.
    draining: Arc<AtomicBool>,
    /// How long [`RunningServer::drain`] keeps serving.
    drain: Duration,
    grace: Duration,
}

impl RunningServer {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Reports not-ready on `/readyz` and keeps serving for the drain
    /// period, so a load balancer stops routing here first.
    pub async fn drain(&self) {
        self.draining.store(true, Ordering::Release);
        tracing::info!(seconds = self.drain.as_secs(), "draining: /readyz reports not ready");
        tokio::time::sleep(self.drain).await;
    }

    /// Stops accepting connections and waits up to the grace period for
    /// in-flight requests.
    pub async fn stop(self) -> Result<(), ServerError> {
        let _ = self.shutdown.send(());
        self.webhooks.abort();
        self.housekeeping.abort();
        let served = match tokio::time::timeout(self.grace, self.task).await {
            Ok(Ok(result)) => result.map_err(ServerError::io("serving")),
            Ok(Err(join)) => Err(ServerError::Config(format!("server task failed: {join}"))),
            Err(_) => {
                tracing::warn!("shutdown grace period elapsed with requests in flight");
                Ok(())
            }
        };
        // Watchers still in flight heard changes until here.
        if let Some(changes) = self.changes {
            changes.abort();
        }
        served
    }
}

/// Binds `config.server.listen`. `wz serve` binds before it opens or seeds
/// anything, so a port in use changes nothing on disk.
pub async fn bind(config: &Config) -> Result<TcpListener, ServerError> {
    let addr = config.server.listen;
    TcpListener::bind(addr).await.map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => ServerError::PortInUse { addr },
        _ => ServerError::Io {
            what: format!("listening on {addr}"),
            source,
        },
    })
}

/// Binds `config.server.listen` and serves the API and the web pages in a
/// background task.
pub async fn start(config: &Config, opened: &OpenedServices) -> Result<RunningServer, ServerError> {
    start_with(config, opened, axum::Router::new(), None).await
}

/// [`start`] on a listener from [`bind`].
pub async fn start_on(listener: TcpListener, config: &Config, opened: &OpenedServices) -> Result<RunningServer, ServerError> {
    start_with(config, opened, axum::Router::new(), Some(listener)).await
}

/// [`start`] with `extra` routes (the demo helpers) beside the API, on
/// `listener` if given.
pub(crate) async fn start_with(
    config: &Config,
    opened: &OpenedServices,
    extra: axum::Router,
    listener: Option<TcpListener>,
) -> Result<RunningServer, ServerError> {
    let draining = Arc::new(AtomicBool::new(false));
    let state = AppState {
        services: Arc::new(opened.services.clone()),
        metrics: Arc::new(Metrics::default()),
        admin_token: Arc::new(AdminToken::new(&opened.admin_token)),
        draining: Arc::clone(&draining),
    };
    let limits = HttpLimits {
        body_limit_bytes: config.server.body_limit_bytes,
        request_timeout: Duration::from_secs(config.server.request_timeout_seconds),
    };
    let listener = match listener {
        Some(listener) => listener,
        None => bind(config).await?,
    };
    let addr = listener.local_addr().map_err(ServerError::io("reading bound address"))?;
    let provider = wz_oidc::Provider::new(opened.services.clone(), &public_url(config, addr));
    let pages = wz_web::router().merge(wz_oidc::router(provider)).merge(extra);
    let router = wz_http::router_with(state, limits, pages);
    let (shutdown, signal) = oneshot::channel::<()>();
    let connection = ConnectionLimits {
        header_read_timeout: Duration::from_secs(config.server.header_read_timeout_seconds.max(1)),
        max_connections: config.server.max_connections.max(1),
    };
    let task = tokio::spawn(serve_connections(listener, router, connection, async move {
        let _ = signal.await;
    }));
    tracing::info!(%addr, "listening");
    Ok(RunningServer {
        addr,
        shutdown,
        task,
        webhooks: crate::webhooks::spawn(opened.services.clone()),
        housekeeping: crate::housekeeping::spawn(opened.services.clone()),
        changes: follow_other_instances(config, opened),
        draining,
        drain: Duration::from_secs(config.server.drain_seconds),
        grace: Duration::from_secs(config.server.shutdown_grace_seconds),
    })
}

/// Other instances' session changes, heard on PostgreSQL's `LISTEN`.
struct PgChanges(wz_store_postgres::SessionListener);

#[async_trait::async_trait]
impl wz_service::ChangeSource for PgChanges {
    async fn next(&mut self) -> wz_service::Heard {
        self.0.next().await
    }
}

/// On PostgreSQL other instances may share the database: their session
/// changes reach this instance's watchers through a listening connection.
/// SQLite is one process's, whose changes the feed already has.
fn follow_other_instances(config: &Config, opened: &OpenedServices) -> Option<JoinHandle<()>> {
    config.shared_database().then(|| {
        let listener = wz_store_postgres::SessionListener::new(&config.database_url());
        opened.services.sessions.feed().follow(PgChanges(listener))
    })
}

/// The URL clients use: configured, or `http://` and the bound address
/// (a wildcard address read as the loopback one).
pub fn public_url(config: &Config, addr: std::net::SocketAddr) -> String {
    if let Some(url) = &config.server.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::IpAddr::from([127, 0, 0, 1]),
        ip if ip.is_unspecified() => std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", std::net::SocketAddr::new(ip, addr.port()))
}

/// Per-connection limits of the HTTP server.
#[derive(Debug, Clone, Copy)]
struct ConnectionLimits {
    header_read_timeout: Duration,
    max_connections: usize,
}

/// Accepts connections and serves HTTP/1.1 on each, until `shutdown`
/// completes; then stops accepting and waits for open connections to
/// finish their requests.
///
/// `axum::serve` sets no timeouts: a client that never finishes its
/// headers holds a connection and its descriptor for ever. Here hyper's
/// header-read timeout closes it, and also closes a keep-alive connection
/// idle for as long; at most `max_connections` are open at once (the rest
/// wait in the kernel's backlog).
async fn serve_connections(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors and the like: pause rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small responses and server-sent events go out at once rather than
        // waiting on Nagle's algorithm for the peer's delayed ACK (~40 ms).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let service = router
            .clone()
            .map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                request
            });
        let connection = builder.serve_connection(TokioIo::new(tcp), hyper_util::service::TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = &error as &dyn std::error::Error, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Serves until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn serve(server: RunningServer) -> Result<(), ServerError> {
    if wait_for_signal().await == Stop::Terminate {
        server.drain().await;
    }
    tracing::info!("shutting down");
    server.stop().await
}

/// How the process was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// SIGINT (Ctrl-C): a person at a terminal; stop now.
    Interrupt,
    /// SIGTERM: an orchestrator or a cluster script; drain first.
    Terminate,
}

async fn wait_for_signal() -> Stop {
    let interrupt = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = interrupt => Stop::Interrupt,
                _ = terminate.recv() => Stop::Terminate,
            }
        }
        Err(_) => {
            let _ = interrupt.await;
            Stop::Interrupt
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_data_directory_is_owner_only() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("a/data");
        super::create_data_dir(&dir).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    }
}

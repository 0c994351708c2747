//! Configuration: built-in defaults, then the TOML file, then `WZ_*`
//! environment variables (nested keys with `__`, e.g. `WZ_SERVER__LISTEN`),
//! then command-line flags. `config.example.toml` documents every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::ServerError;

/// Environment keys read (after the `WZ_` prefix, lower-cased, `__` → `.`).
const ENV_KEYS: &[&str] = &[
    "data_dir",
    "database_url",
    "demo",
    "demo_faces_dir",
    "demo_people",
    "demo_liveness",
    "server.listen",
    "server.body_limit_bytes",
    "server.request_timeout_seconds",
    "server.shutdown_grace_seconds",
    "server.drain_seconds",
    "server.header_read_timeout_seconds",
    "server.max_connections",
    "server.public_url",
    "log.format",
    "log.filter",
    "credentials.light_lifetime_days",
    "credentials.upgraded_lifetime_days",
    "credentials.password_max_failures",
    "credentials.password_lock_minutes",
    "credentials.light_per_client_per_minute",
    "credentials.light_per_identity_per_10_minutes",
    "credentials.liveness_frame_memory_days",
    "credentials.require_speech",
    "credentials.speech_model_dir",
    "webhooks.allow_http",
];

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory for the SQLite file and the key files. Empty (the
    /// default) means [`default_data_dir`]; [`Config::load`] resolves it.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default `sqlite://<data_dir>/wz.db`.
    pub database_url: Option<String>,
    /// Demo mode: seeds a population and allows self-enrolment.
    pub demo: bool,
    /// Labeled faces used as demo portraits, when the folder exists. Empty
    /// (the default) means [`default_faces_dir`].
    pub demo_faces_dir: PathBuf,
    /// People generated for the demo when the registry is empty.
    pub demo_people: usize,
    /// Liveness check in demo mode: `geometry` (the real check, default) or
    /// `presence` (one face, same person, no movement: for a recorded
    /// camera such as the browser tests'). `presence` without demo mode is
    /// a configuration error.
    pub demo_liveness: DemoLiveness,
    /// HTTP server.
    pub server: ServerConfig,
    /// Logging.
    pub log: LogConfig,
    /// Network ID credentials.
    pub credentials: CredentialsConfig,
    /// Where relying parties' webhooks may be posted.
    pub webhooks: WebhooksConfig,
}

/// Webhook targets (see docs/security.md): `https` to public addresses
/// only, unless listed here. Demo mode also accepts plain `http` and
/// loopback (not the server's own port).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Accept plain `http` webhook URLs (on a trusted internal network).
    pub allow_http: bool,
    /// Hosts that may be private, loopback or link-local: names, IPv4
    /// addresses or `[IPv6]`, any port. A listed name may resolve anywhere.
    pub allowed_hosts: Vec<String>,
}

impl Config {
    /// The webhook policy in force.
    pub fn webhook_policy(&self) -> wz_core::WebhookPolicy {
        wz_core::WebhookPolicy {
            allow_http: self.webhooks.allow_http || self.demo,
            allow_loopback: self.demo,
            own_port: Some(self.server.listen.port()).filter(|port| *port != 0),
            allowed_hosts: self.webhooks.allowed_hosts.clone(),
        }
    }
}

/// Which liveness check a demo server runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemoLiveness {
    /// The landmark-geometry challenge check (as in production).
    #[default]
    Geometry,
    /// Presence only; accepted in demo mode only.
    Presence,
}

/// Credential rules (see docs/credentials.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CredentialsConfig {
    /// Longest life of a light (L3) credential, in days.
    pub light_lifetime_days: u32,
    /// Longest life of an upgraded (L4) credential, in days.
    pub upgraded_lifetime_days: u32,
    /// Consecutive wrong passwords that lock the password.
    pub password_max_failures: u32,
    /// How long the lock lasts, in minutes.
    pub password_lock_minutes: u32,
    /// Light applications accepted per client address per minute.
    pub light_per_client_per_minute: u32,
    /// Light applications accepted per identity per 10 minutes.
    pub light_per_identity_per_10_minutes: u32,
    /// Authentication requests accepted per relying party per second.
    pub rp_requests_per_second: u32,
    /// Days the pictures of a checked liveness sequence are remembered, so
    /// that a replayed recording is refused.
    pub liveness_frame_memory_days: u32,
    /// Refuse light applications without audio of the digits read aloud
    /// (audio that is sent is checked either way).
    pub require_speech: bool,
    /// The speech recogniser's folder (`scripts/fetch-models` fills it);
    /// relative to the working directory.
    pub speech_model_dir: PathBuf,
}

impl Default for CredentialsConfig {
    fn default() -> Self {
        Self {
            light_lifetime_days: 365,
            upgraded_lifetime_days: 3 * 365,
            password_max_failures: 5,
            password_lock_minutes: 60,
            light_per_client_per_minute: 120,
            light_per_identity_per_10_minutes: 5,
            rp_requests_per_second: 20_000,
            liveness_frame_memory_days: 90,
            require_speech: false,
            speech_model_dir: PathBuf::from("models/whisper-tiny.en"),
        }
    }
}

impl CredentialsConfig {
    /// The service's policy.
    pub fn policy(&self) -> wz_service::CredentialPolicy {
        use std::time::Duration as Std;
        wz_service::CredentialPolicy {
            light_lifetime: time::Duration::days(i64::from(self.light_lifetime_days.max(1))),
            upgraded_lifetime: time::Duration::days(i64::from(self.upgraded_lifetime_days.max(1))),
            lockout: wz_core::LockoutPolicy {
                max_failures: self.password_max_failures.max(1),
                lock_for: time::Duration::minutes(i64::from(self.password_lock_minutes.max(1))),
            },
            per_client: wz_service::RateQuota {
                burst: self.light_per_client_per_minute.max(1),
                period: Std::from_secs(60),
            },
            per_identity: wz_service::RateQuota {
                burst: self.light_per_identity_per_10_minutes.max(1),
                period: Std::from_secs(600),
            },
            per_relying_party: wz_service::RateQuota {
                burst: self.rp_requests_per_second.max(1),
                period: Std::from_secs(1),
            },
            liveness_frame_memory: time::Duration::days(i64::from(self.liveness_frame_memory_days.max(1))),
            require_speech: self.require_speech,
            ..wz_service::CredentialPolicy::default()
        }
    }
}

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to bind.
    pub listen: SocketAddr,
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Longest a request may run.
    pub request_timeout_seconds: u64,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace_seconds: u64,
    /// On SIGTERM, how long the instance keeps serving while `/readyz`
    /// answers 503, so a load balancer's health checks take it out of
    /// rotation before it stops accepting (SIGINT stops at once).
    pub drain_seconds: u64,
    /// How long a client has to send a request's headers, and how long an
    /// idle keep-alive connection stays open.
    pub header_read_timeout_seconds: u64,
    /// Open connections accepted at once; further ones wait in the
    /// kernel's backlog.
    pub max_connections: usize,
    /// The URL clients reach this server at (behind a proxy or load
    /// balancer): the OpenID Connect issuer. Default `http://` and the
    /// bound address.
    pub public_url: Option<String>,
}

/// Log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Output format.
    pub format: LogFormat,
    /// `tracing` filter directive, e.g. `info,wz_http=debug`.
    pub filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::new(),
            database_url: None,
            demo: false,
            demo_faces_dir: PathBuf::new(),
            demo_people: 1000,
            demo_liveness: DemoLiveness::Geometry,
            server: ServerConfig::default(),
            log: LogConfig::default(),
            credentials: CredentialsConfig::default(),
            webhooks: WebhooksConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            body_limit_bytes: 256 * 1024,
            request_timeout_seconds: 30,
            shutdown_grace_seconds: 10,
            drain_seconds: 3,
            header_read_timeout_seconds: 15,
            max_connections: 10_000,
            public_url: None,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info".into(),
        }
    }
}

/// Values given as command-line flags; `None` leaves lower layers in force.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConfigOverrides {
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--database-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `--demo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// `--log-format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

/// The data directory when none is configured: `./data` if that folder
/// exists (where earlier versions kept it), else the platform's data
/// directory (`$XDG_DATA_HOME/wangzheng`, `~/.local/share/wangzheng`),
/// else `./data`. It never depends on the working folder otherwise, so a
/// command run from another folder finds the same registry.
pub fn default_data_dir() -> PathBuf {
    let local = PathBuf::from("./data");
    if local.is_dir() {
        return local;
    }
    dirs::data_dir().map_or(local, |dir| dir.join("wangzheng"))
}

/// The demo face set when none is configured: `../shared/faces/dev` from
/// the working folder if it exists, else the same folder beside the source
/// checkout this binary was built from, so a demo started from elsewhere
/// still has portraits.
pub fn default_faces_dir() -> PathBuf {
    let local = PathBuf::from("../shared/faces/dev");
    if local.is_dir() {
        return local;
    }
    let beside_checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/faces/dev");
    if beside_checkout.is_dir() {
        return beside_checkout;
    }
    local
}

/// Where the data directory in force was chosen, for messages.
pub fn data_dir_origin(overrides: &ConfigOverrides) -> &'static str {
    if overrides.data_dir.is_some() {
        "--data-dir"
    } else if std::env::var_os("WZ_DATA_DIR").is_some() {
        "WZ_DATA_DIR"
    } else {
        "default; --data-dir or WZ_DATA_DIR to change"
    }
}

impl Config {
    /// Loads the layers in order. A named file must exist; without one,
    /// `./wz.toml` is read if present.
    pub fn load(file: Option<&Path>, overrides: &ConfigOverrides) -> Result<Self, ServerError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(ServerError::Config(format!("config file {} not found", path.display()))),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("wz.toml")),
        }
        figment = figment.merge(Env::prefixed("WZ_").split("__").only(ENV_KEYS));
        let mut flags = Figment::new();
        if let Some(dir) = &overrides.data_dir {
            flags = flags.merge(Serialized::default("data_dir", dir));
        }
        if let Some(url) = &overrides.database_url {
            flags = flags.merge(Serialized::default("database_url", url));
        }
        if let Some(demo) = overrides.demo {
            flags = flags.merge(Serialized::default("demo", demo));
        }
        if let Some(listen) = overrides.listen {
            flags = flags.merge(Serialized::default("server.listen", listen));
        }
        if let Some(format) = overrides.log_format {
            flags = flags.merge(Serialized::default("log.format", format));
        }
        let mut config: Self = figment.merge(flags).extract().map_err(|e| ServerError::Config(e.to_string()))?;
        if config.data_dir.as_os_str().is_empty() {
            config.data_dir = default_data_dir();
        }
        if config.demo_faces_dir.as_os_str().is_empty() {
            config.demo_faces_dir = default_faces_dir();
        }
        if config.demo_liveness == DemoLiveness::Presence && !config.demo {
            return Err(ServerError::Config(
                "demo_liveness = \"presence\" skips the liveness movement checks and is only accepted with --demo".into(),
            ));
        }
        Ok(config)
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("wz.db").display()))
    }

    /// Whether the database is PostgreSQL, which several instances may
    /// share (SQLite is one process's): session changes are then heard
    /// from the database and rate limits count for the whole cluster.
    pub fn shared_database(&self) -> bool {
        let url = self.database_url();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure signature
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_file_env_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "demo = true\n[server]\nlisten = \"127.0.0.1:9000\"\nbody_limit_bytes = 1000\n",
            )?;
            jail.set_env("WZ_SERVER__BODY_LIMIT_BYTES", "2000");
            jail.set_env("WZ_TEST_DATABASE_URL", "postgres://ignored");
            jail.set_env("WZ_LOG__FORMAT", "json");
            let overrides = ConfigOverrides {
                listen: Some("127.0.0.1:9100".parse().unwrap()),
                ..Default::default()
            };
            let config = Config::load(Some(Path::new("custom.toml")), &overrides).unwrap();
            assert!(config.demo);
            assert_eq!(config.server.body_limit_bytes, 2000);
            assert_eq!(config.server.listen.port(), 9100);
            assert_eq!(config.log.format, LogFormat::Json);
            assert_eq!(config.data_dir, default_data_dir());
            assert!(config.data_dir.ends_with("wangzheng"), "{:?}", config.data_dir);
            jail.create_dir("data")?;
            let config = Config::load(Some(Path::new("custom.toml")), &overrides).unwrap();
            assert_eq!(config.database_url(), "sqlite://./data/wz.db");
            jail.set_env("WZ_DATA_DIR", "/srv/wz");
            let config = Config::load(Some(Path::new("custom.toml")), &overrides).unwrap();
            assert_eq!(config.data_dir, Path::new("/srv/wz"));
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "dmeo = true\n")?;
            assert!(Config::load(Some(Path::new("bad.toml")), &ConfigOverrides::default()).is_err());
            assert!(Config::load(Some(Path::new("absent.toml")), &ConfigOverrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn presence_liveness_needs_demo_mode() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("WZ_DEMO_LIVENESS", "presence");
            let refused = Config::load(None, &ConfigOverrides::default());
            assert!(
                matches!(refused, Err(ServerError::Config(ref m)) if m.contains("--demo")),
                "{refused:?}"
            );
            let demo = ConfigOverrides {
                demo: Some(true),
                ..Default::default()
            };
            assert_eq!(Config::load(None, &demo).unwrap().demo_liveness, DemoLiveness::Presence);
            Ok(())
        });
    }

    #[test]
    fn example_file_is_complete_and_valid() {
        let example: Config = toml_example();
        assert_eq!(example, Config::default());
    }

    fn toml_example() -> Config {
        Figment::from(Toml::string(include_str!("../../../config.example.toml")))
            .extract()
            .unwrap()
    }
}

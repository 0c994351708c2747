//! `wz rp …`: relying parties. The operator registers, changes, rotates
//! and suspends them; an RP (or someone trying its integration) lists the
//! public registry and authenticates a person in any of its modes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use base64::Engine;
use clap::Subcommand;
use wz_client::Client;
use wz_proto::{AuthenticationRequest, RelyingPartyRequest};

use super::{admin_client, qr_image, DEFAULT_SERVER};
use crate::Cli;

#[derive(clap::Args)]
pub struct RpArgs {
    /// Server URL.
    #[arg(long, global = true, env = "WZ_SERVER_URL", default_value = DEFAULT_SERVER)]
    server: String,
    /// Operator token for register/update/rotate/suspend (else WZ_ADMIN_TOKEN or <data_dir>/keys/admin.token).
    #[arg(long, global = true, env = "WZ_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// The RP's SM2 request key (from `wz rp keygen`): signs session and
    /// auth calls, required once the RP registered its public key.
    #[arg(long, global = true, env = "WZ_RP_KEY")]
    key: Option<PathBuf>,
    #[command(subcommand)]
    command: RpCommand,
}

/// What an operator says about a relying party.
#[derive(clap::Args)]
pub struct Registration {
    /// Display name shown to citizens.
    #[arg(long)]
    name: String,
    /// government, hotel, bank or internet.
    #[arg(long)]
    category: String,
    /// Allowed modes, comma-separated (e.g. credential,qr_verify).
    #[arg(long, value_delimiter = ',', required = true)]
    modes: Vec<String>,
    /// Attributes it may receive in full, comma-separated (e.g. name,id_number).
    #[arg(long, value_delimiter = ',')]
    grants: Vec<String>,
    /// Webhook URL for session results.
    #[arg(long)]
    webhook: Option<String>,
    /// Public key for signed requests, SEC1 hex.
    #[arg(long)]
    public_key: Option<String>,
    /// SM2 (default) or ES256.
    #[arg(long)]
    alg: Option<String>,
    /// OpenID Connect: a redirect URI (repeat for more); makes the RP an
    /// OIDC client (docs/oidc.md).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// OpenID Connect: the client's public JWK Set (file) for private_key_jwt.
    #[arg(long, requires = "redirect_uris")]
    jwks: Option<PathBuf>,
    /// OpenID Connect: ID token algorithm, ES256 (default) or SM2.
    #[arg(long, requires = "redirect_uris")]
    id_token_alg: Option<String>,
    /// OpenID Connect: access-token lifetime in seconds (60 to 3600, default 600).
    #[arg(long, requires = "redirect_uris")]
    access_token_seconds: Option<u32>,
}

impl Registration {
    fn request(&self) -> anyhow::Result<RelyingPartyRequest> {
        let oidc = if self.redirect_uris.is_empty() {
            None
        } else {
            let jwks = match &self.jwks {
                None => None,
                Some(path) => {
                    let text = std::fs::read_to_string(path).with_context(|| format!("reading the JWK Set {}", path.display()))?;
                    Some(serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?)
                }
            };
            Some(wz_proto::OidcClientSettings {
                redirect_uris: self.redirect_uris.clone(),
                jwks,
                id_token_signed_response_alg: self.id_token_alg.clone(),
                access_token_lifetime_seconds: self.access_token_seconds,
            })
        };
        Ok(RelyingPartyRequest {
            name: self.name.clone(),
            category: self.category.clone(),
            modes: self.modes.clone(),
            grants: self.grants.clone(),
            webhook_url: self.webhook.clone(),
            public_key: self.public_key.clone(),
            alg: self.alg.clone(),
            oidc,
        })
    }
}

/// Which relying party acts: a saved credentials file, or id and secret.
#[derive(clap::Args)]
pub struct PartyFlags {
    /// Credentials file from `wz rp register --save FILE`.
    #[arg(long = "rp", env = "WZ_RP_FILE")]
    file: Option<PathBuf>,
    /// Client id (instead of --rp).
    #[arg(long, env = "WZ_RP_ID")]
    id: Option<String>,
    /// Client secret (instead of --rp).
    #[arg(long, env = "WZ_RP_SECRET", hide_env_values = true)]
    secret: Option<String>,
}

impl PartyFlags {
    fn resolve(&self) -> anyhow::Result<(String, String)> {
        super::rp_credentials::resolve(self.id.as_deref(), self.secret.as_deref(), self.file.as_deref())
    }
}

#[derive(Subcommand)]
pub enum RpCommand {
    /// Register a relying party; prints its client id and secret (once).
    Register {
        #[command(flatten)]
        registration: Registration,
        /// Also write the client id and secret to this file (0600), for
        /// `--rp FILE` later.
        #[arg(long)]
        save: Option<PathBuf>,
    },
    /// Change a registration (all fields are replaced).
    Update {
        /// Client id.
        id: String,
        #[command(flatten)]
        registration: Registration,
    },
    /// Issue a new client secret; the old one stops working.
    RotateSecret {
        /// Client id.
        id: String,
    },
    /// Suspend (or with --reinstate, reinstate) a relying party.
    Suspend {
        /// Client id.
        id: String,
        /// Reinstate instead.
        #[arg(long)]
        reinstate: bool,
    },
    /// The public registry: every RP and what it may receive.
    List,
    /// Make an SM2 request key (PKCS#8, mode 0600) and print its public
    /// half to register with `--public-key`.
    Keygen {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Open a service-window session: shows the rotating QR code (text,
    /// and as an image rewritten every second with --png) until the result.
    Session {
        #[command(flatten)]
        party: PartyFlags,
        /// credential, portrait_credential or portrait_credential_pin.
        #[arg(long, default_value = "credential")]
        mode: String,
        /// Why you ask.
        #[arg(long)]
        purpose: String,
        /// Attributes wanted in full, comma-separated.
        #[arg(long, value_delimiter = ',')]
        attributes: Vec<String>,
        /// Rewrite the current frame into this image every second.
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Authenticate a person as a relying party.
    Auth {
        #[command(flatten)]
        party: PartyFlags,
        /// Mode, e.g. credential.
        #[arg(long)]
        mode: String,
        /// Why you ask.
        #[arg(long)]
        purpose: String,
        /// Attributes wanted in full, comma-separated.
        #[arg(long, value_delimiter = ',')]
        attributes: Vec<String>,
        /// The wallet's code as text.
        #[arg(long, conflicts_with = "code_png")]
        code: Option<String>,
        /// A picture of the wallet's code.
        #[arg(long)]
        code_png: Option<PathBuf>,
        /// ID number (ID-number modes).
        #[arg(long)]
        id_number: Option<String>,
        /// Name (ID-number modes).
        #[arg(long)]
        name: Option<String>,
        /// Validity as printed, 2015.03.01-2035.03.01.
        #[arg(long)]
        validity: Option<String>,
        /// Live portrait, JPEG or PNG.
        #[arg(long)]
        portrait: Option<PathBuf>,
        /// SM2 or ES256 for the result.
        #[arg(long)]
        alg: Option<String>,
    },
}

/// A client that signs as relying party `id` when `--key` is given.
fn party_client(args: &RpArgs, id: &str) -> anyhow::Result<Client> {
    let client = Client::new(&args.server);
    let Some(path) = &args.key else { return Ok(client) };
    let pem = zeroize::Zeroizing::new(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?);
    let key = wz_crypto::Sm2SigningKey::from_pkcs8_pem(&pem, "rp")?;
    let now: wz_client::NowMs = std::sync::Arc::new(|| wz_core::unix_ms(wz_service::Clock::now(&wz_service::SystemClock)));
    Ok(client.with_rp_signer(std::sync::Arc::new(wz_client::KeySigner::relying_party(id, key, now))))
}

pub async fn run(cli: &Cli, args: &RpArgs) -> anyhow::Result<ExitCode> {
    let admin = || admin_client(cli, &args.server, args.admin_token.as_deref());
    let show = |party: &wz_proto::RelyingPartyResponse| {
        println!(
            "{}  {} ({}{})  modes {}  grants {}",
            party.id,
            party.name,
            party.category,
            if party.active { "" } else { ", suspended" },
            party.modes.join(","),
            if party.grants.is_empty() {
                "-".to_owned()
            } else {
                party.grants.join(",")
            }
        );
        if let Some(oidc) = &party.oidc {
            println!(
                "  OpenID Connect: redirect {}  client auth {}  ID tokens {}",
                oidc.redirect_uris.join(" "),
                if oidc.jwks.is_some() {
                    "private_key_jwt"
                } else {
                    "client_secret_basic"
                },
                oidc.id_token_signed_response_alg.as_deref().unwrap_or("ES256")
            );
        }
    };
    match &args.command {
        RpCommand::Register { registration, save } => {
            if let Some(path) = save {
                anyhow::ensure!(!path.exists(), "{} exists; not overwriting saved credentials", path.display());
            }
            let registered = admin()?.register_relying_party(&registration.request()?).await?;
            show(&registered.relying_party);
            println!("client id:     {}", registered.relying_party.id);
            match save {
                Some(path) => {
                    super::rp_credentials::save(path, &registered.relying_party.id, &registered.client_secret)?;
                    println!("client secret: written to {} (use --rp {})", path.display(), path.display());
                }
                None => println!("client secret: {}   (shown once; store it)", registered.client_secret),
            }
        }
        RpCommand::Update { id, registration } => show(&admin()?.update_relying_party(id, &registration.request()?).await?),
        RpCommand::RotateSecret { id } => {
            let rotated = admin()?.rotate_relying_party_secret(id).await?;
            println!("client secret: {}   (the old one no longer works)", rotated.client_secret);
        }
        RpCommand::Suspend { id, reinstate } => show(&admin()?.set_relying_party_state(id, *reinstate).await?),
        RpCommand::Keygen { out } => {
            anyhow::ensure!(!out.exists(), "{} exists; not overwriting a key", out.display());
            let key = wz_crypto::Sm2SigningKey::generate(&mut wz_service::EntropyRng(&wz_service::OsEntropy), "rp")?;
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(out)?;
            file.write_all(key.to_pkcs8_pem()?.as_bytes())?;
            file.sync_all()?;
            println!("{}", hex::encode(key.verifying_key().to_sec1_bytes()));
        }
        RpCommand::List => {
            for party in Client::new(&args.server).relying_parties().await?.relying_parties {
                show(&party);
            }
        }
        RpCommand::Session {
            party,
            mode,
            purpose,
            attributes,
            png,
        } => {
            let (id, secret) = party.resolve()?;
            let client = party_client(args, &id)?;
            let request = wz_proto::CreateSessionRequest {
                mode: mode.clone(),
                purpose: purpose.clone(),
                attributes: attributes.clone(),
                expires_in_seconds: None,
            };
            let party = (id.as_str(), secret.as_str());
            let created = client.create_session(party, &request).await?;
            let key: [u8; 32] = hex::decode(&created.secret)?
                .try_into()
                .map_err(|_| anyhow::anyhow!("malformed session secret"))?;
            println!("session {} (expires {})", created.session_id, super::when(created.expires_at_ms));
            let mut seen = String::new();
            loop {
                let now = wz_core::unix_ms(wz_service::Clock::now(&wz_service::SystemClock));
                if seen == "created" || seen.is_empty() {
                    let frame = wz_core::session_frame(&key, &created.session_id, now);
                    println!("{frame}");
                    if let Some(png) = png {
                        qr_image::write(&frame, png)?;
                    }
                }
                let status = client.session(party, &created.session_id, Some((1, &seen))).await?;
                if status.state != seen {
                    eprintln!("state: {}", status.state);
                    seen = status.state.clone();
                }
                if let Some(result) = &status.result {
                    println!(
                        "{}  level {}  subject {}",
                        result.result,
                        result.level.as_deref().unwrap_or("-"),
                        result.subject.as_deref().unwrap_or("-")
                    );
                    for (field, value) in &result.attributes {
                        println!("  {field}: {value}");
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                if matches!(seen.as_str(), "declined" | "expired" | "cancelled") {
                    return Ok(ExitCode::from(2));
                }
            }
        }
        RpCommand::Auth {
            party,
            mode,
            purpose,
            attributes,
            code,
            code_png,
            id_number,
            name,
            validity,
            portrait,
            alg,
        } => {
            let code = match (code, code_png) {
                (Some(code), _) => Some(code.clone()),
                (None, Some(png)) => Some(qr_image::scan(png, std::time::Duration::from_secs(60)).await?),
                (None, None) => None,
            };
            let portrait = portrait
                .as_ref()
                .map(|path| std::fs::read(path).with_context(|| format!("reading {}", path.display())))
                .transpose()?
                .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes));
            let request = AuthenticationRequest {
                mode: mode.clone(),
                purpose: purpose.clone(),
                attributes: attributes.clone(),
                alg: alg.clone(),
                id_number: id_number.clone(),
                name: name.clone(),
                validity: validity.clone(),
                portrait,
                code,
                password: None,
                card: None,
            };
            let (id, secret) = party.resolve()?;
            let answer = match party_client(args, &id)?.authenticate(&id, &secret, &request).await {
                Ok(answer) => answer,
                Err(error) => {
                    println!("refused: {error}");
                    if error.code() == Some("mode_not_allowed") {
                        println!(
                            "  `wz rp list` shows the modes {id} may use; an operator adds {mode} with `wz rp update {id} … --modes …`"
                        );
                    }
                    return Ok(ExitCode::from(2));
                }
            };
            println!(
                "{}  level {}  subject {}  (request {}, {} signature by {})",
                answer.result,
                answer.level.as_deref().unwrap_or("-"),
                answer.subject.as_deref().unwrap_or("-"),
                answer.request_id,
                answer.signed.alg,
                answer.signed.key_id
            );
            for (field, value) in &answer.attributes {
                println!("  {field}: {value}");
            }
            return Ok(if answer.result == "success" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

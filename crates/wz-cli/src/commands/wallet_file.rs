//! The wallet file: the device's SM2 private key and its credential, sealed
//! at rest with SM4-GCM under a key derived from the holder's passphrase by
//! argon2id (19 MiB, 2 passes). The file holds the KDF parameters and salt,
//! the nonce and the ciphertext; nothing readable without the passphrase.
//! Written through a temporary file and a rename, mode 0600.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use serde::{Deserialize, Serialize};
use wz_client::KeySigner;
use wz_core::unix_ms;
use wz_crypto::{key_from_passphrase, Sm2SigningKey, PASSPHRASE_ITERATIONS, PASSPHRASE_MEMORY_KIB};
use wz_service::{Clock, Entropy, EntropyRng, OsEntropy, SystemClock};
use zeroize::Zeroizing;

const FORMAT: &str = "wz-wallet/1";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedFile {
    format: String,
    kdf: String,
    memory_kib: u32,
    iterations: u32,
    salt: String,
    sealed: String,
}

/// What the sealed part holds.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WalletSecrets {
    /// Device private key scalar, hex.
    pub device_key: String,
    /// The credential, base64url, once issued.
    pub credential: Option<String>,
    /// Its QR key, hex.
    pub qr_key: Option<String>,
    /// A pending terminal enrolment.
    pub enrolment_id: Option<String>,
}

/// An opened wallet.
pub struct Wallet {
    path: PathBuf,
    passphrase: Zeroizing<String>,
    /// The secrets.
    pub secrets: WalletSecrets,
}

/// The passphrase from `WZ_WALLET_PASSPHRASE` or the first line of a file,
/// to open a wallet: any length (a wrong one is told as wrong).
pub fn passphrase(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    if let Some(file) = file {
        let text = Zeroizing::new(std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?);
        return Ok(Zeroizing::new(text.lines().next().unwrap_or("").to_owned()));
    }
    let text = std::env::var("WZ_WALLET_PASSPHRASE").context("set WZ_WALLET_PASSPHRASE or give --passphrase-file")?;
    Ok(Zeroizing::new(text))
}

/// [`passphrase`] for a new wallet: at least 8 characters.
pub fn new_passphrase(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    let text = passphrase(file)?;
    anyhow::ensure!(
        text.chars().count() >= 8,
        "a new wallet's passphrase must have at least 8 characters"
    );
    Ok(text)
}

impl Wallet {
    /// Creates a wallet with a fresh device key; refuses to overwrite one.
    pub fn create(path: &Path, passphrase: Zeroizing<String>) -> anyhow::Result<Self> {
        anyhow::ensure!(!path.exists(), "{} exists already; not overwriting a wallet", path.display());
        let key = Sm2SigningKey::generate(&mut EntropyRng(&OsEntropy), "device")?;
        let wallet = Self {
            path: path.to_owned(),
            passphrase,
            secrets: WalletSecrets {
                device_key: hex::encode(key.to_scalar_bytes().as_slice()),
                ..WalletSecrets::default()
            },
        };
        wallet.save()?;
        Ok(wallet)
    }

    /// Opens and decrypts a wallet.
    pub fn open(path: &Path, passphrase: Zeroizing<String>) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading wallet {}", path.display()))?;
        let file: SealedFile = serde_json::from_str(&text).with_context(|| format!("{} is not a wallet file", path.display()))?;
        anyhow::ensure!(file.format == FORMAT && file.kdf == "argon2id", "unsupported wallet format");
        let salt: [u8; 16] = hex::decode(&file.salt)?.try_into().map_err(|_| anyhow::anyhow!("bad salt"))?;
        let key = key_from_passphrase(passphrase.as_bytes(), &salt, file.memory_kib, file.iterations)?;
        let sealed = base64::engine::general_purpose::STANDARD.decode(&file.sealed)?;
        let plain = Zeroizing::new(
            key.open(FORMAT.as_bytes(), &sealed)
                .map_err(|_| anyhow::anyhow!("wrong passphrase for {} (or the file is damaged)", path.display()))?,
        );
        Ok(Self {
            path: path.to_owned(),
            passphrase,
            secrets: serde_json::from_slice(&plain)?,
        })
    }

    /// Seals and writes the wallet atomically.
    pub fn save(&self) -> anyhow::Result<()> {
        let mut salt = [0u8; 16];
        OsEntropy.fill(&mut salt);
        let key = key_from_passphrase(self.passphrase.as_bytes(), &salt, PASSPHRASE_MEMORY_KIB, PASSPHRASE_ITERATIONS)?;
        let plain = Zeroizing::new(serde_json::to_vec(&self.secrets)?);
        let sealed = key.seal(&mut EntropyRng(&OsEntropy), FORMAT.as_bytes(), &plain)?;
        let file = SealedFile {
            format: FORMAT.into(),
            kdf: "argon2id".into(),
            memory_kib: PASSPHRASE_MEMORY_KIB,
            iterations: PASSPHRASE_ITERATIONS,
            salt: hex::encode(salt),
            sealed: base64::engine::general_purpose::STANDARD.encode(sealed),
        };
        wz_server::write_owner_only(&self.path, serde_json::to_string_pretty(&file)?.as_bytes())
            .with_context(|| format!("writing {}", self.path.display()))
    }

    /// The device key as a request signer.
    pub fn signer(&self) -> anyhow::Result<KeySigner> {
        let bytes = Zeroizing::new(hex::decode(&self.secrets.device_key)?);
        let key = Sm2SigningKey::from_scalar_bytes(&bytes, "device")?;
        Ok(KeySigner::device(key, Arc::new(|| unix_ms(SystemClock.now()))))
    }

    /// The credential, or a clear error.
    pub fn credential(&self) -> anyhow::Result<&str> {
        self.secrets
            .credential
            .as_deref()
            .context("this wallet holds no credential yet (wz wallet apply, or wz wallet enrol at a terminal)")
    }
}

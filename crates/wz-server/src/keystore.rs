//! Key files in `<data_dir>/keys/`, created on first run.
//!
//! Signing keys are PKCS#8 PEM; symmetric keys and the operator token are
//! hex. Files are written with mode 0600 through a temporary file and a
//! rename, so a crash never leaves a half-written key.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use wz_core::{RegistrySealer, TrustedAuthorities};
use wz_crypto::{Es256SigningKey, MacKey, Sm2SigningKey, Sm4Key};
use wz_service::{Entropy, EntropyRng, Keyring};
use zeroize::Zeroizing;

use crate::ServerError;

/// The loaded keys and the operator token.
pub struct LoadedKeys {
    /// The keyring for the services.
    pub keyring: Keyring,
    /// Operator bearer token.
    pub admin_token: Zeroizing<String>,
    /// Path of the token file, to tell the operator where it is.
    pub admin_token_path: PathBuf,
}

fn key_error(path: &Path, reason: &str) -> ServerError {
    ServerError::KeyFile {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

pub(crate) fn write_secret(path: &Path, contents: &str) -> Result<(), ServerError> {
    write_owner_only(path, contents.as_bytes()).map_err(ServerError::io(format!("writing {}", path.display())))
}

/// Writes a file that holds secrets or personal data (a key, a card file
/// with the chip's secret key, a wallet): created `0600`, written whole to
/// a temporary file, synced and renamed over `path`, so a crash leaves the
/// old file or the new one, never half of one.
pub fn write_owner_only(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    // Per process: instances sharing a keys directory may write at once.
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    let _ = fs::remove_file(&temporary);
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}

/// Reads `name` if it exists, else creates it with `create` (if allowed).
fn load_or_create(
    dir: &Path,
    name: &str,
    may_create: bool,
    create: impl FnOnce() -> Result<Zeroizing<String>, ServerError>,
) -> Result<Zeroizing<String>, ServerError> {
    let path = dir.join(name);
    if path.exists() {
        return fs::read_to_string(&path)
            .map(Zeroizing::new)
            .map_err(ServerError::io(format!("reading {}", path.display())));
    }
    if !may_create {
        return Err(key_error(&path, "missing"));
    }
    let contents = create()?;
    write_secret(&path, &contents)?;
    Ok(contents)
}

fn hex_bytes<const N: usize>(path: &Path, text: &str) -> Result<[u8; N], ServerError> {
    let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| key_error(path, "not hex"))?);
    bytes.as_slice().try_into().map_err(|_| key_error(path, "wrong length"))
}

fn random_hex<const N: usize>(entropy: &dyn Entropy) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; N]);
    entropy.fill(bytes.as_mut());
    Zeroizing::new(hex::encode(bytes.as_ref()))
}

/// Loads every key from `<data_dir>/keys`, creating missing ones. The
/// registry keys are created only when `registry_is_empty`: new keys could
/// never open existing records.
pub fn load_or_create_keys(data_dir: &Path, entropy: &dyn Entropy, registry_is_empty: bool) -> Result<LoadedKeys, ServerError> {
    let dir = data_dir.join("keys");
    std::os::unix::fs::DirBuilderExt::mode(fs::DirBuilder::new().recursive(true), 0o700)
        .create(&dir)
        .map_err(ServerError::io(format!("creating {}", dir.display())))?;
    let sm2_pem = |prefix: &'static str| {
        move || {
            Sm2SigningKey::generate(&mut EntropyRng(entropy), prefix)
                .and_then(|k| k.to_pkcs8_pem())
                .map_err(|e| key_error(Path::new(prefix), &e.to_string()))
        }
    };
    let platform_pem = load_or_create(&dir, "platform-sm2.pem", true, sm2_pem("sm2"))?;
    let authority_pem = load_or_create(&dir, "card-authority.pem", true, sm2_pem("card-authority"))?;
    let es256_pem = load_or_create(&dir, "platform-es256.pem", true, || {
        Es256SigningKey::generate(&mut EntropyRng(entropy))
            .to_pkcs8_pem()
            .map_err(|e| key_error(Path::new("es256"), &e.to_string()))
    })?;
    let data_hex = load_or_create(&dir, "registry-data.key", registry_is_empty, || Ok(random_hex::<16>(entropy)));
    let data_hex = data_hex.map_err(|_| ServerError::RegistryKeysMissing(0))?;
    let lookup_hex = load_or_create(&dir, "registry-lookup.key", registry_is_empty, || Ok(random_hex::<32>(entropy)))
        .map_err(|_| ServerError::RegistryKeysMissing(0))?;
    let challenge_hex = load_or_create(&dir, "card-challenge.key", true, || Ok(random_hex::<32>(entropy)))?;
    // New credential-number or pepper keys would silently orphan every
    // credential number and password: like the registry keys, they are only
    // created for an empty registry.
    let number_hex = load_or_create(&dir, "credential-number.key", registry_is_empty, || Ok(random_hex::<32>(entropy)))
        .map_err(|_| ServerError::RegistryKeysMissing(0))?;
    let pepper_hex = load_or_create(&dir, "password-pepper.key", registry_is_empty, || Ok(random_hex::<32>(entropy)))
        .map_err(|_| ServerError::RegistryKeysMissing(0))?;
    let liveness_hex = load_or_create(&dir, "liveness.key", true, || Ok(random_hex::<32>(entropy)))?;
    // Losing this key only slows wallet codes down to the SM2 path.
    let qr_mac_hex = load_or_create(&dir, "qr-mac.key", true, || Ok(random_hex::<32>(entropy)))?;
    let admin_token_path = dir.join("admin.token");
    let admin_token = load_or_create(&dir, "admin.token", true, || Ok(random_hex::<32>(entropy)))?;

    let path = |name: &str| dir.join(name);
    let platform_sm2 =
        Sm2SigningKey::from_pkcs8_pem(&platform_pem, "sm2").map_err(|e| key_error(&path("platform-sm2.pem"), &e.to_string()))?;
    let card_authority = Sm2SigningKey::from_pkcs8_pem(&authority_pem, "card-authority")
        .map_err(|e| key_error(&path("card-authority.pem"), &e.to_string()))?;
    let platform_es256 = Es256SigningKey::from_pkcs8_pem(&es256_pem).map_err(|e| key_error(&path("platform-es256.pem"), &e.to_string()))?;
    let sealer = RegistrySealer::new(
        Sm4Key::from_bytes(hex_bytes(&path("registry-data.key"), &data_hex)?),
        MacKey::from_bytes(hex_bytes(&path("registry-lookup.key"), &lookup_hex)?),
    );
    let challenge_key = MacKey::from_bytes(hex_bytes(&path("card-challenge.key"), &challenge_hex)?);
    let mut trusted_authorities = TrustedAuthorities::default();
    trusted_authorities.add(card_authority.verifying_key());
    let keyring = Keyring {
        platform_sm2,
        platform_es256,
        card_authority,
        trusted_authorities,
        sealer,
        challenge_key,
        credential_number_key: MacKey::from_bytes(hex_bytes(&path("credential-number.key"), &number_hex)?),
        password_pepper: MacKey::from_bytes(hex_bytes(&path("password-pepper.key"), &pepper_hex)?),
        liveness_key: MacKey::from_bytes(hex_bytes(&path("liveness.key"), &liveness_hex)?),
        qr_mac_key: MacKey::from_bytes(hex_bytes(&path("qr-mac.key"), &qr_mac_hex)?),
    };
    Ok(LoadedKeys {
        keyring,
        admin_token: Zeroizing::new(admin_token.trim().to_owned()),
        admin_token_path,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_are_owner_only_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("card.json");
        std::fs::write(&path, "old").unwrap();
        super::write_owner_only(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    use super::*;
    use wz_service::OsEntropy;

    #[test]
    fn keys_are_created_once_then_reloaded_identically() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_keys(dir.path(), &OsEntropy, true).unwrap();
        let second = load_or_create_keys(dir.path(), &OsEntropy, false).unwrap();
        assert_eq!(first.keyring.platform_sm2.key_id(), second.keyring.platform_sm2.key_id());
        assert_eq!(*first.admin_token, *second.admin_token);
        let mode = fs::metadata(dir.path().join("keys/registry-data.key")).unwrap().permissions();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);
    }

    #[test]
    fn refuses_to_invent_registry_keys_for_an_existing_registry() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create_keys(dir.path(), &OsEntropy, true).unwrap();
        fs::remove_file(dir.path().join("keys/registry-data.key")).unwrap();
        assert!(matches!(
            load_or_create_keys(dir.path(), &OsEntropy, false),
            Err(ServerError::RegistryKeysMissing(_))
        ));
    }

    #[test]
    fn malformed_key_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        load_or_create_keys(dir.path(), &OsEntropy, true).unwrap();
        fs::write(dir.path().join("keys/platform-sm2.pem"), "garbage").unwrap();
        let Err(ServerError::KeyFile { path, .. }) = load_or_create_keys(dir.path(), &OsEntropy, false) else {
            panic!("expected KeyFile")
        };
        assert!(path.ends_with("platform-sm2.pem"));
    }
}

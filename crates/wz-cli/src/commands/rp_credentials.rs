//! A relying party's client id and secret in a file (`wz rp register
//! --save FILE`, then `--rp FILE`): kept off the command line, where other
//! users see it in the process list and the shell keeps it in its history.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedParty {
    client_id: String,
    client_secret: String,
}

/// Writes the credentials, mode 0600; refuses to overwrite a file.
pub fn save(path: &Path, client_id: &str, client_secret: &str) -> anyhow::Result<()> {
    anyhow::ensure!(!path.exists(), "{} exists; not overwriting saved credentials", path.display());
    let text = Zeroizing::new(serde_json::to_string_pretty(&SavedParty {
        client_id: client_id.to_owned(),
        client_secret: client_secret.to_owned(),
    })?);
    wz_server::write_owner_only(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// The client id and secret from `--rp FILE`, or from the id and secret
/// flags; a clear error naming both ways when neither is complete.
pub fn resolve(id: Option<&str>, secret: Option<&str>, file: Option<&Path>) -> anyhow::Result<(String, String)> {
    if let Some(file) = file {
        let text = Zeroizing::new(std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?);
        let saved: SavedParty = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a relying party's credentials file (from `wz rp register --save`)",
                file.display()
            )
        })?;
        return Ok((
            id.map_or(saved.client_id, str::to_owned),
            secret.map_or(saved.client_secret, str::to_owned),
        ));
    }
    match (id, secret) {
        (Some(id), Some(secret)) => Ok((id.to_owned(), secret.to_owned())),
        _ => anyhow::bail!(
            "which relying party? Give --rp FILE (written by `wz rp register --save FILE`), or its client id and secret (WZ_RP_ID, WZ_RP_SECRET)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_credentials_read_back_and_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hotel.rp");
        save(&path, "rp-1", "s3cret").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(resolve(None, None, Some(&path)).unwrap(), ("rp-1".into(), "s3cret".into()));
        assert!(save(&path, "rp-2", "x").is_err(), "overwrote saved credentials");
        let missing = resolve(Some("rp-1"), None, None).unwrap_err().to_string();
        assert!(missing.contains("--rp FILE"), "{missing}");
    }
}

//! The platform's keys, loaded by the server assembly from the data directory.

use wz_core::{RegistrySealer, TrustedAuthorities};
use wz_crypto::{Es256SigningKey, MacKey, Sm2SigningKey};

/// Every key the services use.
///
/// # Security
/// Secret parts are zeroized on drop by their types; `Debug` shows key ids only.
#[derive(Debug, Clone)]
pub struct Keyring {
    /// Signs results and credentials (SM2).
    pub platform_sm2: Sm2SigningKey,
    /// Signs results for ES256 clients.
    pub platform_es256: Es256SigningKey,
    /// The simulated card-issuing authority (签发机关 CA) key.
    pub card_authority: Sm2SigningKey,
    /// Authorities whose cards readers accept.
    pub trusted_authorities: TrustedAuthorities,
    /// Seals registry records and derives lookup keys.
    pub sealer: RegistrySealer,
    /// Authenticates card challenges.
    pub challenge_key: MacKey,
    /// Derives credential numbers (网证号) from ID numbers.
    pub credential_number_key: MacKey,
    /// Keys card password digests; kept apart from the database.
    pub password_pepper: MacKey,
    /// Authenticates liveness challenge tokens.
    pub liveness_key: MacKey,
    /// Derives each credential's QR key (fast verification of wallet codes).
    pub qr_mac_key: MacKey,
}

impl Keyring {
    /// Each key's check value by name: key ids of the public keys, keyed
    /// digests of the secret ones. A database records them on first start
    /// so that an instance given other keys refuses to write to it.
    pub fn check_values(&self) -> Vec<(String, String)> {
        let (data, lookup) = self.sealer.check_values();
        [
            ("card-authority", self.card_authority.key_id().to_string()),
            ("card-challenge", self.challenge_key.check_value()),
            ("credential-number", self.credential_number_key.check_value()),
            ("liveness", self.liveness_key.check_value()),
            ("password-pepper", self.password_pepper.check_value()),
            ("platform-es256", self.platform_es256.key_id().to_string()),
            ("platform-sm2", self.platform_sm2.key_id().to_string()),
            ("qr-mac", self.qr_mac_key.check_value()),
            ("registry-data", data),
            ("registry-lookup", lookup),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// Generates a complete, fresh keyring (first run, tests).
    pub fn generate(entropy: &dyn crate::Entropy) -> Result<Self, wz_crypto::CryptoError> {
        let mut rng = crate::EntropyRng(entropy);
        let card_authority = Sm2SigningKey::generate(&mut rng, "card-authority")?;
        let mut trusted_authorities = TrustedAuthorities::default();
        trusted_authorities.add(card_authority.verifying_key());
        Ok(Self {
            platform_sm2: Sm2SigningKey::generate(&mut rng, "sm2")?,
            platform_es256: Es256SigningKey::generate(&mut rng),
            card_authority,
            trusted_authorities,
            sealer: RegistrySealer::new(wz_crypto::Sm4Key::generate(&mut rng), MacKey::generate(&mut rng)),
            challenge_key: MacKey::generate(&mut rng),
            credential_number_key: MacKey::generate(&mut rng),
            password_pepper: MacKey::generate(&mut rng),
            liveness_key: MacKey::generate(&mut rng),
            qr_mac_key: MacKey::generate(&mut rng),
        })
    }
}

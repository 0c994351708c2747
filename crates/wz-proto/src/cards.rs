//! Reading a simulated ID card through the platform.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A challenge for the card chip to sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CardChallengeResponse {
    /// 16 random bytes, hex.
    pub nonce: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// Platform MAC over nonce and expiry, hex.
    pub mac: String,
}

/// A card presentation: the signed chip data, the challenge and the chip's
/// answer, exactly as `wz card read` produces it (format `wz-card/1`, see
/// `docs/card-format.md`). Passed through as a signed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReadCardRequest {
    /// The presentation object.
    #[schema(value_type = Object)]
    pub presentation: serde_json::Value,
}

/// A card that verified and is valid in the registry, desensitised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadCardResponse {
    /// Always `success` (failures are error bodies).
    pub result: String,
    /// Card serial.
    pub card_serial: String,
    /// e.g. `张*丰`.
    pub masked_name: String,
    /// e.g. `4401**********123X`.
    pub masked_id_number: String,
    /// Printed validity, e.g. `2015.03.01-2035.03.01`.
    pub validity: String,
    /// Registry status.
    pub status: String,
}

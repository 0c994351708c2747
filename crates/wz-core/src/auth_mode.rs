//! The nine authentication modes of SPEC §5, as the national platform offers
//! them to integrators.

use serde::{Deserialize, Serialize};

use crate::AssuranceLevel;

/// An authentication mode and the inputs it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// Name + ID number (简项).
    IdName,
    /// + card validity dates (复合).
    IdNameValidity,
    /// + live portrait.
    PortraitIdName,
    /// + live portrait + validity.
    PortraitIdNameValidity,
    /// Credential proof from the wallet (网证).
    Credential,
    /// Credential + live portrait.
    PortraitCredential,
    /// Credential + live portrait + 8-digit password.
    PortraitCredentialPin,
    /// Physical card read at the RP + portrait + credential.
    CardPortraitCredential,
    /// A scanned wallet QR code.
    QrVerify,
}

impl AuthMode {
    /// All modes in table order.
    pub const ALL: [AuthMode; 9] = [
        Self::IdName,
        Self::IdNameValidity,
        Self::PortraitIdName,
        Self::PortraitIdNameValidity,
        Self::Credential,
        Self::PortraitCredential,
        Self::PortraitCredentialPin,
        Self::CardPortraitCredential,
        Self::QrVerify,
    ];

    /// Stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdName => "id_name",
            Self::IdNameValidity => "id_name_validity",
            Self::PortraitIdName => "portrait_id_name",
            Self::PortraitIdNameValidity => "portrait_id_name_validity",
            Self::Credential => "credential",
            Self::PortraitCredential => "portrait_credential",
            Self::PortraitCredentialPin => "portrait_credential_pin",
            Self::CardPortraitCredential => "card_portrait_credential",
            Self::QrVerify => "qr_verify",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// Whether the mode needs a live portrait.
    pub fn needs_portrait(self) -> bool {
        matches!(
            self,
            Self::PortraitIdName
                | Self::PortraitIdNameValidity
                | Self::PortraitCredential
                | Self::PortraitCredentialPin
                | Self::CardPortraitCredential
        )
    }

    /// Whether the mode needs a wallet credential.
    pub fn needs_credential(self) -> bool {
        matches!(
            self,
            Self::Credential | Self::PortraitCredential | Self::PortraitCredentialPin | Self::CardPortraitCredential | Self::QrVerify
        )
    }

    /// Whether the mode checks the card validity dates given by the RP.
    pub fn needs_validity(self) -> bool {
        matches!(self, Self::IdNameValidity | Self::PortraitIdNameValidity)
    }

    /// Whether the mode needs the 8-digit password.
    pub fn needs_password(self) -> bool {
        self == Self::PortraitCredentialPin
    }

    /// Whether the mode needs the physical card read at the RP.
    pub fn needs_card(self) -> bool {
        self == Self::CardPortraitCredential
    }

    /// Level reached on success, given the credential's own level where the
    /// mode uses one (`L3` light, `L4` upgraded).
    pub fn level_achieved(self, credential_level: Option<AssuranceLevel>) -> AssuranceLevel {
        match self {
            Self::IdName | Self::IdNameValidity => AssuranceLevel::L1,
            Self::PortraitIdName | Self::PortraitIdNameValidity => AssuranceLevel::L2,
            Self::PortraitCredentialPin | Self::CardPortraitCredential => AssuranceLevel::L4,
            Self::Credential | Self::PortraitCredential | Self::QrVerify => {
                credential_level.unwrap_or(AssuranceLevel::L3).max(AssuranceLevel::L3)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_match_the_spec_table() {
        assert_eq!(AuthMode::IdNameValidity.level_achieved(None), AssuranceLevel::L1);
        assert_eq!(AuthMode::PortraitIdName.level_achieved(None), AssuranceLevel::L2);
        assert_eq!(AuthMode::Credential.level_achieved(Some(AssuranceLevel::L3)), AssuranceLevel::L3);
        assert_eq!(AuthMode::QrVerify.level_achieved(Some(AssuranceLevel::L4)), AssuranceLevel::L4);
        assert_eq!(
            AuthMode::PortraitCredentialPin.level_achieved(Some(AssuranceLevel::L3)),
            AssuranceLevel::L4
        );
    }

    #[test]
    fn every_mode_round_trips_its_wire_name() {
        for mode in AuthMode::ALL {
            assert_eq!(AuthMode::parse(mode.as_str()), Some(mode));
        }
        assert!(AuthMode::ALL.iter().all(|m| !m.needs_password() || m.needs_portrait()));
    }
}

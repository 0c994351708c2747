//! Assurance levels L1–L4 (SPEC §2), also used as OpenID Connect `acr`.

use serde::{Deserialize, Serialize};

/// What an authentication proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AssuranceLevel {
    /// Real name: name and ID number exist and belong together.
    L1,
    /// Real name and real person (live face matches the registry portrait).
    L2,
    /// Plus real document: a light credential.
    L3,
    /// Plus card and password: an upgraded credential.
    L4,
}

impl AssuranceLevel {
    /// `"L1"` … `"L4"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::L1 => "L1",
            Self::L2 => "L2",
            Self::L3 => "L3",
            Self::L4 => "L4",
        }
    }

    /// Parses `"L1"` … `"L4"`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::L1, Self::L2, Self::L3, Self::L4].into_iter().find(|l| l.as_str() == text)
    }

    /// Whether this level meets a required minimum.
    pub fn satisfies(self, required: Self) -> bool {
        self >= required
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_parse() {
        assert!(AssuranceLevel::L4.satisfies(AssuranceLevel::L3));
        assert!(!AssuranceLevel::L2.satisfies(AssuranceLevel::L3));
        assert_eq!(AssuranceLevel::parse("L3"), Some(AssuranceLevel::L3));
        assert_eq!(AssuranceLevel::parse("l3"), None);
    }
}

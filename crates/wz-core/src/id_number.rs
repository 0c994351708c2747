//! Citizen identification number, GB 11643-1999.
//!
//! Layout: 6-digit region code (GB/T 2260), 8-digit birth date (YYYYMMDD),
//! 3-digit sequence (odd for men, even for women), 1 check character
//! (ISO 7064 MOD 11-2, `0`–`9` or `X`).

use std::fmt;

use time::{Date, Month};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{lookup_region, Region, Sex};

/// Weights of ISO 7064 MOD 11-2 for the 17 leading digits (2^(18-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder 0..=10.
const CHECK_CHARACTERS: [u8; 11] = *b"10X98765432";

/// Each way an ID number can be wrong. No variant carries the number itself.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum IdNumberError {
    /// Not exactly 18 characters.
    #[error("must be 18 characters, got {0}")]
    WrongLength(usize),
    /// A character other than a digit (or a final `X`).
    #[error("character {position} must be a digit{}", if *.position == 18 { " or X" } else { "" })]
    InvalidCharacter {
        /// 1-based position.
        position: usize,
    },
    /// The first six digits are not a GB/T 2260 county-level code.
    #[error("unknown region code")]
    UnknownRegion,
    /// Digits 7-14 are not a calendar date, or lie before 1900.
    #[error("invalid birth date")]
    InvalidBirthDate,
    /// Sequence 000 is never assigned.
    #[error("sequence number 000 is not assigned")]
    InvalidSequence,
    /// The ISO 7064 MOD 11-2 check character does not match.
    #[error("check character does not match")]
    CheckDigitMismatch,
}

/// A validated 18-character ID number.
///
/// # Security
/// Personal data: `Debug` and `Display` print the desensitised form only;
/// the digits are zeroized on drop. Use [`NationalIdNumber::expose`] where the
/// full number is needed (sealing, keyed hashing, entitled release).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct NationalIdNumber([u8; 18]);

impl NationalIdNumber {
    /// Parses and validates, accepting a lowercase `x`.
    pub fn parse(text: &str) -> Result<Self, IdNumberError> {
        let text = text.trim();
        let count = text.chars().count();
        if count != 18 {
            return Err(IdNumberError::WrongLength(count));
        }
        let mut bytes = [0u8; 18];
        for (index, character) in text.chars().enumerate() {
            let valid = character.is_ascii_digit() || (index == 17 && matches!(character, 'X' | 'x'));
            if !valid {
                return Err(IdNumberError::InvalidCharacter { position: index + 1 });
            }
            bytes[index] = character.to_ascii_uppercase() as u8;
        }
        let candidate = Self(bytes);
        if lookup_region(candidate.region_code()).is_none() {
            return Err(IdNumberError::UnknownRegion);
        }
        candidate.parse_birth_date()?;
        if &bytes[14..17] == b"000" {
            return Err(IdNumberError::InvalidSequence);
        }
        if check_character(&bytes[..17]) != bytes[17] {
            return Err(IdNumberError::CheckDigitMismatch);
        }
        Ok(candidate)
    }

    /// Builds a number from its parts and computes the check character.
    pub fn compose(region_code: &str, birth_date: Date, sequence: u16) -> Result<Self, IdNumberError> {
        if sequence == 0 || sequence > 999 {
            return Err(IdNumberError::InvalidSequence);
        }
        let body = format!(
            "{region_code}{:04}{:02}{:02}{sequence:03}",
            birth_date.year(),
            u8::from(birth_date.month()),
            birth_date.day()
        );
        let check = check_character(body.as_bytes()) as char;
        Self::parse(&format!("{body}{check}"))
    }

    fn parse_birth_date(&self) -> Result<Date, IdNumberError> {
        let digits = |range: std::ops::Range<usize>| -> u32 { self.0[range].iter().fold(0, |acc, b| acc * 10 + u32::from(b - b'0')) };
        let year = i32::try_from(digits(6..10)).map_err(|_| IdNumberError::InvalidBirthDate)?;
        let month = u8::try_from(digits(10..12)).ok().and_then(|m| Month::try_from(m).ok());
        let day = u8::try_from(digits(12..14)).map_err(|_| IdNumberError::InvalidBirthDate)?;
        let Some(month) = month else {
            return Err(IdNumberError::InvalidBirthDate);
        };
        if year < 1900 {
            return Err(IdNumberError::InvalidBirthDate);
        }
        Date::from_calendar_date(year, month, day).map_err(|_| IdNumberError::InvalidBirthDate)
    }

    /// The full 18 characters. Handle as personal data.
    pub fn expose(&self) -> &str {
        // Only ASCII digits and 'X' are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The six-digit GB/T 2260 region code.
    pub fn region_code(&self) -> &str {
        &self.expose()[..6]
    }

    /// The region the code names.
    pub fn region(&self) -> Option<&'static Region> {
        lookup_region(self.region_code())
    }

    /// Birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> Date {
        // Validated in parse; the fallback is unreachable.
        self.parse_birth_date().unwrap_or(Date::MIN)
    }

    /// Sex from the parity of the sequence number (digit 17).
    pub fn sex(&self) -> Sex {
        if (self.0[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Desensitised form, e.g. `4401**********123X`.
    pub fn masked(&self) -> String {
        crate::mask_id_number(self.expose())
    }

    /// Whether the birth date lies after `today` (a number not yet possible).
    pub fn is_born_after(&self, today: Date) -> bool {
        self.birth_date() > today
    }
}

/// Serialises the full number: only for sealed registry records and entitled
/// releases, never for logs.
impl serde::Serialize for NationalIdNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> serde::Deserialize<'de> for NationalIdNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// ISO 7064 MOD 11-2 check character over 17 ASCII digits.
fn check_character(first_seventeen: &[u8]) -> u8 {
    let sum: u32 = first_seventeen
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARACTERS[(sum % 11) as usize]
}

impl fmt::Debug for NationalIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalIdNumber({})", self.masked())
    }
}

impl fmt::Display for NationalIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    // 11010519491231002X is the example of GB 11643-1999 itself.
    const STANDARD_EXAMPLE: &str = "11010519491231002X";

    #[test]
    fn accepts_the_standard_example_and_derives_its_parts() {
        let id = NationalIdNumber::parse(STANDARD_EXAMPLE).unwrap();
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region().unwrap().county, "朝阳区");
        assert_eq!(NationalIdNumber::parse("11010519491231002x").unwrap(), id);
    }

    #[test]
    fn names_each_kind_of_mistake() {
        assert_eq!(NationalIdNumber::parse("1101051949123100"), Err(IdNumberError::WrongLength(16)));
        assert_eq!(NationalIdNumber::parse("11010519491231002XX"), Err(IdNumberError::WrongLength(19)));
        assert_eq!(
            NationalIdNumber::parse("1101051949123100X2"),
            Err(IdNumberError::InvalidCharacter { position: 17 })
        );
        assert_eq!(
            NationalIdNumber::parse("11010519491231002Y"),
            Err(IdNumberError::InvalidCharacter { position: 18 })
        );
        assert_eq!(
            NationalIdNumber::parse("１１010519491231002X"),
            Err(IdNumberError::InvalidCharacter { position: 1 })
        );
        assert_eq!(NationalIdNumber::parse("99010519491231002X"), Err(IdNumberError::UnknownRegion));
        assert_eq!(NationalIdNumber::parse("110105194902300021"), Err(IdNumberError::InvalidBirthDate));
        assert_eq!(NationalIdNumber::parse("110105194913010021"), Err(IdNumberError::InvalidBirthDate));
        assert_eq!(NationalIdNumber::parse("110105189912310021"), Err(IdNumberError::InvalidBirthDate));
        assert_eq!(NationalIdNumber::parse("110105194912310001"), Err(IdNumberError::InvalidSequence));
        assert_eq!(
            NationalIdNumber::parse("110105194912310021"),
            Err(IdNumberError::CheckDigitMismatch)
        );
    }

    #[test]
    fn debug_and_display_never_show_the_number() {
        let id = NationalIdNumber::parse(STANDARD_EXAMPLE).unwrap();
        assert_eq!(format!("{id}"), "1101**********002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    proptest! {
        #[test]
        fn composed_numbers_parse_and_any_changed_digit_is_caught(seq in 1u16..1000, day in 0u32..20000, pos in 0usize..17, delta in 1u8..10) {
            let birth = date!(1950 - 01 - 01) + time::Duration::days(i64::from(day));
            let id = NationalIdNumber::compose("440106", birth, seq).unwrap();
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.sex() == Sex::Male, seq % 2 == 1);
            // MOD 11-2 detects every single-digit substitution.
            let mut text = id.expose().as_bytes().to_vec();
            text[pos] = b'0' + (text[pos] - b'0' + delta) % 10;
            prop_assert!(NationalIdNumber::parse(std::str::from_utf8(&text).unwrap()).is_err());
        }
    }
}

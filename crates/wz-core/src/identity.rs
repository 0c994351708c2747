//! The identity record held by the card-making registry.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::{CardSerial, CoreError, NationalIdNumber};

/// Sex as recorded on the card (and implied by the ID sequence parity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// Chinese label printed on the card.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// The 56 recognised ethnic groups (GB/T 3304-1991 order), as printed.
pub const ETHNIC_GROUPS: [&str; 56] = [
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
];

/// End of a card's validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "date")]
pub enum ValidityEnd {
    /// Valid until the end of this day.
    Date(Date),
    /// 长期: issued at 46 or older.
    LongTerm,
}

/// A card's validity period (有效期限).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// First day of validity (the issue date).
    pub start: Date,
    /// Last day of validity, or long-term.
    pub end: ValidityEnd,
}

impl Validity {
    /// The period the Resident Identity Card Law (art. 5) gives a card issued
    /// on `issued` to a person born on `birth`: under 16, 5 years; 16–25,
    /// 10 years; 26–45, 20 years; 46 and over, long-term.
    pub fn by_age_rule(birth: Date, issued: Date) -> Self {
        let age = age_on(birth, issued);
        let years = match age {
            ..16 => Some(5),
            16..=25 => Some(10),
            26..=45 => Some(20),
            _ => None,
        };
        let end = match years {
            Some(years) => ValidityEnd::Date(add_years(issued, years)),
            None => ValidityEnd::LongTerm,
        };
        Self { start: issued, end }
    }

    /// Whether the card is within its validity on `today`.
    pub fn is_valid_on(&self, today: Date) -> bool {
        today >= self.start
            && match self.end {
                ValidityEnd::Date(end) => today <= end,
                ValidityEnd::LongTerm => true,
            }
    }

    /// Printed form, e.g. `2015.03.01-2035.03.01` or `2015.03.01-长期`.
    pub fn printed(&self) -> String {
        let day = |d: Date| format!("{:04}.{:02}.{:02}", d.year(), u8::from(d.month()), d.day());
        match self.end {
            ValidityEnd::Date(end) => format!("{}-{}", day(self.start), day(end)),
            ValidityEnd::LongTerm => format!("{}-长期", day(self.start)),
        }
    }
}

/// Whole years between `birth` and `on`.
pub(crate) fn age_on(birth: Date, on: Date) -> i32 {
    let mut age = on.year() - birth.year();
    if (u8::from(on.month()), on.day()) < (u8::from(birth.month()), birth.day()) {
        age -= 1;
    }
    age
}

/// Same calendar day `years` later; 29 February becomes 28 February.
pub(crate) fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .unwrap_or(date)
}

/// One person in the registry. Personal data throughout.
///
/// # Security
/// `Debug` prints only desensitised fields. The record leaves the registry
/// only sealed (SM4-GCM) or through an entitled, consented release.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// ID number.
    pub id_number: NationalIdNumber,
    /// Full name in Chinese characters.
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Ethnic group, one of [`ETHNIC_GROUPS`].
    pub ethnicity: String,
    /// Registered address (住址).
    pub address: String,
    /// Issuing authority (签发机关).
    pub issuing_authority: String,
    /// Validity of the current card.
    pub validity: Validity,
    /// Serial of the current card; changes when a card is reissued.
    pub card_serial: CardSerial,
    /// Portrait image (JPEG or PNG bytes), when one is on file.
    #[serde(default, with = "portrait_base64")]
    pub portrait: Option<Vec<u8>>,
}

impl IdentityRecord {
    /// Checks the record's internal consistency: sex and birth date agree
    /// with the ID number, the name is 1–30 characters, the ethnicity is
    /// recognised and the validity starts on or after the birth date.
    pub fn validate(&self) -> Result<(), CoreError> {
        let name_len = self.name.chars().count();
        if name_len == 0 || name_len > 30 || self.name.chars().any(char::is_control) {
            return Err(CoreError::InvalidRecord("name must be 1 to 30 printable characters"));
        }
        if self.id_number.sex() != self.sex {
            return Err(CoreError::InvalidRecord("sex does not match the ID number"));
        }
        if !ETHNIC_GROUPS.contains(&self.ethnicity.as_str()) {
            return Err(CoreError::InvalidRecord("unknown ethnic group"));
        }
        if self.address.chars().count() > 120 || self.address.is_empty() {
            return Err(CoreError::InvalidRecord("address must be 1 to 120 characters"));
        }
        if self.validity.start < self.id_number.birth_date() {
            return Err(CoreError::InvalidRecord("validity starts before birth"));
        }
        if let ValidityEnd::Date(end) = self.validity.end {
            if end < self.validity.start {
                return Err(CoreError::InvalidRecord("validity ends before it starts"));
            }
        }
        Ok(())
    }

    /// Birth date (from the ID number).
    pub fn birth_date(&self) -> Date {
        self.id_number.birth_date()
    }
}

impl fmt::Debug for IdentityRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityRecord")
            .field("id_number", &self.id_number)
            .field("name", &crate::mask_name(&self.name))
            .field("card_serial", &self.card_serial)
            .field("portrait", &self.portrait.as_ref().map(|p| p.len()))
            .finish_non_exhaustive()
    }
}

mod portrait_base64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => serializer.serialize_some(&base64::engine::general_purpose::STANDARD.encode(bytes)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        text.map(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn validity_follows_the_age_rule() {
        let birth = date!(2000 - 02 - 29);
        assert_eq!(
            Validity::by_age_rule(birth, date!(2010 - 01 - 01)).end,
            ValidityEnd::Date(date!(2015 - 01 - 01))
        );
        assert_eq!(
            Validity::by_age_rule(birth, date!(2016 - 02 - 29)).end,
            ValidityEnd::Date(date!(2026 - 02 - 28))
        );
        assert_eq!(
            Validity::by_age_rule(birth, date!(2016 - 02 - 28)).end,
            ValidityEnd::Date(date!(2021 - 02 - 28))
        );
        assert_eq!(
            Validity::by_age_rule(birth, date!(2030 - 06 - 01)).end,
            ValidityEnd::Date(date!(2050 - 06 - 01))
        );
        assert_eq!(Validity::by_age_rule(birth, date!(2046 - 03 - 01)).end, ValidityEnd::LongTerm);
    }

    #[test]
    fn validity_window_is_inclusive() {
        let v = Validity {
            start: date!(2020 - 01 - 01),
            end: ValidityEnd::Date(date!(2030 - 01 - 01)),
        };
        assert!(v.is_valid_on(date!(2030 - 01 - 01)));
        assert!(!v.is_valid_on(date!(2030 - 01 - 02)));
        assert!(!v.is_valid_on(date!(2019 - 12 - 31)));
        assert_eq!(v.printed(), "2020.01.01-2030.01.01");
    }
}

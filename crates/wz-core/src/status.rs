//! Registry status of an identity's current card and its allowed changes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// Status of the current card in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    /// 有效
    Valid,
    /// 挂失
    ReportedLost,
    /// 过期
    Expired,
    /// 注销 (final)
    Cancelled,
}

impl IdentityStatus {
    /// Stable text form, used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::ReportedLost => "reported_lost",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// The result code a card (and every credential derived from it) is
    /// refused with in this status; `None` when valid.
    pub fn refusal(self) -> Option<crate::ResultCode> {
        match self {
            Self::Valid => None,
            Self::ReportedLost => Some(crate::ResultCode::CardReportedLost),
            Self::Expired => Some(crate::ResultCode::CardExpired),
            Self::Cancelled => Some(crate::ResultCode::CardCancelled),
        }
    }

    /// Parses [`IdentityStatus::as_str`] output.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Valid, Self::ReportedLost, Self::Expired, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Whether the lifecycle allows moving from `self` to `to`. A lost or
    /// expired card becomes valid again only by reissue or renewal;
    /// cancellation (death, loss of nationality) is final.
    pub fn can_change_to(self, to: Self) -> bool {
        use IdentityStatus::*;
        matches!(
            (self, to),
            (Valid, ReportedLost | Expired | Cancelled) | (ReportedLost, Valid | Cancelled) | (Expired, Valid | Cancelled)
        )
    }
}

impl fmt::Display for IdentityStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reason codes a status change may give: a closed list, never free
/// text, so no personal data can enter the history or the audit log.
pub const STATUS_REASONS: &[&str] = &[
    "reported_by_holder",
    "reported_by_police",
    "found_by_holder",
    "reissued",
    "renewed",
    "validity_ended",
    "holder_deceased",
    "nationality_lost",
    "registry_correction",
];

/// The status names a change may ask for, for messages.
pub const STATUS_NAMES: &[&str] = &["valid", "reported_lost", "expired", "cancelled"];

/// A checked status change with a reason from [`STATUS_REASONS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// Status before.
    pub from: IdentityStatus,
    /// Status after.
    pub to: IdentityStatus,
    /// Reason code, e.g. `reported_by_holder`.
    pub reason: String,
}

impl StatusChange {
    /// Validates a change against the lifecycle and the reason format.
    pub fn new(from: IdentityStatus, to: IdentityStatus, reason: &str) -> Result<Self, CoreError> {
        if !from.can_change_to(to) {
            return Err(CoreError::InvalidStatusTransition { from, to });
        }
        if !STATUS_REASONS.contains(&reason) {
            return Err(CoreError::InvalidRecord(
                "reason must be one of reported_by_holder, reported_by_police, found_by_holder, reissued, renewed, validity_ended, holder_deceased, nationality_lost, registry_correction",
            ));
        }
        Ok(Self {
            from,
            to,
            reason: reason.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelled_is_final_and_no_op_changes_are_refused() {
        for to in [IdentityStatus::Valid, IdentityStatus::ReportedLost, IdentityStatus::Expired] {
            assert!(!IdentityStatus::Cancelled.can_change_to(to));
        }
        assert!(StatusChange::new(IdentityStatus::Valid, IdentityStatus::Valid, "x").is_err());
        assert!(StatusChange::new(IdentityStatus::Valid, IdentityStatus::ReportedLost, "Lost by 张三").is_err());
        assert!(StatusChange::new(IdentityStatus::Valid, IdentityStatus::ReportedLost, "reported_by_holder").is_ok());
        assert!(StatusChange::new(IdentityStatus::Valid, IdentityStatus::ReportedLost, "anything_else").is_err());
        for reason in STATUS_REASONS {
            assert!(StatusChange::new(IdentityStatus::Valid, IdentityStatus::ReportedLost, reason).is_ok());
        }
    }

    #[test]
    fn text_form_round_trips() {
        for s in [
            IdentityStatus::Valid,
            IdentityStatus::ReportedLost,
            IdentityStatus::Expired,
            IdentityStatus::Cancelled,
        ] {
            assert_eq!(IdentityStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(IdentityStatus::parse("lost"), None);
    }
}

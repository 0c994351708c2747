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

/// A checked status change. `reason` is a short code (`[a-z_]{1,40}`), never
/// free text, so no personal data can enter the history or the audit log.
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
        let reason_ok = (1..=40).contains(&reason.len()) && reason.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if !reason_ok {
            return Err(CoreError::InvalidRecord("reason must be 1 to 40 characters of a-z and _"));
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

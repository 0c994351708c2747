//! The 8-digit ID card password (身份证密码): format and strength rules,
//! the keyed digest the platform stores, and the lockout rule.
//!
//! # Security
//! The password is held in a zeroizing buffer and never printed. The store
//! keeps `HMAC-SM3(pepper, domain || salt || lookup key || password)` with a
//! per-identity random salt; the pepper is a key file kept apart from the
//! database (docs/decisions.md, decision 12, weighs this against argon2id).
//! Digests are compared in constant time.

use std::fmt;

use time::{Date, OffsetDateTime};
use wz_crypto::MacKey;
use zeroize::Zeroizing;

use crate::{LookupKey, ResultCode};

/// Digits in a card password.
pub const PASSWORD_DIGITS: usize = 8;
const DIGEST_DOMAIN: &[u8] = b"wz-card-password/1\0";

/// Why a password cannot be set or used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Not exactly 8 ASCII digits.
    #[error("the password must be 8 digits")]
    Format,
    /// All one digit, a run such as 12345678, or the holder's birth date.
    #[error("the password is too easy to guess")]
    TooWeak,
    /// The two entries differ.
    #[error("the two entries differ")]
    Mismatch,
}

impl From<PasswordError> for ResultCode {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Format => Self::PasswordFormat,
            PasswordError::TooWeak => Self::PasswordTooWeak,
            PasswordError::Mismatch => Self::PasswordMismatch,
        }
    }
}

/// A card password as typed. Secret.
#[derive(Clone)]
pub struct CardPassword(Zeroizing<[u8; PASSWORD_DIGITS]>);

impl CardPassword {
    /// Accepts exactly 8 ASCII digits.
    pub fn parse(text: &str) -> Result<Self, PasswordError> {
        let bytes: [u8; PASSWORD_DIGITS] = text.as_bytes().try_into().map_err(|_| PasswordError::Format)?;
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(PasswordError::Format);
        }
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// Checks the two entries of a new password and its strength: not one
    /// repeated digit, not a run up or down (12345678, 87654321), not the
    /// holder's birth date (YYYYMMDD) as printed on the card.
    pub fn choose(first: &str, second: &str, birth_date: Date) -> Result<Self, PasswordError> {
        let password = Self::parse(first)?;
        let confirmation = Self::parse(second)?;
        if !wz_crypto::constant_time_eq(&password.0[..], &confirmation.0[..]) {
            return Err(PasswordError::Mismatch);
        }
        let digits = password.0.map(|d| i16::from(d - b'0'));
        let all_same = digits.iter().all(|&d| d == digits[0]);
        let run = |step: i16| digits.windows(2).all(|w| (w[1] - w[0]).rem_euclid(10) == step.rem_euclid(10));
        let birth = format!("{:04}{:02}{:02}", birth_date.year(), u8::from(birth_date.month()), birth_date.day());
        if all_same || run(1) || run(-1) || password.0[..] == *birth.as_bytes() {
            return Err(PasswordError::TooWeak);
        }
        Ok(password)
    }

    /// The keyed digest stored for this password.
    pub fn digest(&self, pepper: &MacKey, salt: &[u8; 16], lookup: &LookupKey) -> [u8; 32] {
        pepper.mac(&self.message(salt, lookup))
    }

    /// Whether this password has the stored digest (constant time).
    pub fn matches(&self, pepper: &MacKey, salt: &[u8; 16], lookup: &LookupKey, stored: &[u8; 32]) -> bool {
        pepper.verify(&self.message(salt, lookup), stored)
    }

    fn message(&self, salt: &[u8; 16], lookup: &LookupKey) -> Zeroizing<Vec<u8>> {
        let mut data = Zeroizing::new(Vec::with_capacity(DIGEST_DOMAIN.len() + 16 + 32 + PASSWORD_DIGITS));
        data.extend_from_slice(DIGEST_DOMAIN);
        data.extend_from_slice(salt);
        data.extend_from_slice(lookup.as_bytes());
        data.extend_from_slice(&self.0[..]);
        data
    }
}

impl fmt::Debug for CardPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardPassword(<secret>)")
    }
}

/// How many consecutive wrong passwords lock the password, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock (5).
    pub max_failures: u32,
    /// How long the lock lasts.
    pub lock_for: time::Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lock_for: time::Duration::hours(1),
        }
    }
}

/// Per-identity password state as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordState {
    /// Random per identity, renewed on every reset.
    pub salt: [u8; 16],
    /// Keyed digest of the password.
    pub digest: [u8; 32],
    /// Incremented by every reset; credentials of older epochs are revoked.
    pub epoch: u32,
    /// Consecutive wrong attempts since the last success or reset.
    pub failures: u32,
    /// Locked until this time (Unix ms), if locked.
    pub locked_until_ms: Option<i64>,
}

/// What one password attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordAttempt {
    /// Correct; the failure count is reset.
    Correct,
    /// Wrong; `remaining` tries before the lock.
    Wrong {
        /// Attempts left before the password locks.
        remaining: u32,
    },
    /// Locked (now, or by this very failure) until the given time.
    Locked {
        /// Unix milliseconds.
        until_ms: i64,
    },
}

impl From<PasswordAttempt> for ResultCode {
    fn from(attempt: PasswordAttempt) -> Self {
        match attempt {
            PasswordAttempt::Correct => Self::Success,
            PasswordAttempt::Wrong { .. } => Self::PasswordWrong,
            PasswordAttempt::Locked { .. } => Self::PasswordLocked,
        }
    }
}

impl PasswordState {
    /// Whether the password is locked at `now`.
    pub fn is_locked_at(&self, now: OffsetDateTime) -> bool {
        self.locked_until_ms.is_some_and(|until| unix_ms(now) < until)
    }

    /// Applies one attempt whose correctness is `correct` at `now`. While
    /// locked the password is not even checked: the caller passes the
    /// closure that checks it. A lock that has run out clears the count.
    pub fn attempt(&self, now: OffsetDateTime, policy: LockoutPolicy, correct: impl FnOnce(&Self) -> bool) -> (Self, PasswordAttempt) {
        if let Some(until_ms) = self.locked_until_ms.filter(|_| self.is_locked_at(now)) {
            return (self.clone(), PasswordAttempt::Locked { until_ms });
        }
        let mut next = self.clone();
        if next.locked_until_ms.is_some() {
            next.locked_until_ms = None;
            next.failures = 0;
        }
        if correct(self) {
            next.failures = 0;
            return (next, PasswordAttempt::Correct);
        }
        next.failures += 1;
        if next.failures >= policy.max_failures {
            let until_ms = unix_ms(now + policy.lock_for);
            next.locked_until_ms = Some(until_ms);
            return (next, PasswordAttempt::Locked { until_ms });
        }
        let remaining = policy.max_failures - next.failures;
        (next, PasswordAttempt::Wrong { remaining })
    }
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn accepts_eight_digits_only() {
        assert!(CardPassword::parse("20481357").is_ok());
        for bad in ["2048135", "204813570", "2048135a", "２０４８１３５７", ""] {
            assert_eq!(CardPassword::parse(bad).err(), Some(PasswordError::Format), "{bad}");
        }
    }

    #[test]
    fn refuses_weak_or_mismatched_choices() {
        let birth = date!(1990 - 03 - 07);
        assert!(CardPassword::choose("20481357", "20481357", birth).is_ok());
        assert_eq!(
            CardPassword::choose("20481357", "20481358", birth).err(),
            Some(PasswordError::Mismatch)
        );
        for weak in ["11111111", "12345678", "87654321", "67890123", "19900307"] {
            assert_eq!(
                CardPassword::choose(weak, weak, birth).err(),
                Some(PasswordError::TooWeak),
                "{weak}"
            );
        }
    }

    #[test]
    fn digest_depends_on_pepper_salt_identity_and_password() {
        let pepper = MacKey::from_bytes([1; 32]);
        let lookup = LookupKey::from_bytes([2; 32]);
        let password = CardPassword::parse("20481357").unwrap();
        let digest = password.digest(&pepper, &[3; 16], &lookup);
        assert!(password.matches(&pepper, &[3; 16], &lookup, &digest));
        assert!(!password.matches(&MacKey::from_bytes([9; 32]), &[3; 16], &lookup, &digest));
        assert!(!password.matches(&pepper, &[4; 16], &lookup, &digest));
        assert!(!password.matches(&pepper, &[3; 16], &LookupKey::from_bytes([5; 32]), &digest));
        assert!(!CardPassword::parse("20481358")
            .unwrap()
            .matches(&pepper, &[3; 16], &lookup, &digest));
        assert!(!format!("{password:?}").contains("2048"));
    }

    #[test]
    fn five_consecutive_failures_lock_for_the_stated_time() {
        let policy = LockoutPolicy::default();
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        let mut state = PasswordState {
            salt: [0; 16],
            digest: [0; 32],
            epoch: 1,
            failures: 0,
            locked_until_ms: None,
        };
        for expected_remaining in [4, 3, 2, 1] {
            let (next, outcome) = state.attempt(now, policy, |_| false);
            assert_eq!(
                outcome,
                PasswordAttempt::Wrong {
                    remaining: expected_remaining
                }
            );
            state = next;
        }
        let (locked, outcome) = state.attempt(now, policy, |_| false);
        let until_ms = unix_ms(now + policy.lock_for);
        assert_eq!(outcome, PasswordAttempt::Locked { until_ms });
        // Even the right password is refused while locked, and not checked.
        let (still, outcome) = locked.attempt(now + time::Duration::minutes(59), policy, |_| panic!("checked while locked"));
        assert_eq!(outcome, PasswordAttempt::Locked { until_ms });
        // After the lock, the count starts again; a success clears it.
        let (after, outcome) = still.attempt(now + time::Duration::hours(1), policy, |_| false);
        assert_eq!((outcome, after.failures), (PasswordAttempt::Wrong { remaining: 4 }, 1));
        let (cleared, outcome) = after.attempt(now + time::Duration::hours(1), policy, |_| true);
        assert_eq!((outcome, cleared.failures), (PasswordAttempt::Correct, 0));
    }

    #[test]
    fn lock_lasts_until_its_time() {
        let now = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        let state = PasswordState {
            salt: [0; 16],
            digest: [0; 32],
            epoch: 1,
            failures: 5,
            locked_until_ms: Some(unix_ms(now) + 10),
        };
        assert!(state.is_locked_at(now));
        assert!(!state.is_locked_at(now + time::Duration::milliseconds(10)));
    }
}

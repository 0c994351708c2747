//! The storage interface of WangZheng: one async trait that the SQLite and
//! PostgreSQL backends implement, the rows it speaks in, `StoreError`, and
//! (feature `testing`) the conformance suite both backends must pass.
//!
//! Must not depend on a database driver: the one SQL implementation (feature
//! `sql`, module [`sql`]) speaks through sqlx's `Any` driver, and the
//! backend crates, which connect and migrate, bring the drivers.
//! Every method that performs an action takes the audit draft for it and
//! writes both in one transaction, so the audit chain can never miss or
//! invent an action.

#![warn(missing_docs)]

pub mod columns;
mod credential_rows;
mod credential_store;
mod error;
mod oidc;
mod relying_parties;
mod rows;
mod sessions;
mod store;

#[cfg(feature = "testing")]
pub mod conformance;

#[cfg(feature = "sql")]
pub mod sql;

pub use credential_rows::{
    CredentialRow, CredentialStatus, EnrolmentRow, EnrolmentState, NewCredential, NonceUse, PasswordUpdate, TerminalRow, UseAudit,
    UseOutcome, EXPIRY_SIGNED_KINDS,
};
pub use credential_store::CredentialStore;
pub use error::StoreError;
pub use oidc::{OidcAuthorizationRow, OidcAuthorizationState, OidcLookup, OidcRedemption, OidcStep, OidcStore, OidcTokenRow};
pub use relying_parties::{RelyingPartyRow, RelyingPartyStore};
pub use rows::{IdentityRow, NewIdentity, ResealedIdentity, StatusHistoryRow};
pub use sessions::{Heard, SessionChange, SessionRow, SessionStore, WebhookRow};
pub use store::Store;

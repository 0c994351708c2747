//! WangZheng domain core: resident ID numbers (GB 11643-1999), identity
//! records and their status, desensitisation, assurance levels, the
//! authentication modes, result codes, the simulated ID card, the sealed
//! registry record, the hash-chained audit log, the network ID credential,
//! the wallet's dynamic QR code and the card password rules.
//!
//! No I/O: no tokio, database, HTTP, file system, environment or logging.
//! Time and randomness are arguments.

#![warn(missing_docs)]

mod assurance;
mod audit;
mod auth_mode;
mod card;
mod card_password;
mod credential;
mod desensitise;
mod display_text;
mod enrolment_code;
mod error;
mod id_number;
mod identity;
pub mod oidc_client;
mod population;
mod region;
mod registry_seal;
mod relying_party;
mod request_proof;
mod result_code;
mod session;
mod status;
mod wallet_qr;
mod webhook_target;

pub use assurance::AssuranceLevel;
pub use audit::{verify_chain, AuditDraft, AuditEntry, ChainBreak, GENESIS_HASH};
pub use auth_mode::AuthMode;
pub use card::{
    CardChallenge, CardChipData, CardFile, CardPresentation, CardSerial, CardVerificationError, TrustedAuthorities, VerifiedCard,
    CARD_FILE_VERSION,
};
pub use card_password::{unix_ms, CardPassword, LockoutPolicy, PasswordAttempt, PasswordError, PasswordState, PASSWORD_DIGITS};
pub use credential::{
    Credential, CredentialBody, CredentialError, CredentialNumber, CredentialSerial, Issuance, CREDENTIAL_VERSION, MAX_CREDENTIAL_BYTES,
};
pub use desensitise::{mask_address, mask_id_number, mask_name};
pub use display_text::{check_display_text, DisplayTextError};
pub use enrolment_code::{enrolment_code, parse_enrolment_code, ENROLMENT_QR_PREFIX};
pub use error::CoreError;
pub use id_number::{IdNumberError, NationalIdNumber};
pub use identity::{IdentityRecord, Sex, Validity, ValidityEnd, ETHNIC_GROUPS};
pub use oidc_client::{IdTokenAlg, OidcClient, OidcClientError};
pub use population::{street_address, PersonGenerator, PopulationSpec};
pub use region::{lookup_region, Region};
pub use registry_seal::{LookupKey, RegistrySealer, SealedIdentity};
pub use relying_party::{
    disclose, pairwise_subject, releasable, sign_batch, sign_webhook, verify_webhook, Attribute, AuthStatement, ResultAlg, ResultKey,
    RpCategory, SignedStatement, StatementError,
};
pub use request_proof::{ProofError, RequestProof, RequestTarget, Signer, REQUEST_WINDOW_MS};
pub use result_code::{markdown_table as result_code_table, ResultCode};
pub use session::{check_frame, frame_session_id, session_frame, FrameError, SessionState, FRAME_MAX_AGE_SECONDS, FRAME_PREFIX};
pub use status::{IdentityStatus, StatusChange, STATUS_NAMES, STATUS_REASONS};
pub use wallet_qr::{qr_key, QrError, WalletQr, QR_CLOCK_SKEW_MS, QR_LIFETIME_MS, QR_PREFIX};
pub use webhook_target::{WebhookPolicy, WebhookTarget, WebhookUrlError, MAX_WEBHOOK_URL_CHARS};

//! Wire types of the WangZheng `/v1` API, shared by the server, the typed
//! client and the UI. Changing a type here changes the public contract.
//!
//! Must not depend on `wz-core`: the wire format changes by decision, not
//! as a side effect of a domain refactor. Conversions live in `wz-http`.

#![warn(missing_docs)]

mod admin;
mod biometrics;
mod cards;
mod credentials;
mod demo;
mod error;
mod keys;
mod relying_parties;
mod sessions;
mod system;

pub use admin::{AuditVerifyResponse, ChangeStatusRequest, ChangeStatusResponse};
pub use biometrics::{
    BiometricRatesResponse, DataSetDescription, FaceMismatchRate, MeasuredRate, ModalityStatus, SpokenDigitRate, SpokenDigitRates,
};
pub use cards::{CardChallengeResponse, ReadCardRequest, ReadCardResponse};
pub use credentials::{
    BindEnrolmentRequest, BindEnrolmentResponse, CancelledEnrolmentResponse, CompleteEnrolmentRequest, CredentialResponse,
    CredentialStatusRequest, CredentialStatusResponse, EnrolledCredentialRequest, LightApplicationRequest, LiveSequence,
    LivenessChallengeResponse, OpenEnrolmentResponse, PasswordCheckRequest, PasswordCheckResponse, QrVerifyRequest, QrVerifyResponse,
    RegisterTerminalRequest, SpokenDigits, TerminalResponse,
};
pub use demo::{DemoCardRequest, DemoCitizen, DemoEnrolledPerson, DemoParty, DemoPersonRequest, DemoSetup};
pub use error::ErrorBody;
pub use keys::{KeysResponse, PublishedKey};
pub use relying_parties::{
    AuthenticationRequest, AuthenticationResponse, HistoryEntry, OidcClientSettings, RegisteredRelyingParty, RelyingPartyList,
    RelyingPartyRequest, RelyingPartyResponse, RelyingPartyStateRequest, SignedResult, WalletHistoryRequest, WalletHistoryResponse,
};
pub use sessions::{
    CompleteSessionRequest, CreateSessionRequest, CreateTransactionRequest, CreatedSession, CreatedTransaction, Invitation,
    ScanSessionRequest, ScannedSessionResponse, SessionStatus, TransactionStatus,
};
pub use system::HealthResponse;

//! PostgreSQL backend of the WangZheng store, for production and for many
//! server processes sharing one database.
//!
//! Every transaction that appends to the audit chain first takes a
//! transaction-scoped advisory lock, so appends from any number of processes
//! form one linear chain. Must not be depended on by libraries other than the
//! server assembly.

mod audit;
mod connect;
mod credentials;
mod identities;
mod relying_parties;
mod sessions;

pub use connect::{PgConfig, PgStore};

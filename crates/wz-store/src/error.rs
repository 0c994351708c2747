//! The storage error enum.

/// What went wrong in storage, in domain terms.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique key is already taken (e.g. an identity enrolled twice).
    #[error("already exists")]
    AlreadyExists,
    /// The row changed since it was read (optimistic check failed).
    #[error("concurrent modification")]
    Conflict,
    /// Stored data does not decode (bad status text, wrong hash length).
    #[error("stored data is corrupt: {0}")]
    Corrupt(&'static str),
    /// The database could not be reached or failed.
    #[error("storage unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

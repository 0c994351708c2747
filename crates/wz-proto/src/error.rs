//! The error body of every failed request.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `{code, message, request_id}`: `code` is a stable result code from
/// `docs/result-codes.md`; messages never contain personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `id_number_check_digit`.
    pub code: String,
    /// Human message (English).
    pub message: String,
    /// Human message (Chinese).
    pub message_zh: String,
    /// The request id, also in the `x-request-id` header; quote it to support.
    pub request_id: String,
}

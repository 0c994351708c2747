//! Health and readiness.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Health or readiness answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`, or `unavailable` with status 503.
    pub status: String,
}

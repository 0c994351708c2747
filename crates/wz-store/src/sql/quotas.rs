//! Shared quotas: one row per scope holds the current window and the units
//! leased from it. One upsert decides a lease, so concurrent instances
//! serialise on the row (PostgreSQL's row lock, SQLite's single writer) and
//! the grants of one window add up to at most its limit.

use sqlx::AnyPool;

use super::unavailable;
use crate::StoreError;

/// `granted` is written by the same statement so `RETURNING` can report it:
/// in `SET`, every column reference reads the row as it was before.
const LEASE: &str = "INSERT INTO quota_windows (scope, window_start, used, granted) VALUES ($1, $2, $3, $3) \
     ON CONFLICT (scope) DO UPDATE SET \
     window_start = CASE WHEN quota_windows.window_start < excluded.window_start \
         THEN excluded.window_start ELSE quota_windows.window_start END, \
     used = CASE WHEN quota_windows.window_start < excluded.window_start THEN excluded.used \
         WHEN quota_windows.used + excluded.used > $4 THEN $4 \
         ELSE quota_windows.used + excluded.used END, \
     granted = CASE WHEN quota_windows.window_start < excluded.window_start THEN excluded.used \
         WHEN quota_windows.used >= $4 THEN 0 \
         WHEN quota_windows.used + excluded.used > $4 THEN $4 - quota_windows.used \
         ELSE excluded.used END \
     RETURNING granted";

pub(super) async fn lease(writer: &AnyPool, scope: &str, window_start: i64, want: u32, limit: u32) -> Result<u32, StoreError> {
    let asked = i64::from(want.min(limit));
    if asked == 0 {
        return Ok(0);
    }
    let granted: i64 = sqlx::query_scalar(LEASE)
        .bind(scope)
        .bind(window_start)
        .bind(asked)
        .bind(i64::from(limit))
        .fetch_one(writer)
        .await
        .map_err(unavailable)?;
    Ok(u32::try_from(granted.clamp(0, asked)).unwrap_or(0))
}

pub(super) async fn purge(writer: &AnyPool, before_ms: i64) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM quota_windows WHERE window_start < $1")
        .bind(before_ms)
        .execute(writer)
        .await
        .map_err(unavailable)?;
    Ok(result.rows_affected())
}

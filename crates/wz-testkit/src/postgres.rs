//! A fresh schema on the test PostgreSQL database for tests that run whole
//! servers or `wz` processes on it.

/// Creates the empty schema `{prefix}_{random}` on `url` and returns the
/// URL whose connections use it (`search_path`). A prefix starting with
/// `wz_test` lets `scripts/test` drop it on its next run.
pub async fn fresh_schema_url(url: &str, prefix: &str) -> String {
    let schema = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
    admin.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

//! SQLite backend of the WangZheng store: one file (WAL journal), the
//! default for a single machine. It opens, configures and migrates the
//! file; the queries are `wz_store::sql`'s, shared with PostgreSQL.
//!
//! Writes go through a pool of exactly one connection, so transactions are
//! serialised in-process and the audit chain's read-then-append is never
//! raced; reads use a separate read-only pool and proceed in parallel under
//! WAL. Must not be depended on by libraries other than the server assembly
//! and the test kit.

mod open;

pub use open::{open, SqliteConfig};

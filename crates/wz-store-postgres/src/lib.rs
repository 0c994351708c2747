//! PostgreSQL backend of the WangZheng store, for production and for many
//! server processes sharing one database. It connects and migrates; the
//! queries are `wz_store::sql`'s, shared with SQLite, in the PostgreSQL
//! dialect: every transaction that appends to the audit chain first takes a
//! transaction-scoped advisory lock, so appends from any number of
//! processes form one linear chain, and reads that precede a change lock
//! their rows. A session change's transaction also `NOTIFY`s its id, which
//! [`SessionListener`] hears on a dedicated connection. Must not be depended on by libraries other than the server
//! assembly.

mod connect;
mod listen;

pub use connect::{connect, PgConfig};
pub use listen::SessionListener;

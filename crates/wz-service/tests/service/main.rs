//! Service tests over a temporary SQLite store with a fake clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

mod audit;
mod cards;
mod faces;
mod registry;

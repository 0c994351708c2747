//! Service tests over a temporary SQLite store with a fake clock.

mod audit;
mod cards;
mod registry;

//! The online service hall (百万申请网上办, SPEC §7): a reference relying
//! party built only on the platform's public interfaces. A citizen signs in
//! with WangZheng at the level a service needs, picks a service, finds the
//! form pre-filled from the department registries, submits; the rules
//! approve what they may, officers review the rest, and the outcome is an
//! electronic certificate signed by the issuing department that anyone can
//! verify.
//!
//! The hall has its own database ([`store`]), its own keys
//! ([`certificate::DepartmentKeys`]) and reaches departments through one
//! interface ([`registries::Connector`]); it never reads the platform's
//! database. Layers: [`registries`] and [`services`] are data, [`rules`]
//! decides, [`hall`] runs the use cases over the store, and the HTTP
//! server ([`web`]) only wires them.

#![warn(missing_docs)]

pub mod certificate;
pub mod hall;
pub mod platform;
pub mod registries;
pub mod rules;
pub mod services;
pub mod store;
pub mod web;

pub use hall::{Application, Decider, Hall, HallError, Verification};

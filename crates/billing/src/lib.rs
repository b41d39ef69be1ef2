//! Billing: plans, the usage ledger, limits checked before work, invoices.
//!
//! It owns the catalogue of plans ([`model`]: limits per meter, tiered
//! prices, proration, periods), the one ledger every crate records usage in
//! and asks before work ([`service::usage`], reached by the other crates
//! through `stackpro_core::metering::Metering`, which [`Billing`]
//! implements), plan changes, and invoices computed by StackPro itself.
//! The tenant's plan lives on its tenant row, so the credential cache of
//! `security` carries it into every request's `TenantCtx`.
//!
//! Start with [`service::Billing`]; [`routes`] is the thin HTTP face and
//! [`store`] the SQL.
#![warn(missing_docs)]

pub mod error;
pub mod forecast;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
pub mod stripe;
pub mod views;

pub use error::Error;
pub use model::Catalogue;
pub use service::Billing;

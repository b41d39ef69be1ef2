//! Core: the vocabulary every StackPro crate shares and nothing else.
//!
//! It owns typed ids ([`define_id!`]), the tenant context of a request
//! ([`TenantCtx`], [`Role`]), the single list of error codes ([`Code`]) and the
//! problem+json error ([`ApiError`]), the request extractors whose rejections are
//! problems ([`Json`], [`Path`], [`Query`]), configuration ([`config`]) and the
//! clock ([`Clock`]). It knows no SQL and no feature: `store` owns storage,
//! `security` owns identity, and each feature crate owns its rules.
//!
//! Start with [`error`] for how every failure reaches the client, then
//! [`tenancy`] for how every request is bound to one tenant.
#![warn(missing_docs)]

extern crate self as stackpro_core;

pub mod access;
pub mod clock;
pub mod config;
pub mod error;
pub mod extract;
pub mod hooks;
pub mod ids;
pub mod metering;
pub mod slug;
pub mod tenancy;
pub mod text;

pub use clock::Clock;
pub use error::{ApiError, Code, ErrorCode, Problem};
pub use extract::{ClientIp, Json, Path, Query};
pub use metering::{Feature, Meter, PlanRef, PlanStatus};
pub use slug::Slug;
pub use tenancy::{Authenticator, OperatorCtx, Principal, Role, TenantCtx};

/// Re-exported so `define_id!` works in crates that do not name `uuid` or `sqlx`.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use sqlx;
    pub use utoipa;
    pub use uuid;
}

//! Security: who may do what in which tenant, and the proof of what was done.
//!
//! It owns tenants and their people (sign-up, sign-in with argon2id, short-lived
//! JWT access tokens with rotating refresh tokens, invitations, password reset),
//! roles and API keys, the [`Authenticator`](stackpro_core::Authenticator) that
//! turns a request into a `TenantCtx`, per-tenant envelope encryption
//! ([`crypto`]), the hash-chained audit log ([`audit`]), rate limits on
//! sign-in, sign-up and reset, and the security-event stream of refused
//! requests ([`events`]). Rights always follow the person behind a credential
//! as they are now; [`cache`] says how a change reaches every replica.
//! Storage primitives come from `stackpro-store`; HTTP composition from
//! `stackpro-server`.
//!
//! Start with [`service::Security`]: every rule lives there; [`routes`] is the
//! thin HTTP face and [`store`] the SQL.
#![warn(missing_docs)]

pub mod audit;
pub mod authn;
pub mod cache;
pub mod crypto;
pub mod error;
pub mod events;
pub mod mail;
pub mod model;
pub mod password;
pub mod routes;
pub mod service;
pub mod store;
pub mod tokens;

pub use error::Error;
pub use service::{Security, Settings, Signup};

//! Store: where StackPro keeps things, in both modes.
//!
//! It owns the relational database ([`Db`]: SQLite in the embedded default,
//! PostgreSQL when scaled out) with its migrations, the only two ways into it
//! ([`TenantTx`] for one tenant's data, [`SystemTx`] for work across tenants),
//! blob storage ([`BlobStore`]: a local directory or S3), publish/subscribe
//! ([`Bus`]) and counters ([`Counters`]), in-process or on Redis, and the durable
//! job queue ([`jobs`]). It knows no feature: each feature crate writes its own
//! SQL in its `store.rs` against the transactions defined here.
//!
//! Start with [`db`]: every store function takes `&mut TenantTx`, so a query
//! cannot forget its tenant, and on PostgreSQL row-level security holds even if
//! one did.
#![warn(missing_docs)]

pub mod blob;
pub mod bus;
pub mod counters;
pub mod db;
pub mod error;
pub mod jobs;
pub mod redis;
pub mod usage;

pub use blob::BlobStore;
pub use bus::Bus;
pub use counters::Counters;
pub use db::{Conn, Db, Dialect, SystemTx, TenantTx};
pub use error::{ResultExt, StoreError};
pub use redis::{Redis, RedisHealth};

//! Integration tests: one binary, one module per capability. Every test runs
//! the real server over HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod api_keys;
mod assistant;
mod audit;
mod auth;
mod bad_input;
mod billing;
mod billing_stripe;
mod blobs;
mod crypto;
mod jobs;
mod llm_peers;
mod members;
mod operator_console;
mod operators;
mod realtime;
mod resilience;
mod rights;
mod scaleout;
mod security_events;
mod sites;
mod system;
mod tenancy;

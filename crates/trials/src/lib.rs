//! Trials: anonymous trial tenants with a time to live, generated sales pages,
//! A/B experiments, and upgrade in place through billing.
//!
//! Not built yet: this crate marks its place in the workspace.

//! Billing: plans, usage metering with idempotency keys, hard and soft limits
//! checked before work is done, invoices, Stripe sync and forecasts.
//!
//! Not built yet: this crate marks its place in the workspace.

//! The rules of billing. No HTTP here: routes parse input and call one
//! method; each method checks the caller's rights and does its work in one
//! transaction.
//!
//! - [`usage`]: the ledger: reservations before work, recording with the
//!   work, levels, soft-limit alerts, API requests.
//! - [`plans`]: the account, plan changes (upgrades at once, downgrades at
//!   the period's end), and the overview a workspace sees.
//! - [`invoices`]: computing a period's invoice and issuing it.
//! - [`payments`]: Stripe, when configured: subscriptions, usage items,
//!   webhooks, Checkout.
//! - [`operator`]: the operator console's reports across workspaces.
//! - [`tick`]: what happens with time: trials end, downgrades apply, unpaid
//!   accounts are restricted, periods are invoiced.

use crate::error::Error;
use crate::model::{Catalogue, Limit, Period, Plan};
use chrono::{DateTime, Utc};
use stackpro_core::ids::TenantId;
use stackpro_core::metering::{LimitReached, Meter, PlanRef};
use stackpro_core::{Clock, Role, TenantCtx};
use stackpro_security::Security;
use stackpro_store::{Bus, Counters, Db};
use std::sync::{Arc, Mutex};

pub mod analytics;
pub mod invoices;
pub mod operator;
pub mod payments;
pub mod plans;
pub mod tick;
pub mod usage;

/// Plans, usage and invoices. Cheap to clone.
#[derive(Clone)]
pub struct Billing(Arc<Inner>);

pub(crate) struct Inner {
    db: Db,
    security: Security,
    counters: Counters,
    bus: Bus,
    catalogue: Catalogue,
    clock: Clock,
    payments: Option<payments::Payments>,
    /// API requests counted but not yet in the ledger (see [`usage`]).
    api_requests: Mutex<Vec<usage::Pending>>,
}

impl std::fmt::Debug for Billing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Billing")
    }
}

impl Billing {
    /// The service over its storage, the security service (audit, mail,
    /// credential invalidation), the catalogue of plans and, when Stripe is
    /// configured, payments.
    pub fn new(
        db: Db,
        security: Security,
        counters: Counters,
        bus: Bus,
        catalogue: Catalogue,
        clock: Clock,
        payments: Option<payments::Payments>,
    ) -> Billing {
        Billing(Arc::new(Inner {
            db,
            security,
            counters,
            bus,
            catalogue,
            clock,
            payments,
            api_requests: Mutex::new(Vec::new()),
        }))
    }

    /// The catalogue of plans.
    pub fn catalogue(&self) -> &Catalogue {
        &self.0.catalogue
    }

    /// The metering interface for the other crates (`stackpro_core::metering`),
    /// holding this service weakly so it makes no reference cycle.
    pub fn metering(&self) -> Arc<dyn stackpro_core::metering::Metering<stackpro_store::TenantTx>> {
        Arc::new(usage::WeakBilling(Arc::downgrade(&self.0)))
    }

    /// The job handler that announces usage alerts on the bus.
    pub fn alert_job(&self) -> usage::AlertJob {
        usage::AlertJob(self.0.bus.clone())
    }

    /// The job handler of the periodic tick.
    pub fn tick_job(&self) -> tick::TickJob {
        tick::TickJob(self.clone())
    }

    /// Now, at the microsecond both databases keep.
    fn now(&self) -> DateTime<Utc> {
        let now = self.0.clock.now();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }

    /// The refusal for `meter` on `plan` at `current`.
    fn limit_reached(&self, plan: &Plan, meter: Meter, included: i64, current: i64, wanted: i64) -> LimitReached {
        let allowed_by = self.0.catalogue.cheapest_allowing(meter, wanted).map(|p| (p.key.clone(), p.name.clone()));
        LimitReached { meter, limit: included, current, plan: plan.name.clone(), allowed_by }
    }
}

/// Billing is for owners and admins; changing the plan for owners.
fn require(ctx: &TenantCtx, min: Role, write: bool) -> Result<(), Error> {
    if write && ctx.read_only {
        return Err(Error::Forbidden("This API key may only read."));
    }
    if !ctx.role.at_least(min) {
        return Err(Error::Forbidden(if min == Role::Owner {
            "Only owners change the workspace's plan."
        } else {
            "Only owners and admins see billing."
        }));
    }
    Ok(())
}

/// The effective limit of a meter for a tenant's plan.
fn limit_of<'a>(catalogue: &'a Catalogue, plan: &PlanRef, meter: Meter) -> (&'a Plan, &'a Limit) {
    let p = catalogue.effective(plan);
    (p, p.limit(meter))
}

/// A counter's key: one per tenant, meter and period.
fn counter_key(tenant: TenantId, meter: Meter, period: &Period) -> String {
    format!("usage:{tenant}:{}:{}", meter.as_str(), period.label())
}

//! What happens with time, checked every few minutes by a recurring job on
//! whichever replica claims it: trials end (the workspace drops to the free
//! level unless it chose a plan), scheduled downgrades apply at their
//! period's end, an account unpaid past its grace period is restricted to
//! the free level's limits (nothing is deleted), and finished periods are
//! invoiced. Each step is idempotent, so a tick interrupted half-way is
//! simply finished by the next one.

use super::*;
use crate::model::{FREE, TRIAL};
use crate::store;
use stackpro_core::PlanStatus;
use stackpro_security::cache::Forget;

/// The recurring job that runs [`Billing::tick`].
pub const TICK_JOB: &str = "billing.tick";

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Trials ended.
    pub trials_ended: usize,
    /// Scheduled downgrades applied.
    pub downgraded: usize,
    /// Accounts restricted for an unpaid invoice.
    pub restricted: usize,
    /// Invoices issued.
    pub invoices: usize,
}

impl Billing {
    /// Runs every step for every tenant; see the module's documentation.
    ///
    /// # Errors
    /// The database's error (a tenant's failure is logged and skipped).
    pub async fn tick(&self) -> Result<TickReport, Error> {
        let now = self.now();
        let mut sys = self.0.db.system_read().await?;
        let tenants = store::tenants_for_tick(&mut sys).await?;
        sys.commit().await?;
        let mut report = TickReport::default();
        for t in tenants {
            if let Err(e) = self.tick_tenant(&t, now, &mut report).await {
                tracing::warn!(tenant.id = %t.tenant_id, error.cause_chain = ?e, "billing tick failed for a tenant");
            }
        }
        if report != TickReport::default() {
            tracing::info!(?report, "billing tick");
        }
        Ok(report)
    }

    async fn tick_tenant(&self, t: &store::DueRow, now: DateTime<Utc>, report: &mut TickReport) -> Result<(), Error> {
        let period = Period::of(now);
        let trial_over = t.plan == TRIAL
            && t.trial_ends_at.unwrap_or(t.created_at + chrono::Duration::days(self.0.catalogue.trial_days)) <= now;
        let downgrade_due = t.scheduled_plan.is_some() && t.scheduled_at.is_some_and(|at| Period::of(at).end <= now);
        let grace_over = t.plan_status != PlanStatus::Restricted.as_str()
            && t.past_due_since.is_some_and(|s| s + chrono::Duration::days(self.0.catalogue.grace_days) <= now);
        if trial_over || downgrade_due || grace_over {
            let mut tx = self.0.db.tenant_tx_for(t.tenant_id).await?;
            stackpro_security::store::lock_tenant(&mut tx).await?;
            let account = self.account(&mut tx).await?;
            let current = self.plan_ref(&mut tx).await?;
            if trial_over && current.key == TRIAL {
                self.apply_plan(&mut tx, TRIAL, FREE, "trial_ended", now).await?;
                report.trials_ended += 1;
            }
            if let (Some(to), Some(at)) = (&account.scheduled_plan, account.scheduled_at) {
                if Period::of(at).end <= now {
                    // At the boundary itself, so the invoices split there.
                    let boundary = Period::of(at).end;
                    self.apply_plan(&mut tx, &current.key, to, "downgrade", boundary).await?;
                    store::set_scheduled(&mut tx, None, now).await?;
                    report.downgraded += 1;
                }
            }
            if grace_over && account.past_due_since.is_some() {
                let plan = self.plan_ref(&mut tx).await?;
                store::set_plan(&mut tx, &plan.key, PlanStatus::Restricted.as_str()).await?;
                report.restricted += 1;
            }
            let pending = self.0.security.invalidate(&mut tx, vec![Forget::Tenant(t.tenant_id)]).await?;
            tx.commit().await?;
            self.0.security.announce(pending).await;
        }
        // The previous period, once over, if the tenant existed then.
        let previous = period.previous();
        let invoiced = t.last_invoiced.is_some_and(|s| s >= previous.start);
        if !invoiced && t.created_at < previous.end && self.issue_invoice(t.tenant_id, previous).await?.is_some() {
            report.invoices += 1;
        }
        Ok(())
    }
}

/// Runs [`TICK_JOB`].
#[derive(Clone, Debug)]
pub struct TickJob(pub Billing);

#[async_trait::async_trait]
impl stackpro_store::jobs::JobHandler for TickJob {
    async fn run(&self, _: &stackpro_store::jobs::Job) -> Result<(), stackpro_store::jobs::JobError> {
        self.0.tick().await.map(|_| ()).map_err(|e| stackpro_store::jobs::JobError::Retry(e.to_string()))
    }
}

impl Billing {
    /// Schedules the recurring tick (every five minutes) once.
    ///
    /// # Errors
    /// The database's error.
    pub async fn schedule_tick(&self) -> Result<(), Error> {
        let now = self.now();
        let mut sys = self.0.db.system_tx().await?;
        let job = stackpro_store::jobs::NewJob {
            every: Some(chrono::Duration::minutes(5)),
            unique_key: Some(TICK_JOB.into()),
            ..stackpro_store::jobs::NewJob::new(TICK_JOB, serde_json::json!({}), now)
        };
        stackpro_store::jobs::enqueue(&mut sys, job, now).await?;
        sys.commit().await?;
        Ok(())
    }
}

//! The operator console's reports: what the installation earns and who
//! uses what, across every workspace. Read through the system role; the
//! routes take an [`OperatorCtx`](stackpro_core::OperatorCtx), so no tenant
//! credential reaches them.

use super::*;
use crate::model::{FREE, TRIAL};
use crate::store;
use serde::Serialize;
use stackpro_core::PlanStatus;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One plan's share of the revenue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanRevenue {
    /// The plan's key.
    pub plan: String,
    /// Its name.
    pub name: String,
    /// Its monthly price, in cents.
    pub price_cents: i64,
    /// Workspaces on it, by standing.
    pub active: i64,
    /// Trialing (the trial plan only).
    pub trialing: i64,
    /// Past due (still within the grace period).
    pub past_due: i64,
    /// Restricted to the free level for non-payment.
    pub restricted: i64,
    /// Monthly recurring revenue from it, in cents: the price of each
    /// active or past-due workspace (restricted ones pay nothing now).
    pub mrr_cents: i64,
}

/// A workspace whose payment failed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PastDueTenant {
    /// The workspace.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
    /// Its plan.
    pub plan: String,
    /// `past_due` or `restricted`.
    pub status: PlanStatus,
    /// Since when.
    pub past_due_since: Option<DateTime<Utc>>,
    /// When its limits drop (or dropped) to the free level.
    pub restricted_at: Option<DateTime<Utc>>,
}

/// How trials end.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TrialConversions {
    /// The window, in days back from now.
    pub days: i64,
    /// Trials running now.
    pub trialing: i64,
    /// Trials that moved to a paid plan in the window, per plan.
    pub converted: BTreeMap<String, i64>,
    /// Trials that ended on the free level in the window.
    pub lapsed: i64,
    /// Converted over converted and lapsed, when any ended.
    pub rate: Option<f64>,
}

/// The console's front page.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlatformOverview {
    /// The currency of the prices.
    pub currency: String,
    /// Every workspace.
    pub tenants: i64,
    /// Monthly recurring revenue, in cents.
    pub mrr_cents: i64,
    /// Per plan, most expensive first.
    pub plans: Vec<PlanRevenue>,
    /// Workspaces behind on payment, longest first.
    pub past_due: Vec<PastDueTenant>,
    /// Trials.
    pub trials: TrialConversions,
    /// Invoiced for the last finished period, in cents, and how many invoices.
    pub last_period_invoiced_cents: i64,
    /// Invoices issued for the last finished period.
    pub last_period_invoices: i64,
    /// The last finished period's first day.
    pub last_period_start: DateTime<Utc>,
}

/// One workspace's use of a meter.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TenantUsage {
    /// The workspace.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
    /// Its plan.
    pub plan: String,
    /// This period's usage: the total of a counted meter, the peak of a level.
    pub used: i64,
    /// What its plan includes (absent when unlimited).
    pub included: Option<i64>,
    /// Used over included, in percent.
    pub percent: Option<f64>,
}

/// Usage of a meter by workspace, heaviest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UsageByTenant {
    /// The meter.
    pub meter: Meter,
    /// Its unit.
    pub unit: String,
    /// The current period's first instant.
    pub period_start: DateTime<Utc>,
    /// The heaviest users.
    pub items: Vec<TenantUsage>,
}

impl Billing {
    /// Revenue, plans, past-due workspaces and trial conversions over the
    /// last `days`.
    ///
    /// # Errors
    /// The database's error.
    pub async fn platform_overview(&self, days: i64) -> Result<PlatformOverview, Error> {
        let now = self.now();
        let cat = &self.0.catalogue;
        let last = Period::of(Period::of(now).start - chrono::Duration::seconds(1));
        let since = now - chrono::Duration::days(days);
        let mut sys = self.0.db.system_read().await?;
        let tenants = store::tenant_standings(&mut sys).await?;
        let trial_ends = store::trial_outcomes(&mut sys, since).await?;
        let (invoiced, invoices) = store::invoiced_in(&mut sys, last.start).await?;
        sys.commit().await?;

        let mut plans: BTreeMap<String, PlanRevenue> = BTreeMap::new();
        let mut past_due = Vec::new();
        for t in &tenants {
            let plan = cat.get(&t.plan);
            let entry = plans.entry(t.plan.clone()).or_insert_with(|| PlanRevenue {
                plan: t.plan.clone(),
                name: plan.map(|p| p.name.clone()).unwrap_or_else(|| t.plan.clone()),
                price_cents: plan.map(|p| p.price_cents).unwrap_or(0),
                active: 0,
                trialing: 0,
                past_due: 0,
                restricted: 0,
                mrr_cents: 0,
            });
            let status = PlanStatus::parse(&t.plan_status);
            match status {
                PlanStatus::Active => entry.active += 1,
                PlanStatus::Trialing => entry.trialing += 1,
                PlanStatus::PastDue => entry.past_due += 1,
                PlanStatus::Restricted => entry.restricted += 1,
            }
            if matches!(status, PlanStatus::Active | PlanStatus::PastDue) {
                entry.mrr_cents += entry.price_cents;
            }
            if matches!(status, PlanStatus::PastDue | PlanStatus::Restricted) {
                past_due.push(PastDueTenant {
                    tenant_id: t.id,
                    name: t.name.clone(),
                    slug: t.slug.clone(),
                    plan: t.plan.clone(),
                    status,
                    past_due_since: t.past_due_since,
                    restricted_at: t.past_due_since.map(|s| s + chrono::Duration::days(cat.grace_days)),
                });
            }
        }
        past_due.sort_by_key(|p| p.past_due_since);
        let mut plans: Vec<PlanRevenue> = plans.into_values().collect();
        plans.sort_by(|a, b| b.price_cents.cmp(&a.price_cents).then(a.plan.cmp(&b.plan)));

        let mut converted = BTreeMap::new();
        let mut lapsed = 0;
        for (to, n) in trial_ends {
            if to == FREE {
                lapsed += n;
            } else if cat.get(&to).is_some_and(|p| p.price_cents > 0) {
                *converted.entry(to).or_insert(0) += n;
            }
        }
        let won: i64 = converted.values().sum();
        let trialing = tenants.iter().filter(|t| t.plan == TRIAL).count() as i64;
        Ok(PlatformOverview {
            currency: cat.currency.clone(),
            tenants: tenants.len() as i64,
            mrr_cents: plans.iter().map(|p| p.mrr_cents).sum(),
            plans,
            past_due,
            trials: TrialConversions {
                days,
                trialing,
                converted,
                lapsed,
                rate: (won + lapsed > 0).then(|| won as f64 / (won + lapsed) as f64),
            },
            last_period_invoiced_cents: invoiced,
            last_period_invoices: invoices,
            last_period_start: last.start,
        })
    }

    /// The heaviest users of a meter this period.
    ///
    /// # Errors
    /// The database's error.
    pub async fn usage_by_tenant(&self, meter: Meter, limit: i64) -> Result<UsageByTenant, Error> {
        let period = Period::of(self.now());
        let (from, to) = (period.start.date_naive(), period.end.date_naive());
        let mut sys = self.0.db.system_read().await?;
        let tenants = store::tenant_standings(&mut sys).await?;
        let rows =
            store::usage_of_all(&mut sys, meter.as_str(), meter.aggregation().is_level(), from, to, limit).await?;
        sys.commit().await?;
        let by_id: BTreeMap<TenantId, &store::StandingRow> = tenants.iter().map(|t| (t.id, t)).collect();
        let items = rows
            .into_iter()
            .filter_map(|(id, used)| {
                let t = by_id.get(&id)?;
                let plan_ref = PlanRef { key: t.plan.clone(), status: PlanStatus::parse(&t.plan_status) };
                let included = self.0.catalogue.effective(&plan_ref).limit(meter).included();
                Some(TenantUsage {
                    tenant_id: id,
                    name: t.name.clone(),
                    slug: t.slug.clone(),
                    plan: t.plan.clone(),
                    used,
                    included,
                    percent: included.filter(|i| *i > 0).map(|i| used as f64 * 100.0 / i as f64),
                })
            })
            .collect();
        Ok(UsageByTenant { meter, unit: meter.unit().into(), period_start: period.start, items })
    }
}

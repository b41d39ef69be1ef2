//! What billing shows: the overview of a workspace's plan and usage, plan
//! changes, and invoices, as the API answers them.

use crate::model::{Limit, Plan};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stackpro_core::metering::{Meter, PlanStatus};
use utoipa::ToSchema;

/// A plan as offered.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// The plan.
    #[serde(flatten)]
    pub plan: Plan,
    /// What its price covers and allows, per meter, in words.
    pub summary: Vec<String>,
}

impl From<&Plan> for PlanView {
    fn from(p: &Plan) -> Self {
        let summary = p
            .limits
            .iter()
            .map(|(m, l)| {
                let amount = |n: i64| quantity(*m, n);
                let what = match l {
                    Limit::Hard { included } => format!("up to {}", amount(*included)),
                    Limit::Soft { included, .. } => format!("{} included, more billed", amount(*included)),
                    Limit::Unlimited => format!("unlimited {}", m.unit()),
                };
                format!("{}: {what}", m.as_str())
            })
            .collect();
        PlanView { plan: p.clone(), summary }
    }
}

/// A quantity of a meter in words: "3 members", "2 GB".
pub fn quantity(meter: Meter, n: i64) -> String {
    const GB: i64 = 1 << 30;
    const MB: i64 = 1 << 20;
    match meter.unit() {
        "bytes" if n >= GB && n % GB == 0 => format!("{} GB", n / GB),
        "bytes" if n >= MB => format!("{} MB", n / MB),
        unit => format!("{n} {unit}"),
    }
}

/// One meter's usage in the current period against the plan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MeterUsage {
    /// The meter.
    pub meter: Meter,
    /// Its unit, for people.
    pub unit: String,
    /// What it measures.
    pub description: String,
    /// The period's usage by the meter's aggregation.
    pub used: i64,
    /// For levels (seats, storage), the level now.
    pub current: i64,
    /// What the plan includes (or allows, for a hard limit); `null` when
    /// unlimited.
    pub included: Option<i64>,
    /// `hard`, `soft` or `unlimited`.
    pub limit: String,
    /// `used` as a percentage of `included`.
    pub percent: Option<f64>,
    /// Units beyond what is included (soft limits).
    pub overage: i64,
    /// What the overage costs so far, in cents.
    pub overage_cents: i64,
}

/// A soft-limit alert that was sent.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlertView {
    /// The meter.
    pub meter: Meter,
    /// 80 or 100.
    pub threshold: i32,
    /// When.
    pub at: DateTime<Utc>,
    /// The usage then.
    pub used: i64,
}

/// A workspace's plan, standing, period and usage.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Overview {
    /// The plan the workspace is on.
    pub plan: PlanView,
    /// The plan whose limits apply (the free level while restricted).
    pub effective_plan: String,
    /// The account's standing.
    pub status: PlanStatus,
    /// When the trial ends, on the trial.
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// A downgrade that applies at `period_end`.
    pub scheduled_plan: Option<String>,
    /// Since when a payment is overdue.
    pub past_due_since: Option<DateTime<Utc>>,
    /// When the limits drop to the free level if it stays unpaid.
    pub restricted_at: Option<DateTime<Utc>>,
    /// The current period.
    pub period_start: DateTime<Utc>,
    /// Its end.
    pub period_end: DateTime<Utc>,
    /// The currency.
    pub currency: String,
    /// Usage per meter.
    pub usage: Vec<MeterUsage>,
    /// The alerts of the period, newest first.
    pub alerts: Vec<AlertView>,
    /// This period's invoice as it stands today.
    pub upcoming: InvoiceView,
    /// Whether payments are collected through Stripe on this installation.
    pub payments_configured: bool,
    /// The workspace's Stripe objects and synchronisation, once it has a
    /// Stripe customer.
    pub stripe: Option<StripeState>,
}

/// What Stripe knows of a workspace, and how far it is synchronised.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StripeState {
    /// The Stripe customer.
    pub customer: String,
    /// The subscription, while there is one.
    pub subscription: Option<String>,
    /// Our plan the subscription is on.
    pub subscribed_plan: Option<String>,
    /// Whether the subscription matches the plan (a change is synchronised
    /// within seconds; `false` for longer means Stripe refused it: see the
    /// failed jobs).
    pub in_sync: bool,
    /// The day (UTC) overage was last synchronised with Stripe.
    pub usage_synced_on: Option<chrono::NaiveDate>,
    /// Overage items posted.
    pub usage_items_posted: i64,
    /// Items being posted (left by an interrupted run, finished by the next).
    pub usage_items_pending: i64,
}

/// What a plan change did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanChangeView {
    /// `upgraded` (at once) or `scheduled` (at the period's end).
    pub outcome: String,
    /// The plan now.
    pub plan: String,
    /// When the change applies.
    pub effective_at: DateTime<Utc>,
    /// What it means, in words.
    pub message: String,
}

/// Body of a plan change.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePlan {
    /// The plan's key.
    #[schema(max_length = 64, pattern = r"^[a-z0-9_-]+$")]
    pub plan: String,
}

/// One line of an invoice.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct InvoiceLine {
    /// `plan`, `usage` or `adjustment`.
    pub kind: String,
    /// What it is for.
    pub description: String,
    /// The meter, for usage and adjustments.
    pub meter: Option<Meter>,
    /// The plan whose price or limits apply.
    pub plan: String,
    /// The period's usage of the meter.
    pub used: Option<i64>,
    /// What the plan includes.
    pub included: Option<i64>,
    /// The units charged.
    pub quantity: i64,
    /// The amount, in cents.
    pub amount_cents: i64,
}

/// An invoice: issued (numbered, never changing) or the current period's as
/// it stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    /// Id, once issued (absent for the current period's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<uuid::Uuid>,
    /// The number, once issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// `open`, `paid`, `void`, or `draft` for the current period's.
    pub status: String,
    /// The period billed.
    pub period_start: DateTime<Utc>,
    /// Its end.
    pub period_end: DateTime<Utc>,
    /// The currency.
    pub currency: String,
    /// The lines.
    pub lines: Vec<InvoiceLine>,
    /// The total, in cents.
    pub total_cents: i64,
    /// When it was issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// The workspace billed.
    pub billed_to: String,
    /// Whether it is collected through Stripe; if not, the page says so.
    pub payments_configured: bool,
}

/// A page of invoices.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    /// Newest first.
    pub items: Vec<InvoiceView>,
}

/// The catalogue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlanList {
    /// The plans a workspace may choose, cheapest first.
    pub items: Vec<PlanView>,
}

/// One day of one meter.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DayValue {
    /// The day (UTC), `YYYY-MM-DD`.
    pub day: chrono::NaiveDate,
    /// The day's total (counted meters) or its last level (levels).
    pub value: i64,
}

/// A meter's daily history.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MeterHistory {
    /// The meter.
    pub meter: Meter,
    /// Its unit.
    pub unit: String,
    /// Every day of the range, oldest first (days without usage as 0, or
    /// the level carried from the day before).
    pub days: Vec<DayValue>,
}

/// Daily usage of every meter over a range.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UsageHistory {
    /// First day.
    pub from: chrono::NaiveDate,
    /// Last day.
    pub to: chrono::NaiveDate,
    /// Per meter.
    pub meters: Vec<MeterHistory>,
}

/// A meter's projection to the period's end.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MeterForecast {
    /// The meter.
    pub meter: Meter,
    /// Its unit.
    pub unit: String,
    /// Used so far in the period.
    pub used: i64,
    /// The projection.
    #[serde(flatten)]
    pub projection: crate::forecast::Projection,
    /// What the plan includes or allows.
    pub included: Option<i64>,
    /// `hard`, `soft` or `unlimited`.
    pub limit: String,
    /// The day the projection reaches what the plan includes, if it does
    /// this period.
    pub reaches_limit_on: Option<chrono::NaiveDate>,
    /// The overage charge at the expected usage, in cents (0 unless soft).
    pub expected_overage_cents: i64,
}

/// The period's cost at the projected usage, in cents: its plan fees as
/// its invoice charges them (prorated across a change of plan) and the
/// overage at each projection.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CostForecast {
    /// At the expected usage.
    pub expected_cents: i64,
    /// The 80 % interval.
    pub low80_cents: i64,
    /// The 80 % interval.
    pub high80_cents: i64,
    /// The 95 % interval.
    pub low95_cents: i64,
    /// The 95 % interval.
    pub high95_cents: i64,
}

/// Advice to change plans.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Recommendation {
    /// The plan to move to.
    pub plan: String,
    /// Its name.
    pub plan_name: String,
    /// What a month on it would cost at the projected usage, in cents.
    pub projected_cents: i64,
    /// What a month on the current plan costs at that usage, in cents.
    pub current_cents: i64,
    /// Why, in words.
    pub reason: String,
}

/// Where the period is heading.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Forecast {
    /// The period.
    pub period_start: DateTime<Utc>,
    /// Its end.
    pub period_end: DateTime<Utc>,
    /// The currency.
    pub currency: String,
    /// Per meter.
    pub meters: Vec<MeterForecast>,
    /// The period's invoice at the projected usage.
    pub cost: CostForecast,
    /// A plan that would serve the projected usage better, if any.
    pub recommendation: Option<Recommendation>,
    /// How the forecast was made and what its interval means, in words.
    pub explanation: String,
}

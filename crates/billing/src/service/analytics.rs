//! What a workspace can learn from its usage: the daily history of every
//! meter, a CSV export, and where the period is heading: each meter projected
//! to the period's end with intervals ([`crate::forecast`]), the cost of the
//! projection priced through the plan's tiers (low, expected and high each
//! priced, since tiered prices are not linear), the day a limit will be
//! reached, and a plan that would cost less or allow what is coming.

use super::*;
use crate::forecast::{self, Method, Projection};
use crate::model::to_cents;
use crate::store;
use crate::views::*;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The most days a history or an export covers.
pub const MAX_DAYS: i64 = 400;
/// Days of history the forecast models look at.
const MODEL_DAYS: i64 = 56;

impl Billing {
    /// Every meter's daily usage over the last `days` days (today included).
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn usage_history(&self, ctx: &TenantCtx, days: i64) -> Result<UsageHistory, Error> {
        require(ctx, Role::Admin, false)?;
        let days = days.clamp(1, MAX_DAYS);
        let to = self.now().date_naive();
        let from = to - chrono::Duration::days(days - 1);
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let series = self.series(&mut tx, from, to).await?;
        tx.commit().await?;
        let meters = Meter::ALL
            .iter()
            .map(|m| MeterHistory {
                meter: *m,
                unit: m.unit().into(),
                days: series
                    .get(m)
                    .map(|v| {
                        v.iter()
                            .enumerate()
                            .map(|(i, value)| DayValue { day: from + chrono::Duration::days(i as i64), value: *value })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        Ok(UsageHistory { from, to, meters })
    }

    /// The same history as CSV: `day,meter,unit,value`, oldest first.
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn usage_csv(&self, ctx: &TenantCtx, days: i64) -> Result<String, Error> {
        let history = self.usage_history(ctx, days).await?;
        let mut out = String::from("day,meter,unit,value\n");
        for m in &history.meters {
            for d in &m.days {
                out.push_str(&format!("{},{},{},{}\n", d.day, m.meter.as_str(), m.unit, d.value));
            }
        }
        Ok(out)
    }

    /// Each meter's value on every day in `[from, to]`: the day's total for
    /// counted meters (0 without usage); for levels, the day's last level,
    /// carried forward over days without change.
    async fn series(
        &self,
        tx: &mut stackpro_store::TenantTx,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<Meter, Vec<i64>>, Error> {
        let n = ((to - from).num_days() + 1).max(0) as usize;
        let mut out: BTreeMap<Meter, Vec<i64>> = Meter::ALL.iter().map(|m| (*m, vec![0; n])).collect();
        let mut carried: BTreeMap<Meter, i64> = BTreeMap::new();
        for row in store::last_days_before(tx, from).await? {
            if let Some(m) = Meter::parse(&row.meter) {
                carried.insert(m, row.last);
            }
        }
        let mut set: BTreeMap<Meter, BTreeMap<usize, i64>> = BTreeMap::new();
        for row in store::days(tx, from, to + chrono::Duration::days(1)).await? {
            let Some(m) = Meter::parse(&row.meter) else { continue };
            let i = (row.day - from).num_days() as usize;
            let value = if m.aggregation().is_level() { row.last } else { row.total };
            set.entry(m).or_default().insert(i, value);
        }
        for (m, values) in out.iter_mut() {
            let days = set.get(m);
            let mut level = carried.get(m).copied().unwrap_or(0);
            for (i, v) in values.iter_mut().enumerate() {
                let day = days.and_then(|d| d.get(&i)).copied();
                if m.aggregation().is_level() {
                    level = day.unwrap_or(level);
                    *v = level;
                } else {
                    *v = day.unwrap_or(0);
                }
            }
        }
        Ok(out)
    }

    /// Where the period is heading; see the module's documentation.
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn forecast(&self, ctx: &TenantCtx) -> Result<Forecast, Error> {
        require(ctx, Role::Admin, false)?;
        let now = self.now();
        let period = Period::of(now);
        let today = now.date_naive();
        let period_first = period.start.date_naive();
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let plan_ref = self.plan_ref(&mut tx).await?;
        let history_from = (today - chrono::Duration::days(MODEL_DAYS)).min(period_first);
        let series = self.series(&mut tx, history_from, today).await?;
        let values = self.values_in(&mut tx, &period).await?;
        let fees: i64 =
            self.lines(&mut tx, period, now).await?.iter().filter(|l| l.kind == "plan").map(|l| l.amount_cents).sum();
        tx.commit().await?;
        let plan = self.0.catalogue.effective(&plan_ref).clone();
        // Whole days before today in the period, and days from today to its end.
        let done = (today - period_first).num_days().max(0) as usize;
        let left = (period.end.date_naive() - today).num_days().max(0) as usize;
        let mut meters = Vec::new();
        for m in Meter::ALL {
            let days = series.get(m).cloned().unwrap_or_default();
            let used = values.get(m).map(|v| v.value).unwrap_or(0);
            let projection = if m.aggregation().is_level() {
                let current = values.get(m).map(|v| v.current).unwrap_or(0) as f64;
                let peak = used as f64;
                Projection {
                    method: Method::Level,
                    expected: peak.max(current),
                    low80: peak.max(current),
                    high80: peak.max(current),
                    low95: peak.max(current),
                    high95: peak.max(current),
                    path: vec![0.0; left],
                }
            } else {
                // History up to yesterday; the period's total before today.
                let history: Vec<f64> = days.iter().take(days.len().saturating_sub(1)).map(|v| *v as f64).collect();
                let first_used = history.iter().position(|v| *v > 0.0).unwrap_or(history.len());
                let history = &history[first_used..];
                let today_value = days.last().copied().unwrap_or(0);
                let so_far = (used - today_value) as f64;
                forecast::project(history, so_far, done, left)
            };
            let limit = plan.limit(*m);
            let included = limit.included();
            let reaches_limit_on = match (included, m.aggregation().is_level()) {
                (Some(inc), false) => {
                    let so_far = projection.expected - projection.path.iter().sum::<f64>();
                    forecast::crossing(so_far, &projection.path, inc as f64)
                        .map(|d| today + chrono::Duration::days(d.saturating_sub(1) as i64))
                }
                _ => None,
            };
            let expected_overage_cents = to_cents(limit.overage(projection.expected.round() as i64).1);
            meters.push(MeterForecast {
                meter: *m,
                unit: m.unit().into(),
                used,
                expected_overage_cents,
                projection,
                included,
                limit: match limit {
                    Limit::Hard { .. } => "hard",
                    Limit::Soft { .. } => "soft",
                    Limit::Unlimited => "unlimited",
                }
                .into(),
                reaches_limit_on,
            });
        }
        let overage_at = |pick: &dyn Fn(&Projection) -> f64| -> i64 {
            let over: i128 =
                meters.iter().map(|f| plan.limit(f.meter).overage(pick(&f.projection).round() as i64).1).sum();
            to_cents(over)
        };
        // This period's plan fees as its invoice charges them (a change of
        // plan during it prorated), plus the overage at each projection.
        let cost = CostForecast {
            expected_cents: fees + overage_at(&|p| p.expected),
            low80_cents: fees + overage_at(&|p| p.low80),
            high80_cents: fees + overage_at(&|p| p.high80),
            low95_cents: fees + overage_at(&|p| p.low95),
            high95_cents: fees + overage_at(&|p| p.high95),
        };
        // Plans are compared over a whole month at this usage.
        let recommendation = self.recommend(&plan, &meters, plan.price_cents + overage_at(&|p| p.expected));
        let methods: std::collections::BTreeSet<Method> = meters.iter().map(|f| f.projection.method).collect();
        let explanation = explain(&methods, left);
        Ok(Forecast {
            period_start: period.start,
            period_end: period.end,
            currency: self.0.catalogue.currency.clone(),
            meters,
            cost,
            recommendation,
            explanation,
        })
    }

    /// A plan that fits the projected usage better: one that allows what a
    /// hard limit of the current plan will refuse, or one that costs less.
    fn recommend(&self, current: &Plan, meters: &[MeterForecast], current_cents: i64) -> Option<Recommendation> {
        let blocked: Vec<&MeterForecast> = meters
            .iter()
            .filter(|f| matches!(current.limit(f.meter), Limit::Hard { .. }) && f.reaches_limit_on.is_some())
            .collect();
        let mut best: Option<(i64, &Plan)> = None;
        for p in self.0.catalogue.all().into_iter().filter(|p| p.selectable && p.key != current.key) {
            let fits = meters.iter().all(|f| p.limit(f.meter).allows(f.projection.expected.round() as i64));
            if !fits {
                continue;
            }
            let over: i128 =
                meters.iter().map(|f| p.limit(f.meter).overage(f.projection.expected.round() as i64).1).sum();
            let cents = p.price_cents + to_cents(over);
            if best.is_none_or(|(c, _)| cents < c) {
                best = Some((cents, p));
            }
        }
        let (cents, p) = best?;
        if let Some(first) = blocked.first() {
            let on = first.reaches_limit_on.map(|d| d.format("%-d %B").to_string()).unwrap_or_default();
            return Some(Recommendation {
                plan: p.key.clone(),
                plan_name: p.name.clone(),
                projected_cents: cents,
                current_cents,
                reason: format!(
                    "At this pace the workspace reaches the {} plan's limit of {} {} ({}) around {on}, and further use \
                     is then refused. {} allows it.",
                    current.name,
                    first.included.unwrap_or(0),
                    first.meter.unit(),
                    first.meter.as_str(),
                    p.name,
                ),
            });
        }
        (cents < current_cents).then(|| Recommendation {
            plan: p.key.clone(),
            plan_name: p.name.clone(),
            projected_cents: cents,
            current_cents,
            reason: format!("At the projected usage, a month on {} costs less than on {}.", p.name, current.name),
        })
    }
}

/// The forecast's method and interval in words.
fn explain(methods: &std::collections::BTreeSet<Method>, left: usize) -> String {
    let mut parts = vec![format!(
        "The period has {left} day{} left. Each meter's total is projected to its end with a range: the total \
         falls inside the 80 % range four times in five, inside the 95 % range nineteen times in twenty.",
        if left == 1 { "" } else { "s" }
    )];
    if methods.contains(&Method::Insufficient) {
        parts.push("Meters used for less than three days of this period show no projection yet.".into());
    }
    if methods.contains(&Method::RunRate) {
        parts.push(
            "Meters with less than two weeks of history are projected at their average day so far (an estimate; the \
             range reflects how much the days differ)."
                .into(),
        );
    }
    if methods.contains(&Method::DampedTrend) || methods.contains(&Method::Weekly) {
        parts.push(
            "Meters with two weeks of history or more follow their trend, flattening over time, and their weekly \
             rhythm once three weeks show one; the range comes from a thousand simulated months that repeat the \
             history's own day-to-day surprises."
                .into(),
        );
    }
    parts.push("The cost prices the low, expected and high projections through the plan's tiers.".into());
    parts.join(" ")
}

//! The usage ledger and the limits checked before work.
//!
//! The ledger (`usage_events`, one row per event, never updated) is the
//! truth; `usage_daily` keeps each day's totals in the same transaction, so a
//! period's total reads a month of rows. Every event carries an idempotency
//! key: the same key twice (a retry, another replica, a replay after a crash)
//! is acknowledged and counted once.
//!
//! How each kind of meter is limited:
//! - **Counted meters** (AI questions, messages, API requests): a hard limit
//!   is checked by a *reservation* in a counter per tenant, meter and period
//!   ([`stackpro_store::Counters`]: in-process, or in Redis when scaled out),
//!   taken atomically before the work and given back if the work fails. The
//!   counter starts from the ledger's total for the period (when it is new,
//!   or after Redis lost it), so the ledger stays the truth and the counter
//!   only serialises concurrent requests.
//! - **Levels** (seats, sites, domains, bytes stored): the caller counts the
//!   new level inside the transaction that changes it, under the tenant's
//!   row lock, and asks [`Billing::set_level`] there: concurrent changes of
//!   one tenant queue on the lock, so no two can pass a limit together.
//!
//! API requests made with API keys are counted by reservation at once and
//! written to the ledger in batches every second ([`Billing::flush_api_requests`]):
//! a crash loses at most that second of counts, never a write of the
//! tenant's (they cause none).

use super::*;
use crate::model::Limit;
use crate::store::{self, DayDelta};
use chrono::NaiveDate;
use stackpro_core::metering::{Aggregation, Reservation};
use stackpro_store::TenantTx;
use std::collections::BTreeMap;

/// The soft-limit thresholds, in percent of what the plan includes.
pub const THRESHOLDS: [i32; 2] = [80, 100];

/// An API request counted and not yet written to the ledger.
#[derive(Clone, Debug)]
pub struct Pending {
    tenant: TenantId,
    plan: PlanRef,
    key: String,
    at: DateTime<Utc>,
}

/// A usage event to record through [`Billing::record_batch`].
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// The meter.
    pub meter: Meter,
    /// The amount (counted meters) or the new level (levels).
    pub quantity: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Unique per event: the same key counts once.
    pub key: String,
}

/// A meter's usage in a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeriodValue {
    /// The period's total by the meter's aggregation.
    pub value: i64,
    /// For levels, the level now; for counted meters, the total.
    pub current: i64,
}

impl Billing {
    /// Reserves `quantity` of a counted meter against its hard limit, before
    /// the work; see the module's documentation.
    ///
    /// # Errors
    /// [`Error::Limit`] when it would pass the hard limit.
    pub async fn reserve(
        &self,
        tenant: TenantId,
        plan: &PlanRef,
        meter: Meter,
        quantity: i64,
    ) -> Result<Reservation, Error> {
        let (p, limit) = limit_of(&self.0.catalogue, plan, meter);
        let now = self.now();
        let period = Period::of(now);
        let key = counter_key(tenant, meter, &period);
        let ttl = (period.end - now).to_std().unwrap_or_default() + std::time::Duration::from_secs(86_400);
        let counters = &self.0.counters;
        // A counter, once made, follows every use whatever the plan allows,
        // so a plan that limits again (a downgrade, a payment overdue) finds
        // it true.
        let present = counters.add_if_present(&key, quantity).await?;
        let Limit::Hard { included } = *limit else {
            return Ok(match present {
                Some(_) => self.give_back_on_drop(key, quantity, ttl),
                None => Reservation::none(),
            });
        };
        let value = match present {
            Some(v) => v,
            None => {
                let used = self.period_total(tenant, meter, &period).await?;
                counters.init(&key, used, ttl).await?;
                counters.add_if_present(&key, quantity).await?.unwrap_or(used + quantity)
            }
        };
        if value > included {
            let _ = counters.incr(&key, -quantity, ttl).await;
            return Err(Error::Limit(self.limit_reached(p, meter, included, value - quantity, value)));
        }
        Ok(self.give_back_on_drop(key, quantity, ttl))
    }

    /// A reservation that gives `quantity` back to the counter unless kept.
    fn give_back_on_drop(&self, key: String, quantity: i64, ttl: std::time::Duration) -> Reservation {
        let counters = self.0.counters.clone();
        Reservation::new(move || {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if let Err(e) = counters.incr(&key, -quantity, ttl).await {
                        tracing::warn!(error.cause_chain = ?e, "could not give back a usage reservation");
                    }
                });
            }
        })
    }

    /// Records usage in the caller's transaction, once per key; `true` when
    /// it was new. Crossing 80 % or 100 % of a soft limit alerts the owners
    /// and admins, once per period.
    ///
    /// # Errors
    /// The database's error.
    pub async fn record(
        &self,
        tx: &mut TenantTx,
        plan: &PlanRef,
        meter: Meter,
        quantity: i64,
        key: &str,
        occurred_at: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let now = self.now();
        if !store::insert_event(tx, meter.as_str(), quantity, occurred_at, now, key).await? {
            return Ok(false);
        }
        let delta = DayDelta { sum: quantity, peak: quantity, level: quantity, at: occurred_at, events: 1 };
        store::add_daily(tx, meter.as_str(), occurred_at.date_naive(), delta).await?;
        self.alert_if_crossed(tx, plan, meter, Period::of(occurred_at)).await?;
        Ok(true)
    }

    /// Records a level after a change in the caller's transaction, refused
    /// when it rises past a hard limit (a level may always go down).
    ///
    /// # Errors
    /// [`Error::Limit`], or the database's error.
    pub async fn set_level(&self, tx: &mut TenantTx, meter: Meter, level: i64, key: &str) -> Result<(), Error> {
        let plan = &self.plan_ref(tx).await?;
        let (p, limit) = limit_of(&self.0.catalogue, plan, meter);
        let before = store::last_level(tx, meter.as_str()).await?.unwrap_or(0);
        if level > before && !limit.allows(level) {
            let included = limit.included().unwrap_or(i64::MAX);
            return Err(Error::Limit(self.limit_reached(p, meter, included, before, level)));
        }
        self.record(tx, plan, meter, level, key, self.now()).await?;
        Ok(())
    }

    /// Records events of one tenant in one transaction (the public recording
    /// path, batched); returns how many were new. Duplicates of earlier keys
    /// count once. Hard-limited counted meters also move their counters, so
    /// reservations see usage recorded this way.
    ///
    /// # Errors
    /// The database's error.
    pub async fn record_batch(&self, tenant: TenantId, events: &[NewEvent]) -> Result<usize, Error> {
        if events.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        let plan = self.plan_ref(&mut tx).await?;
        let mut days: BTreeMap<(Meter, NaiveDate), DayDelta> = BTreeMap::new();
        let mut added: BTreeMap<(Meter, String), (Period, i64)> = BTreeMap::new();
        let mut new = 0;
        let rows: Vec<store::EventRow<'_>> = events
            .iter()
            .map(|e| store::EventRow {
                meter: e.meter.as_str(),
                quantity: e.quantity,
                occurred_at: e.occurred_at,
                key: &e.key,
            })
            .collect();
        let mut fresh: std::collections::HashSet<String> =
            store::insert_events(&mut tx, &rows, now).await?.into_iter().collect();
        for e in events {
            // A key new to the ledger counts for its first event only.
            if !fresh.remove(&e.key) {
                continue;
            }
            new += 1;
            let day = e.occurred_at.date_naive();
            let d = days.entry((e.meter, day)).or_insert(DayDelta {
                sum: 0,
                peak: e.quantity,
                level: e.quantity,
                at: e.occurred_at,
                events: 0,
            });
            d.sum += e.quantity;
            d.events += 1;
            d.peak = d.peak.max(e.quantity);
            if e.occurred_at >= d.at {
                d.level = e.quantity;
                d.at = e.occurred_at;
            }
            let period = Period::of(e.occurred_at);
            added.entry((e.meter, period.label())).or_insert((period, 0)).1 += e.quantity;
        }
        let mut periods: BTreeMap<(Meter, String), Period> = BTreeMap::new();
        for ((meter, day), d) in &days {
            store::add_daily(&mut tx, meter.as_str(), *day, *d).await?;
            let at = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now);
            periods.insert((*meter, Period::of(at).label()), Period::of(at));
        }
        for ((meter, _), period) in &periods {
            self.alert_if_crossed(&mut tx, &plan, *meter, *period).await?;
        }
        tx.commit().await?;
        for ((meter, _), (period, qty)) in added {
            if meter.aggregation().is_level() {
                continue;
            }
            // Whatever the plan allows now: the counter, if made, stays true.
            let _ = self.0.counters.add_if_present(&counter_key(tenant, meter, &period), qty).await;
        }
        Ok(new)
    }

    /// Counts an API request made with an API key against the plan's limit
    /// (refused at once when it is reached) and queues its ledger row.
    ///
    /// # Errors
    /// [`Error::Limit`] when the plan's API requests are used up.
    pub async fn count_api_request(&self, ctx: &TenantCtx, request_id: &str) -> Result<(), Error> {
        self.reserve(ctx.tenant, &ctx.plan, Meter::ApiRequests, 1).await?.keep();
        let pending =
            Pending { tenant: ctx.tenant, plan: ctx.plan.clone(), key: format!("api:{request_id}"), at: self.now() };
        self.0.api_requests.lock().unwrap_or_else(|p| p.into_inner()).push(pending);
        Ok(())
    }

    /// Writes the API requests counted since the last flush to the ledger,
    /// one transaction per tenant; returns how many were written.
    pub async fn flush_api_requests(&self) -> usize {
        let pending = std::mem::take(&mut *self.0.api_requests.lock().unwrap_or_else(|p| p.into_inner()));
        let mut by_tenant: BTreeMap<TenantId, Vec<Pending>> = BTreeMap::new();
        for p in pending {
            by_tenant.entry(p.tenant).or_default().push(p);
        }
        let mut written = 0;
        for (tenant, requests) in by_tenant {
            match self.write_api_requests(tenant, &requests).await {
                Ok(n) => written += n,
                Err(e) => tracing::warn!(
                    tenant.id = %tenant, requests = requests.len(), error.cause_chain = ?e,
                    "could not write API requests to the usage ledger"
                ),
            }
        }
        written
    }

    async fn write_api_requests(&self, tenant: TenantId, requests: &[Pending]) -> Result<usize, Error> {
        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        let mut days: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        let mut new = 0;
        let rows: Vec<store::EventRow<'_>> = requests
            .iter()
            .map(|r| store::EventRow {
                meter: Meter::ApiRequests.as_str(),
                quantity: 1,
                occurred_at: r.at,
                key: &r.key,
            })
            .collect();
        let mut fresh: std::collections::HashSet<String> =
            store::insert_events(&mut tx, &rows, now).await?.into_iter().collect();
        for r in requests {
            if fresh.remove(&r.key) {
                *days.entry(r.at.date_naive()).or_default() += 1;
                new += 1;
            }
        }
        for (day, n) in &days {
            let delta = DayDelta { sum: *n, peak: 1, level: 1, at: now, events: *n };
            store::add_daily(&mut tx, Meter::ApiRequests.as_str(), *day, delta).await?;
        }
        if let Some(last) = requests.last() {
            self.alert_if_crossed(&mut tx, &last.plan, Meter::ApiRequests, Period::of(last.at)).await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Alerts once per period and threshold when a soft limit's usage has
    /// crossed 80 % or 100 % of what the plan includes: an email to the
    /// owners and admins, an audit entry, and an event on the bus (through a
    /// job, so it is sent only if this transaction commits).
    async fn alert_if_crossed(
        &self,
        tx: &mut TenantTx,
        plan: &PlanRef,
        meter: Meter,
        period: Period,
    ) -> Result<(), Error> {
        let (p, limit) = limit_of(&self.0.catalogue, plan, meter);
        let Limit::Soft { included, .. } = *limit else { return Ok(()) };
        if included <= 0 {
            return Ok(());
        }
        let used = self.value_in(tx, meter, &period).await?.value;
        // Every threshold crossed is recorded once; when one step crosses
        // both (a burst, or late usage), one alert tells of the higher.
        let mut crossed = None;
        let now = self.now();
        for threshold in THRESHOLDS {
            if used.saturating_mul(100) < included.saturating_mul(threshold as i64) {
                continue;
            }
            if store::insert_alert(tx, meter.as_str(), &period.label(), threshold, now, used).await? {
                crossed = Some(threshold);
            }
        }
        if let Some(threshold) = crossed {
            let name = self.0.security.tenant_of(tx).await?.map(|t| t.name).unwrap_or_default();
            let what = if threshold >= 100 { "has used all" } else { "has used 80 %" };
            let month = period.start.format("%B %Y");
            let subject = format!("{name} {what} of its {} for {month}", meter.unit());
            let body = format!(
                "{name} has used {used} {unit} ({meter}) in {month}; the {plan} plan includes {included}.\n\n\
                 Use beyond it is allowed and billed as overage on that month's invoice. The Billing page shows \
                 the usage, a forecast for the month, and whether another plan would cost less.\n",
                unit = meter.unit(),
                plan = p.name,
            );
            self.0.security.email_admins(tx, &subject, &body).await?;
            let actor = stackpro_security::service::Actor { label: Some("billing".into()), ..Default::default() };
            let details = serde_json::json!({ "meter": meter, "threshold": threshold, "used": used, "included": included,
                "period": period.label() });
            self.0
                .security
                .audit(tx, &actor, "billing.usage_alert", Some(format!("meter:{meter}")), details.clone())
                .await?;
            let job = stackpro_store::jobs::NewJob::new(ALERT_JOB, details, self.now());
            stackpro_store::jobs::enqueue(tx, job, self.now()).await?;
        }
        Ok(())
    }

    /// The usage of a meter in a period, read in the caller's transaction:
    /// the sum for counted meters; for levels, the highest level reached,
    /// counting the level carried in from before the period.
    pub(crate) async fn value_in(
        &self,
        tx: &mut TenantTx,
        meter: Meter,
        period: &Period,
    ) -> Result<PeriodValue, Error> {
        let (from, to) = (period.start.date_naive(), period.end.date_naive());
        match meter.aggregation() {
            Aggregation::Sum | Aggregation::Count | Aggregation::UniqueCount => {
                let total = store::sum_between(tx, meter.as_str(), from, to).await?;
                Ok(PeriodValue { value: total, current: total })
            }
            Aggregation::Max | Aggregation::Latest => {
                let all = self.values_in(tx, period).await?;
                Ok(all.get(&meter).copied().unwrap_or_default())
            }
        }
    }

    /// Every meter's usage in a period (see [`Billing::value_in`]).
    pub(crate) async fn values_in(
        &self,
        tx: &mut TenantTx,
        period: &Period,
    ) -> Result<BTreeMap<Meter, PeriodValue>, Error> {
        let (from, to) = (period.start.date_naive(), period.end.date_naive());
        let mut out: BTreeMap<Meter, PeriodValue> = BTreeMap::new();
        for row in store::last_days_before(tx, from).await? {
            if let Some(m) = Meter::parse(&row.meter).filter(|m| m.aggregation().is_level()) {
                out.insert(m, PeriodValue { value: row.last, current: row.last });
            }
        }
        for row in store::days(tx, from, to).await? {
            let Some(m) = Meter::parse(&row.meter) else { continue };
            let v = out.entry(m).or_default();
            if m.aggregation().is_level() {
                v.value = v.value.max(row.peak);
                v.current = row.last;
            } else {
                v.value += row.total;
                v.current = v.value;
            }
        }
        Ok(out)
    }

    /// A counted meter's total in a period, from the ledger.
    async fn period_total(&self, tenant: TenantId, meter: Meter, period: &Period) -> Result<i64, Error> {
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let v = self.value_in(&mut tx, meter, period).await?.value;
        tx.commit().await?;
        Ok(v)
    }

    /// The tenant's plan as stored, in the caller's transaction.
    pub(crate) async fn plan_ref(&self, tx: &mut TenantTx) -> Result<PlanRef, Error> {
        let (key, status, _) = store::plan(tx).await?.ok_or(Error::Forbidden("The workspace no longer exists."))?;
        Ok(PlanRef { key, status: stackpro_core::PlanStatus::parse(&status) })
    }
}

/// The job that announces a usage alert on the bus once its transaction
/// committed (the notifications to come listen there).
pub const ALERT_JOB: &str = "billing.usage_alert";

/// The bus topic of usage alerts.
pub const ALERT_TOPIC: &str = "billing.usage_alert";

/// Publishes [`ALERT_JOB`]s on the bus.
#[derive(Clone, Debug)]
pub struct AlertJob(pub Bus);

#[async_trait::async_trait]
impl stackpro_store::jobs::JobHandler for AlertJob {
    async fn run(&self, job: &stackpro_store::jobs::Job) -> Result<(), stackpro_store::jobs::JobError> {
        let mut payload: serde_json::Value = serde_json::from_str(&job.payload)
            .map_err(|e| stackpro_store::jobs::JobError::Fail(format!("payload: {e}")))?;
        payload["tenant_id"] = serde_json::json!(job.tenant_id);
        self.0
            .publish(ALERT_TOPIC, payload.to_string().into())
            .await
            .map_err(|e| stackpro_store::jobs::JobError::Retry(e.to_string()))
    }
}

/// The metering interface as other crates hold it: a weak reference, so
/// `security` (which billing uses) holding billing's metering makes no
/// reference cycle, and both are dropped with the application.
pub(crate) struct WeakBilling(pub(crate) std::sync::Weak<super::Inner>);

impl WeakBilling {
    fn get(&self) -> Result<Billing, stackpro_core::metering::MeteringError> {
        self.0
            .upgrade()
            .map(Billing)
            .ok_or_else(|| stackpro_core::metering::MeteringError::Failed("billing has shut down".into()))
    }
}

#[async_trait::async_trait]
impl stackpro_core::metering::Metering<TenantTx> for WeakBilling {
    async fn reserve(
        &self,
        tenant: TenantId,
        plan: &PlanRef,
        meter: Meter,
        quantity: i64,
    ) -> Result<Reservation, stackpro_core::metering::MeteringError> {
        Ok(self.get()?.reserve(tenant, plan, meter, quantity).await?)
    }

    async fn record(
        &self,
        tx: &mut TenantTx,
        _tenant: TenantId,
        plan: &PlanRef,
        meter: Meter,
        quantity: i64,
        key: &str,
    ) -> Result<bool, stackpro_core::metering::MeteringError> {
        let billing = self.get()?;
        let now = billing.now();
        Ok(billing.record(tx, plan, meter, quantity, key, now).await?)
    }

    async fn set_level(
        &self,
        tx: &mut TenantTx,
        _tenant: TenantId,
        meter: Meter,
        level: i64,
        key: &str,
    ) -> Result<(), stackpro_core::metering::MeteringError> {
        Ok(self.get()?.set_level(tx, meter, level, key).await?)
    }

    fn has_feature(&self, plan: &PlanRef, feature: stackpro_core::Feature) -> bool {
        self.get().is_ok_and(|b| b.0.catalogue.effective(plan).features.contains(&feature))
    }
}

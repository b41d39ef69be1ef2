//! The account and its plan: the overview a workspace sees, upgrades (at
//! once, prorated on the period's invoice) and downgrades (at the period's
//! end, refused while current usage exceeds a hard limit of the smaller
//! plan).

use super::*;
use crate::model::{FREE, TRIAL};
use crate::store;
use crate::views::*;
use stackpro_core::PlanStatus;
use stackpro_security::cache::Forget;
use stackpro_store::TenantTx;

impl Billing {
    /// Opens the tenant's account if billing has not seen it yet (its trial
    /// runs from the workspace's creation) and returns it.
    pub(crate) async fn account(&self, tx: &mut TenantTx) -> Result<store::AccountRow, Error> {
        if let Some(a) = store::account(tx).await? {
            return Ok(a);
        }
        let (_, _, created) = store::plan(tx).await?.ok_or(Error::Forbidden("The workspace no longer exists."))?;
        let ends = created + chrono::Duration::days(self.0.catalogue.trial_days);
        store::open_account(tx, ends, self.now()).await?;
        store::account(tx).await?.ok_or(Error::Forbidden("The workspace no longer exists."))
    }

    /// The workspace's plan, standing, period, usage and upcoming invoice.
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn overview(&self, ctx: &TenantCtx) -> Result<Overview, Error> {
        require(ctx, Role::Admin, false)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let overview = self.overview_in(&mut tx).await?;
        tx.commit().await?;
        Ok(overview)
    }

    pub(crate) async fn overview_in(&self, tx: &mut TenantTx) -> Result<Overview, Error> {
        let now = self.now();
        let account = self.account(tx).await?;
        let plan_ref = self.plan_ref(tx).await?;
        let cat = &self.0.catalogue;
        let plan = cat.get(&plan_ref.key).unwrap_or_else(|| cat.effective(&plan_ref));
        let effective = cat.effective(&plan_ref);
        let period = Period::of(now);
        let values = self.values_in(tx, &period).await?;
        let usage = Meter::ALL
            .iter()
            .map(|m| {
                let v = values.get(m).copied().unwrap_or_default();
                let limit = effective.limit(*m);
                let included = limit.included();
                let (overage, micro) = limit.overage(v.value);
                MeterUsage {
                    meter: *m,
                    unit: m.unit().into(),
                    description: m.describe().into(),
                    used: v.value,
                    current: v.current,
                    included,
                    limit: match limit {
                        Limit::Hard { .. } => "hard",
                        Limit::Soft { .. } => "soft",
                        Limit::Unlimited => "unlimited",
                    }
                    .into(),
                    percent: included.filter(|i| *i > 0).map(|i| (v.value as f64 * 1000.0 / i as f64).round() / 10.0),
                    overage,
                    overage_cents: crate::model::to_cents(micro),
                }
            })
            .collect();
        let rows = store::alerts(tx, &period.label()).await?;
        // Thresholds crossed in one step were told in one alert, of the
        // higher: the lower one, recorded at the same moment, is not shown.
        let told_together = |a: &store::AlertRow| {
            rows.iter().any(|b| b.meter == a.meter && b.at == a.at && b.usage == a.usage && b.threshold > a.threshold)
        };
        let alerts = rows
            .iter()
            .filter(|a| !told_together(a))
            .filter_map(|a| {
                Some(AlertView { meter: Meter::parse(&a.meter)?, threshold: a.threshold, at: a.at, used: a.usage })
            })
            .collect();
        let upcoming = self.draft_invoice(tx, period, now).await?;
        let restricted_at = account.past_due_since.map(|s| s + chrono::Duration::days(cat.grace_days));
        Ok(Overview {
            plan: PlanView::from(plan),
            effective_plan: effective.key.clone(),
            status: plan_ref.status,
            trial_ends_at: (plan_ref.key == TRIAL).then_some(account.trial_ends_at),
            scheduled_plan: account.scheduled_plan,
            past_due_since: account.past_due_since,
            restricted_at,
            period_start: period.start,
            period_end: period.end,
            currency: cat.currency.clone(),
            usage,
            alerts,
            upcoming,
            payments_configured: self.payments_configured(),
            stripe: match &account.stripe_customer_id {
                Some(customer) if self.payments_configured() => {
                    let (posted, pending) = store::usage_item_counts(tx).await?;
                    Some(StripeState {
                        customer: customer.clone(),
                        subscription: account.stripe_subscription_id.clone(),
                        subscribed_plan: account.stripe_plan.clone(),
                        in_sync: account.stripe_plan.as_deref() == Some(plan_ref.key.as_str())
                            || (account.stripe_subscription_id.is_none() && plan.price_cents == 0),
                        usage_synced_on: account.stripe_synced_on,
                        usage_items_posted: posted,
                        usage_items_pending: pending,
                    })
                }
                _ => None,
            },
        })
    }

    /// Moves the workspace to another plan. A higher plan applies at once
    /// (the period's invoice prorates both plans by the second); a lower one
    /// is scheduled for the period's end, and refused while the workspace
    /// uses more than one of its hard limits allows (the answer names them).
    ///
    /// # Errors
    /// `forbidden` below owner, `plan_not_found`, `plan_unchanged`,
    /// `downgrade_refused`; `payment_method_required` for a first paid plan
    /// where Stripe is configured.
    pub async fn change_plan(&self, ctx: &TenantCtx, to: &str) -> Result<PlanChangeView, Error> {
        require(ctx, Role::Owner, true)?;
        let target = self.0.catalogue.get(to).filter(|p| p.selectable).ok_or_else(|| Error::no_plan(to))?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        let account = self.account(&mut tx).await?;
        let current = self.plan_ref(&mut tx).await?;
        let now = self.now();
        let period = Period::of(now);
        let cat = &self.0.catalogue;
        let from = cat.get(&current.key).unwrap_or_else(|| cat.effective(&current));
        if current.key == target.key {
            if account.scheduled_plan.is_some() {
                store::set_scheduled(&mut tx, None, now).await?;
                tx.commit().await?;
                return Ok(PlanChangeView {
                    outcome: "kept".into(),
                    plan: target.key.clone(),
                    effective_at: now,
                    message: format!("The scheduled change was cancelled: the workspace stays on {}.", target.name),
                });
            }
            return Err(Error::PlanUnchanged(target.name.clone()));
        }
        let actor = stackpro_security::service::Actor {
            id: ctx.person.map(|p| p.as_uuid()),
            label: Some("billing".into()),
            ip: None,
        };
        // The levels in use must fit the chosen plan's hard limits, whether
        // it applies now or at the period's end.
        self.fits(&mut tx, target, &period).await?;
        // Leaving the trial applies at once, whatever the plan; otherwise a
        // dearer plan applies at once and a cheaper one at the period's end.
        let upgrade = from.key == TRIAL
            || (from.key == FREE && target.price_cents > 0)
            || (target.rank, target.price_cents) > (from.rank, from.price_cents);
        if upgrade {
            if account.past_due_since.is_some() && target.price_cents > 0 {
                return Err(Error::PaymentOverdue(target.name.clone()));
            }
            // With Stripe, the first paid plan starts through Checkout, where
            // the card is collected; later changes move the subscription.
            if self.payments_configured() && target.price_cents > 0 && account.stripe_subscription_id.is_none() {
                return Err(Error::PaymentMethodRequired(target.name.clone()));
            }
            self.apply_plan(&mut tx, &current.key, &target.key, "upgrade", now).await?;
            store::set_scheduled(&mut tx, None, now).await?;
            let details = serde_json::json!({ "from": current.key, "to": target.key });
            self.0.security.audit(&mut tx, &actor, "billing.plan_upgraded", None, details).await?;
            let pending = self.0.security.invalidate(&mut tx, vec![Forget::Tenant(ctx.tenant)]).await?;
            tx.commit().await?;
            self.0.security.announce(pending).await;
            let message = if target.price_cents > 0 {
                format!(
                    "The workspace is on {} from now on. This month's invoice charges each plan for the time it was used.",
                    target.name
                )
            } else {
                format!("The workspace is on {} from now on.", target.name)
            };
            return Ok(PlanChangeView {
                outcome: "upgraded".into(),
                plan: target.key.clone(),
                effective_at: now,
                message,
            });
        }
        store::set_scheduled(&mut tx, Some(&target.key), now).await?;
        let details = serde_json::json!({ "from": current.key, "to": target.key, "at": period.end });
        self.0.security.audit(&mut tx, &actor, "billing.plan_downgrade_scheduled", None, details).await?;
        tx.commit().await?;
        Ok(PlanChangeView {
            outcome: "scheduled".into(),
            plan: current.key.clone(),
            effective_at: period.end,
            message: format!(
                "The workspace moves to {} at the end of this period ({}); until then it keeps {}.",
                target.name,
                period.end.format("%-d %B %Y"),
                from.name
            ),
        })
    }

    /// Refuses a plan whose hard limits the levels in use exceed, naming
    /// them (`downgrade_refused` with `over_limits`).
    pub(crate) async fn fits(&self, tx: &mut TenantTx, target: &Plan, period: &Period) -> Result<(), Error> {
        let values = self.values_in(tx, period).await?;
        let over: Vec<serde_json::Value> = Meter::ALL
            .iter()
            .filter(|m| m.aggregation().is_level())
            .filter_map(|m| {
                let current = values.get(m).map(|v| v.current).unwrap_or(0);
                match target.limit(*m) {
                    Limit::Hard { included } if current > *included => {
                        Some(serde_json::json!({ "meter": m, "current": current, "limit": included }))
                    }
                    _ => None,
                }
            })
            .collect();
        if !over.is_empty() {
            let list = over
                .iter()
                .map(|o| format!("{} {} (allows {})", o["current"], o["meter"].as_str().unwrap_or(""), o["limit"]))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::DowngradeRefused(
                format!("The workspace uses more than the {} plan allows: {list}. Reduce them first.", target.name),
                serde_json::Value::Array(over),
            ));
        }
        Ok(())
    }

    /// Sets the plan, recording the change for proration and, with Stripe,
    /// queueing the subscription's sync in the same transaction. The
    /// standing follows the plan ([`standing`]): a payment overdue stays
    /// overdue (and restricted stays restricted) whatever the plan.
    pub(crate) async fn apply_plan(
        &self,
        tx: &mut TenantTx,
        from: &str,
        to: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), Error> {
        let account = self.account(tx).await?;
        let current = self.plan_ref(tx).await?;
        let status = standing(to, account.past_due_since.is_some(), current.status);
        store::set_plan(tx, to, status.as_str()).await?;
        if from != to {
            store::insert_plan_change(tx, at, from, to, reason).await?;
            self.enqueue_subscription_sync(tx).await?;
        }
        Ok(())
    }

    /// Puts a workspace on a plan directly (the demo seed, operators), with
    /// its cached credentials forgotten everywhere.
    ///
    /// # Errors
    /// `plan_not_found`, or the database's error.
    pub async fn set_plan(&self, tenant: TenantId, to: &str, reason: &str) -> Result<(), Error> {
        self.set_plan_since(tenant, to, reason, self.now()).await
    }

    /// [`Billing::set_plan`] with the change recorded at `at` (the demo
    /// seed's history starts before its periods).
    ///
    /// # Errors
    /// `plan_not_found`, or the database's error.
    pub async fn set_plan_since(
        &self,
        tenant: TenantId,
        to: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), Error> {
        let target = self.0.catalogue.get(to).ok_or_else(|| Error::no_plan(to))?;
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        self.account(&mut tx).await?;
        let current = self.plan_ref(&mut tx).await?;
        self.apply_plan(&mut tx, &current.key, &target.key, reason, at).await?;
        store::set_scheduled(&mut tx, None, self.now()).await?;
        let pending = self.0.security.invalidate(&mut tx, vec![Forget::Tenant(tenant)]).await?;
        tx.commit().await?;
        self.0.security.announce(pending).await;
        Ok(())
    }

    /// Clears an overdue payment by hand (paid outside Stripe, or written
    /// off): the standing returns to normal and the alert for it ends.
    /// `false` when nothing was overdue.
    ///
    /// # Errors
    /// The database's error.
    pub async fn settle(&self, tenant: TenantId) -> Result<bool, Error> {
        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        let account = self.account(&mut tx).await?;
        if account.past_due_since.is_none() {
            return Ok(false);
        }
        let current = self.plan_ref(&mut tx).await?;
        store::set_past_due(&mut tx, None, now).await?;
        let at = account.stripe_invoice_event_at.unwrap_or(0);
        store::set_invoice_event(&mut tx, None, at).await?;
        store::set_plan(&mut tx, &current.key, standing(&current.key, false, current.status).as_str()).await?;
        let actor = stackpro_security::service::Actor { label: Some("operator".into()), ..Default::default() };
        let details = serde_json::json!({ "overdue_since": account.past_due_since });
        self.0.security.audit(&mut tx, &actor, "billing.settled", None, details).await?;
        let pending = self.0.security.invalidate(&mut tx, vec![Forget::Tenant(tenant)]).await?;
        tx.commit().await?;
        self.0.security.announce(pending).await;
        Ok(true)
    }

    /// The plans a workspace may choose.
    pub fn plans(&self) -> PlanList {
        PlanList { items: self.0.catalogue.all().into_iter().filter(|p| p.selectable).map(PlanView::from).collect() }
    }
}

/// The standing a workspace has on `plan`: past due, or restricted once the
/// grace period is over, while a payment is overdue, whatever the plan; else
/// trialing on the trial and active on any other.
pub(crate) fn standing(plan: &str, overdue: bool, status: PlanStatus) -> PlanStatus {
    match status {
        PlanStatus::Restricted if overdue => PlanStatus::Restricted,
        _ if overdue => PlanStatus::PastDue,
        _ if plan == TRIAL => PlanStatus::Trialing,
        _ => PlanStatus::Active,
    }
}

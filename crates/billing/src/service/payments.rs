//! Collecting payments through Stripe, when a secret key is configured.
//!
//! Our ledger and invoices stay the truth; Stripe mirrors them:
//! - **Subscriptions.** Every plan change enqueues a job that brings Stripe
//!   in line with the plan now: a customer per workspace, a Stripe plan per
//!   plan and price (created once), and one subscription, started in
//!   Checkout where the card is collected, moved from plan to plan, or
//!   cancelled for the free level. The job reads the current state,
//!   so running it twice, or after a later change, does the right thing.
//! - **Usage.** A daily job posts, as invoice items, what each soft limit's
//!   overage charge (as our own invoice computes it) has grown by since the
//!   items already posted, for the current period and the one before (late
//!   usage), each only if the workspace held its subscription then. One item at most per workspace, meter, period and day: a row is
//!   written `pending` before the call and `posted` after it, and a
//!   `pending` row found by a later run (the process died in between) is
//!   first looked up at Stripe by its tag. So a sync killed half-way and run
//!   again posts nothing twice, even against a Stripe that ignores
//!   idempotency keys (localstripe does).
//! - **Webhooks.** Signed events are verified ([`crate::stripe::verify`]),
//!   recorded with their effect in one transaction (an event id is
//!   processed once), and applied: a paid invoice clears a failed payment; a
//!   failed one makes the account past due, restricted to the free level
//!   after the grace period; a subscription changed or ended in Stripe moves
//!   the plan.
//! - **Checkout.** A Checkout session collects the card and starts the
//!   subscription.

use super::*;
use crate::model::FREE;
use crate::store;
use crate::stripe::{self, Stripe, StripeError};
use chrono::NaiveDate;
use secrecy::SecretString;
use serde::Serialize;
use stackpro_core::PlanStatus;
use stackpro_security::cache::Forget;
use stackpro_store::jobs::{JobError, JobHandler, NewJob};
use stackpro_store::TenantTx;
use utoipa::ToSchema;

/// What payments need: the client and the webhook secrets.
#[derive(Clone, Debug)]
pub struct Payments {
    /// The Stripe client.
    pub stripe: Stripe,
    /// The webhook signing secrets.
    pub webhook_secrets: Vec<SecretString>,
    /// The public URL, for Checkout's return addresses.
    pub public_url: String,
}

/// The job that brings a workspace's subscription in line with its plan.
pub const SUBSCRIPTION_JOB: &str = "billing.stripe.subscription";
/// The daily job that posts overage to Stripe.
pub const USAGE_JOB: &str = "billing.stripe.usage";

/// A Checkout page to send the owner to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    /// Stripe's page.
    pub url: String,
}

/// What a webhook did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WebhookOutcome {
    /// Always true for a verified event.
    pub received: bool,
    /// `applied`, `duplicate` or `ignored` (an event type or customer we do
    /// not handle).
    pub result: String,
}

fn to_error(e: StripeError) -> Error {
    Error::Payments(e.to_string(), e.is_retryable())
}

impl Billing {
    fn payments(&self) -> Option<&Payments> {
        self.0.payments.as_ref()
    }

    /// Whether payments are collected through Stripe.
    pub fn payments_configured(&self) -> bool {
        self.0.payments.is_some()
    }

    /// Enqueues [`SUBSCRIPTION_JOB`] in the transaction that changed the
    /// plan, when Stripe is configured.
    pub(crate) async fn enqueue_subscription_sync(&self, tx: &mut TenantTx) -> Result<(), Error> {
        if self.payments().is_some() {
            let now = self.now();
            stackpro_store::jobs::enqueue(tx, NewJob::new(SUBSCRIPTION_JOB, serde_json::json!({}), now), now).await?;
        }
        Ok(())
    }

    /// The customer of a workspace, created on first need. Two callers at
    /// once may both create one at Stripe; the first recorded wins and both
    /// use it.
    async fn customer(&self, stripe: &Stripe, tenant: TenantId) -> Result<String, Error> {
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        let account = self.account(&mut tx).await?;
        if let Some(id) = account.stripe_customer_id {
            return Ok(id);
        }
        let t = self.0.security.tenant_of(&mut tx).await?.ok_or(Error::Forbidden("The workspace no longer exists."))?;
        let owner = self.0.security.owner_email(&mut tx).await?.unwrap_or_default();
        tx.commit().await?;
        let id = stripe.create_customer(&tenant.to_string(), &t.name, &owner).await.map_err(to_error)?;
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        store::set_stripe_customer(&mut tx, &id).await?;
        let recorded = self.account(&mut tx).await?.stripe_customer_id.unwrap_or(id);
        tx.commit().await?;
        Ok(recorded)
    }

    /// The Stripe plan for one of ours, created on first need (Stripe plans
    /// are the installation's, not a workspace's).
    async fn stripe_plan(&self, stripe: &Stripe, plan: &Plan) -> Result<String, Error> {
        let currency = self.0.catalogue.currency.clone();
        let mut sys = self.0.db.system_read().await?;
        let found = store::stripe_plan(&mut sys, &plan.key, plan.price_cents, &currency).await?;
        sys.commit().await?;
        if let Some(id) = found {
            return Ok(id);
        }
        let id = stripe.create_plan(&plan.key, &plan.name, plan.price_cents, &currency).await.map_err(to_error)?;
        let mut sys = self.0.db.system_tx().await?;
        store::insert_stripe_plan(&mut sys, &plan.key, plan.price_cents, &currency, &id).await?;
        let id = store::stripe_plan(&mut sys, &plan.key, plan.price_cents, &currency).await?.unwrap_or(id);
        sys.commit().await?;
        Ok(id)
    }

    /// The first instant of next month, where subscriptions are anchored so
    /// that Stripe's billing periods are our calendar months.
    fn anchor(&self) -> i64 {
        Period::of(self.now()).end.timestamp()
    }

    /// Brings the workspace's Stripe subscription in line with its plan.
    /// `run` (the job's id) makes the idempotency keys: a retry of this run
    /// repeats its calls, a later run is a new operation. The result is
    /// written only if nothing changed meanwhile (a webhook or another plan
    /// change); otherwise the run fails to be retried on the new state.
    ///
    /// # Errors
    /// Stripe's error (retried by the job), or the database's.
    pub async fn sync_subscription(&self, tenant: TenantId, run: &str) -> Result<(), Error> {
        let Some(stripe) = self.payments().map(|p| p.stripe.clone()) else { return Ok(()) };
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        let account = self.account(&mut tx).await?;
        let plan_ref = self.plan_ref(&mut tx).await?;
        tx.commit().await?;
        let plan = self.0.catalogue.get(&plan_ref.key).cloned();
        let paid = plan.as_ref().is_some_and(|p| p.price_cents > 0);
        let outcome: Option<(Option<String>, Option<String>, Option<String>)> = match (
            paid,
            account.stripe_subscription_id.clone(),
            plan,
        ) {
            (false, Some(sub), _) => {
                stripe.cancel_subscription(&sub).await.map_err(to_error)?;
                Some((None, None, None))
            }
            (true, None, Some(plan)) => {
                // A subscription starts only where the card is collected, in
                // Checkout: creating one here, without a card, would leave an
                // incomplete subscription at Stripe. A paid plan set without
                // Checkout (`stackpro billing set-plan`, the demo) is invoiced
                // by us and not collected until the owner subscribes.
                tracing::info!(tenant.id = %tenant, plan = %plan.key, "a paid plan without a Stripe subscription: the owner subscribes through Checkout");
                None
            }
            (true, Some(sub), Some(plan)) if account.stripe_plan.as_deref() != Some(plan.key.as_str()) => {
                let stripe_plan = self.stripe_plan(&stripe, &plan).await?;
                let item = match account.stripe_item_id.clone().filter(|i| !i.is_empty()) {
                    Some(item) => item,
                    None => stripe
                        .subscription(&sub)
                        .await
                        .map_err(to_error)?
                        .and_then(|s| s.item)
                        .ok_or_else(|| Error::Payments(format!("subscription {sub} has no item"), false))?,
                };
                stripe
                    .change_plan(&sub, &item, &stripe_plan, &format!("subscription-{run}"))
                    .await
                    .map_err(to_error)?;
                Some((Some(sub), Some(item), Some(plan.key.clone())))
            }
            _ => None,
        };
        let Some((sub, item, synced)) = outcome else { return Ok(()) };
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        let now_account = self.account(&mut tx).await?;
        let now_plan = self.plan_ref(&mut tx).await?;
        if now_account.stripe_subscription_id != account.stripe_subscription_id || now_plan.key != plan_ref.key {
            return Err(Error::Payments("the plan or subscription changed during the sync; trying again".into(), true));
        }
        store::set_stripe_subscription(&mut tx, sub.as_deref(), item.as_deref(), synced.as_deref(), self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Posts the overage of every workspace with a Stripe customer; returns
    /// how many items were posted.
    ///
    /// # Errors
    /// The database's error; a retryable error naming how many workspaces
    /// failed (each is logged), after the others were synchronised.
    pub async fn sync_usage(&self) -> Result<usize, Error> {
        let Some(stripe) = self.payments().map(|p| p.stripe.clone()) else { return Ok(0) };
        let mut sys = self.0.db.system_read().await?;
        let tenants = store::stripe_tenants(&mut sys).await?;
        sys.commit().await?;
        let mut posted = 0;
        let mut failed = 0;
        for tenant in tenants {
            match self.sync_usage_of(&stripe, tenant).await {
                Ok(n) => posted += n,
                Err(e) => {
                    failed += 1;
                    tracing::warn!(tenant.id = %tenant, error.cause_chain = ?e, "Stripe usage sync failed");
                }
            }
        }
        if failed > 0 {
            // The job runs again soon: items already posted are not posted
            // again, and the failed workspaces get their turn.
            return Err(Error::Payments(
                format!("{failed} workspaces could not be synchronised ({posted} items posted)"),
                true,
            ));
        }
        Ok(posted)
    }

    /// Posts one workspace's overage: for the current period and the one
    /// before (late usage), if it was subscribed then, what each soft
    /// limit's overage charge has grown by since the items already posted,
    /// one item per meter, period and day.
    pub(crate) async fn sync_usage_of(&self, stripe: &Stripe, tenant: TenantId) -> Result<usize, Error> {
        let now = self.now();
        let today = now.date_naive();
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let account = self.account(&mut tx).await?;
        tx.commit().await?;
        let Some(customer) = account.stripe_customer_id else { return Ok(0) };
        let current = Period::of(now);
        let previous = Period::of(current.start - chrono::Duration::seconds(1));
        let mut posted = 0;
        // First what an interrupted run left, whatever its day: posted only
        // if Stripe does not have it, so the totals below count it once.
        let mut tx = self.0.db.tenant_read_for(tenant).await?;
        let pending = store::pending_usage_items(&mut tx).await?;
        tx.commit().await?;
        for item in pending {
            if self.settle_usage_item(stripe, tenant, &customer, item).await? {
                posted += 1;
            }
        }
        // Only the periods the workspace was subscribed in: what came before
        // it gave Stripe a card was invoiced here, not collected.
        let periods = match account.stripe_subscribed_at {
            Some(since) if since < current.start => vec![previous, current],
            Some(_) => vec![current],
            None => vec![],
        };
        for period in periods {
            let mut tx = self.0.db.tenant_read_for(tenant).await?;
            let charged = self.overage_charges(&mut tx, period, now).await?;
            tx.commit().await?;
            for (meter, target) in charged {
                if self.post_usage_item(stripe, tenant, &customer, meter, period, today, target).await? {
                    posted += 1;
                }
            }
        }
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        store::set_synced_on(&mut tx, today).await?;
        tx.commit().await?;
        Ok(posted)
    }

    /// The period's overage charge per meter as our invoice computes it now
    /// (late usage included).
    async fn overage_charges(
        &self,
        tx: &mut TenantTx,
        period: Period,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Meter, i64)>, Error> {
        Ok(self
            .lines(tx, period, now)
            .await?
            .into_iter()
            .filter(|l| l.kind == "usage")
            .filter_map(|l| Some((l.meter?, l.amount_cents)))
            .collect())
    }

    /// Brings Stripe to `target` cents for a meter and period with at most
    /// one new item today; `true` when this call created one.
    ///
    /// An item is written `pending` before the call and `posted` after it; a
    /// `pending` item is settled first by the next run
    /// ([`Billing::settle_usage_item`]), so a run killed between the two
    /// posts nothing twice, even against a Stripe that ignores idempotency
    /// keys. Two runs at the same moment rely on Stripe's idempotency key
    /// (the item's tag) instead. A lower target than already posted (a
    /// higher plan's allowance, mid-period) posts the difference as a
    /// credit.
    #[allow(clippy::too_many_arguments)]
    async fn post_usage_item(
        &self,
        stripe: &Stripe,
        tenant: TenantId,
        customer: &str,
        meter: Meter,
        period: Period,
        today: NaiveDate,
        target: i64,
    ) -> Result<bool, Error> {
        let period_start = period.start.date_naive();
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        let items = store::usage_items_of(&mut tx, meter.as_str(), period_start).await?;
        if items.iter().any(|i| i.day == today) {
            return Ok(false);
        }
        let amount = target - items.iter().map(|i| i.amount_cents).sum::<i64>();
        if amount == 0 {
            return Ok(false);
        }
        let item = store::UsageItemRow {
            meter: meter.as_str().into(),
            period_start,
            day: today,
            amount_cents: amount,
            status: "pending".into(),
            stripe_id: None,
        };
        store::put_usage_item(&mut tx, &item, self.now()).await?;
        tx.commit().await?;
        self.send_usage_item(stripe, tenant, customer, item, false).await
    }

    /// Finishes an item an interrupted run left `pending`: looked up at
    /// Stripe by its tag, posted only if absent; `true` when posted now.
    async fn settle_usage_item(
        &self,
        stripe: &Stripe,
        tenant: TenantId,
        customer: &str,
        item: store::UsageItemRow,
    ) -> Result<bool, Error> {
        self.send_usage_item(stripe, tenant, customer, item, true).await
    }

    async fn send_usage_item(
        &self,
        stripe: &Stripe,
        tenant: TenantId,
        customer: &str,
        item: store::UsageItemRow,
        look_first: bool,
    ) -> Result<bool, Error> {
        let period = Period::of(item.period_start.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default());
        let sync_key = format!("usage-{tenant}-{}-{}-{}", item.meter, period.label(), item.day);
        let found = match look_first {
            true => stripe.find_invoice_item(customer, &sync_key).await.map_err(to_error)?,
            false => None,
        };
        let (id, created) = match found {
            Some(id) => (id, false),
            None => {
                let what = Meter::parse(&item.meter).map(|m| m.describe().trim_end_matches('.')).unwrap_or(&item.meter);
                let description = format!(
                    "{what}: {} beyond the plan in {}, as of {}",
                    if item.amount_cents < 0 { "credit for less" } else { "use" },
                    period.start.format("%B %Y"),
                    item.day
                );
                let currency = self.0.catalogue.currency.clone();
                let id = stripe
                    .create_invoice_item(customer, item.amount_cents, &currency, &description, &sync_key)
                    .await
                    .map_err(to_error)?;
                (id, true)
            }
        };
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        let done = store::UsageItemRow { status: "posted".into(), stripe_id: Some(id), ..item };
        store::put_usage_item(&mut tx, &done, self.now()).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Processes a Stripe webhook: `payload` is the raw body and `signature`
    /// the `Stripe-Signature` header.
    ///
    /// Events arrive late, twice or out of order, so none is taken at its
    /// word where that matters: a subscription event makes us read the
    /// subscription as Stripe has it now, and a plan found there is adopted
    /// only if it differs from the one we last gave Stripe (changed in
    /// Stripe's dashboard, or started by Checkout); an invoice event older
    /// than the newest applied changes nothing, and a paid invoice clears
    /// the failure of that invoice only.
    ///
    /// # Errors
    /// `webhook_signature_invalid`; `payments_not_configured` without
    /// webhook secrets; Stripe's error reading a subscription (Stripe sends
    /// the event again); the database's error.
    pub async fn webhook(&self, payload: &[u8], signature: &str) -> Result<WebhookOutcome, Error> {
        let Some(payments) = self.payments().filter(|p| !p.webhook_secrets.is_empty()).cloned() else {
            return Err(Error::PaymentsNotConfigured);
        };
        // Freshness is judged by the wall clock, as Stripe signs by it (the
        // service's clock is the business time, which tests move).
        stripe::verify(payload, signature, &payments.webhook_secrets, Utc::now().timestamp(), stripe::TOLERANCE_SECS)
            .map_err(|e| Error::WebhookSignature(e.to_string()))?;
        let event: serde_json::Value =
            serde_json::from_slice(payload).map_err(|e| Error::WebhookSignature(format!("unreadable event: {e}")))?;
        let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
            return Err(Error::WebhookSignature("an event without id or type".into()));
        };
        if !stripe::is_id(id) || kind.len() > 100 || !kind.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::WebhookSignature("an event id or type Stripe does not send".into()));
        }
        let created = event["created"].as_i64().unwrap_or(0);
        let object = &event["data"]["object"];
        let customer = object["customer"]
            .as_str()
            .or_else(|| object["id"].as_str().filter(|i| i.starts_with("cus_")))
            .filter(|c| stripe::is_id(c));
        let outcome = |r: &str| Ok(WebhookOutcome { received: true, result: r.into() });
        let Some(customer) = customer else { return outcome("ignored") };
        let mut sys = self.0.db.system_read().await?;
        let tenant = store::tenant_of_customer(&mut sys, customer).await?;
        sys.commit().await?;
        let Some(tenant) = tenant else {
            tracing::info!(event.id = %id, event.kind = %kind, "Stripe event for a customer of no workspace");
            return outcome("ignored");
        };
        // A subscription as it is now, and our plan for its Stripe plan.
        let subscription =
            match (kind.starts_with("customer.subscription."), object["id"].as_str().filter(|i| stripe::is_id(i))) {
                (true, Some(sub)) => {
                    let now = payments.stripe.subscription(sub).await.map_err(to_error)?;
                    let ours = match now.as_ref().and_then(|s| s.plan.clone()) {
                        Some(p) => {
                            let mut sys = self.0.db.system_read().await?;
                            let ours = store::plan_of_stripe(&mut sys, &p).await?;
                            sys.commit().await?;
                            ours
                        }
                        None => None,
                    };
                    Some((sub.to_owned(), now.filter(|s| s.customer == customer), ours))
                }
                _ => None,
            };

        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        if !store::insert_stripe_event(&mut tx, id, kind, now).await? {
            return outcome("duplicate");
        }
        let account = self.account(&mut tx).await?;
        let current = self.plan_ref(&mut tx).await?;
        let invoice = object["id"].as_str().filter(|i| stripe::is_id(i)).unwrap_or_default();
        let stale = account.stripe_invoice_event_at.is_some_and(|at| created < at);
        let result = match (kind, subscription) {
            (k, _) if k.starts_with("invoice.") && invoice.is_empty() => "ignored",
            ("invoice.paid" | "invoice.payment_succeeded" | "invoice.voided", _) if stale => "stale",
            // Paid, or voided (nothing is owed on it any more).
            ("invoice.paid" | "invoice.payment_succeeded" | "invoice.voided", _) => {
                match account.stripe_failed_invoice.as_deref() {
                    // Another invoice is still unpaid: the account stays past due.
                    Some(failed) if failed != invoice => {
                        store::set_invoice_event(&mut tx, Some(failed), created).await?
                    }
                    _ => {
                        store::set_invoice_event(&mut tx, None, created).await?;
                        store::set_past_due(&mut tx, None, now).await?;
                        if matches!(current.status, PlanStatus::PastDue | PlanStatus::Restricted) {
                            let standing = super::plans::standing(&current.key, false, current.status);
                            store::set_plan(&mut tx, &current.key, standing.as_str()).await?;
                        }
                    }
                }
                "applied"
            }
            ("invoice.payment_failed", _) if stale => "stale",
            ("invoice.payment_failed", _)
                if account.stripe_subscription_id.is_none()
                    && self.0.catalogue.get(&current.key).is_none_or(|p| p.price_cents == 0) =>
            {
                // Nothing is owed on a free plan any more.
                "ignored"
            }
            ("invoice.payment_failed", _) => {
                store::set_invoice_event(&mut tx, Some(invoice), created).await?;
                if account.past_due_since.is_none() {
                    store::set_past_due(&mut tx, Some(now), now).await?;
                }
                if current.status != PlanStatus::Restricted {
                    store::set_plan(&mut tx, &current.key, PlanStatus::PastDue.as_str()).await?;
                }
                let grace = self.0.catalogue.grace_days;
                let name = self.0.security.tenant_of(&mut tx).await?.map(|t| t.name).unwrap_or_default();
                let body = format!(
                    "Stripe could not collect the payment for {name}. The plan stays as it is for {grace} days; \
                     after that, until the payment goes through, the free level's limits apply (nothing is \
                     deleted). Stripe tries the card again over the next days; to pay with another card, use \
                     the link in Stripe's email about this invoice.\n"
                );
                self.0.security.email_admins(&mut tx, &format!("Payment failed for {name}"), &body).await?;
                "applied"
            }
            (_, Some((sub, sub_now, ours))) => {
                let ours_now = account.stripe_subscription_id.as_deref() == Some(sub.as_str());
                match sub_now.filter(|s| s.is_live()) {
                    // Not the subscription we hold while we hold one: a second one
                    // (two Checkouts paid). Left for people to sort out.
                    Some(_) if account.stripe_subscription_id.is_some() && !ours_now => {
                        tracing::warn!(tenant.id = %tenant, subscription = %sub, "a second live Stripe subscription");
                        let details =
                            serde_json::json!({ "subscription": sub, "kept": account.stripe_subscription_id });
                        let actor =
                            stackpro_security::service::Actor { label: Some("Stripe".into()), ..Default::default() };
                        self.0
                            .security
                            .audit(&mut tx, &actor, "billing.stripe_duplicate_subscription", None, details)
                            .await?;
                        "ignored"
                    }
                    Some(live) => {
                        // Adopted only when Stripe's plan is not the one we gave it.
                        if let Some(plan) = ours.as_deref().filter(|p| Some(*p) != account.stripe_plan.as_deref()) {
                            if plan != current.key {
                                self.apply_plan(&mut tx, &current.key, plan, "stripe", now).await?;
                                store::set_scheduled(&mut tx, None, now).await?;
                            }
                        }
                        store::set_stripe_subscription(
                            &mut tx,
                            Some(&live.id),
                            live.item.as_deref(),
                            ours.as_deref(),
                            now,
                        )
                        .await?;
                        if matches!(live.status.as_str(), "past_due" | "unpaid") && account.past_due_since.is_none() {
                            store::set_past_due(&mut tx, Some(now), now).await?;
                            let key = self.plan_ref(&mut tx).await?.key;
                            store::set_plan(&mut tx, &key, PlanStatus::PastDue.as_str()).await?;
                        }
                        "applied"
                    }
                    // Ended (or unknown to Stripe): the workspace drops to free
                    // if it was the subscription we hold.
                    None if ours_now => {
                        self.apply_plan(&mut tx, &current.key, FREE, "stripe", now).await?;
                        store::set_scheduled(&mut tx, None, now).await?;
                        store::set_stripe_subscription(&mut tx, None, None, None, now).await?;
                        "applied"
                    }
                    None => "ignored",
                }
            }
            _ => "ignored",
        };
        if result == "applied" {
            let actor = stackpro_security::service::Actor { label: Some("Stripe".into()), ..Default::default() };
            let details = serde_json::json!({ "event": id, "type": kind });
            self.0
                .security
                .audit(&mut tx, &actor, "billing.stripe_event", Some(format!("stripe:{id}")), details)
                .await?;
        }
        let pending = self.0.security.invalidate(&mut tx, vec![Forget::Tenant(tenant)]).await?;
        tx.commit().await?;
        self.0.security.announce(pending).await;
        outcome(result)
    }

    /// A Checkout page where the owner enters a card and subscribes to
    /// `plan`.
    ///
    /// # Errors
    /// `forbidden` below owner, `payments_not_configured`, `plan_not_found`
    /// (also for a free plan), `subscription_exists`, Stripe's error.
    pub async fn checkout(&self, ctx: &TenantCtx, plan: &str) -> Result<CheckoutView, Error> {
        require(ctx, Role::Owner, true)?;
        let payments = self.payments().ok_or(Error::PaymentsNotConfigured)?.clone();
        let target = self
            .0
            .catalogue
            .get(plan)
            .filter(|p| p.selectable && p.price_cents > 0)
            .ok_or_else(|| Error::no_plan(plan))?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let account = self.account(&mut tx).await?;
        if account.stripe_subscription_id.is_some() {
            return Err(Error::SubscriptionExists);
        }
        // What the plan page refuses, Checkout refuses too: a paid plan
        // while a payment is overdue, or one the levels in use exceed.
        if account.past_due_since.is_some() {
            return Err(Error::PaymentOverdue(target.name.clone()));
        }
        self.fits(&mut tx, target, &Period::of(self.now())).await?;
        tx.commit().await?;
        let customer = self.customer(&payments.stripe, ctx.tenant).await?;
        let stripe_plan = self.stripe_plan(&payments.stripe, target).await?;
        let back = format!("{}/app/billing", payments.public_url);
        let key = format!("checkout-{}-{}-{}", ctx.tenant, target.key, uuid::Uuid::now_v7());
        let url = payments
            .stripe
            .checkout(
                &customer,
                &stripe_plan,
                self.anchor(),
                &format!("{back}?checkout=done"),
                &format!("{back}?checkout=cancelled"),
                &key,
            )
            .await
            .map_err(to_error)?;
        Ok(CheckoutView { url })
    }
}

/// Runs [`SUBSCRIPTION_JOB`].
#[derive(Clone, Debug)]
pub struct SubscriptionJob(pub Billing);

#[async_trait::async_trait]
impl JobHandler for SubscriptionJob {
    async fn run(&self, job: &stackpro_store::jobs::Job) -> Result<(), JobError> {
        let tenant = job.tenant_id.ok_or(JobError::Fail("a subscription job without a tenant".into()))?;
        self.0.sync_subscription(tenant, &job.id.to_string()).await.map_err(|e| match e {
            Error::Payments(m, false) => JobError::Fail(m),
            e => JobError::Retry(e.to_string()),
        })
    }
}

/// Runs [`USAGE_JOB`].
#[derive(Clone, Debug)]
pub struct UsageJob(pub Billing);

#[async_trait::async_trait]
impl JobHandler for UsageJob {
    async fn run(&self, _: &stackpro_store::jobs::Job) -> Result<(), JobError> {
        self.0.sync_usage().await.map(|_| ()).map_err(|e| JobError::Retry(e.to_string()))
    }

    fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1_800)
    }
}

impl Billing {
    /// Schedules the daily usage synchronisation once (when Stripe is
    /// configured).
    ///
    /// # Errors
    /// The database's error.
    pub async fn schedule_usage_sync(&self) -> Result<(), Error> {
        if self.payments().is_none() {
            return Ok(());
        }
        let now = self.now();
        let mut sys = self.0.db.system_tx().await?;
        let job = NewJob {
            every: Some(chrono::Duration::hours(24)),
            unique_key: Some(USAGE_JOB.into()),
            ..NewJob::new(USAGE_JOB, serde_json::json!({}), now)
        };
        stackpro_store::jobs::enqueue(&mut sys, job, now).await?;
        sys.commit().await?;
        Ok(())
    }

    /// The job handler of [`SUBSCRIPTION_JOB`].
    pub fn subscription_job(&self) -> SubscriptionJob {
        SubscriptionJob(self.clone())
    }

    /// The job handler of [`USAGE_JOB`].
    pub fn usage_job(&self) -> UsageJob {
        UsageJob(self.clone())
    }
}

//! Invoices, computed by StackPro itself whether or not Stripe collects
//! them: each plan the workspace was on during the period for the seconds it
//! was on it, each soft limit's overage priced by its tiers, and adjustments
//! for usage of earlier periods that arrived after their invoice. An issued
//! invoice is numbered without gaps and never changes.

use super::*;
use crate::model::{prorate, to_cents};
use crate::store::{self, InvoiceRow};
use crate::views::{InvoiceLine, InvoiceList, InvoiceView};
use stackpro_store::TenantTx;
use std::collections::BTreeMap;

/// A plan in force over part of a period.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Segment {
    pub plan: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Billing {
    /// The plans in force during a period, in order.
    pub(crate) async fn segments(&self, tx: &mut TenantTx, period: Period) -> Result<Vec<Segment>, Error> {
        let current = self.plan_ref(tx).await?.key;
        let changes = store::plan_changes_since(tx, period.start).await?;
        let mut plan = changes.first().map(|c| c.from_plan.clone()).unwrap_or(current);
        let mut from = period.start;
        let mut out = Vec::new();
        for c in changes.iter().filter(|c| c.at < period.end) {
            if c.at > from {
                out.push(Segment { plan: plan.clone(), from, to: c.at });
            }
            plan = c.to_plan.clone();
            from = c.at.max(period.start);
        }
        out.push(Segment { plan, from, to: period.end });
        Ok(out)
    }

    /// A period's lines as of `as_of`: plans, overage, adjustments.
    pub(crate) async fn lines(
        &self,
        tx: &mut TenantTx,
        period: Period,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<InvoiceLine>, Error> {
        let cat = &self.0.catalogue;
        let segments = self.segments(tx, period).await?;
        let mut lines = Vec::new();
        for s in &segments {
            let Some(p) = cat.get(&s.plan) else { continue };
            let (used, total) = period.fraction(s.from, s.to);
            let amount = prorate(p.price_cents, used, total);
            // A free plan, or a plan held for less than a cent's worth of
            // time (changed twice within seconds), makes no line.
            if p.price_cents == 0 || amount == 0 {
                continue;
            }
            let whole = s.from == period.start && s.to == period.end;
            let description = if whole {
                format!("{} plan, {}", p.name, period.start.format("%B %Y"))
            } else {
                format!(
                    "{} plan, {} to {} UTC (prorated)",
                    p.name,
                    s.from.format("%-d %B %H:%M"),
                    (s.to - chrono::Duration::seconds(1)).format("%-d %B %H:%M")
                )
            };
            lines.push(InvoiceLine {
                kind: "plan".into(),
                description,
                meter: None,
                plan: p.key.clone(),
                used: None,
                included: None,
                quantity: 1,
                amount_cents: amount,
            });
        }
        let end_plan = segments.last().map(|s| s.plan.clone()).unwrap_or_default();
        if let Some(p) = cat.get(&end_plan) {
            let values = self.values_in(tx, &period).await?;
            for (meter, v) in values {
                let limit = p.limit(meter);
                let (over, micro) = limit.overage(v.value);
                if over <= 0 {
                    continue;
                }
                lines.push(InvoiceLine {
                    kind: "usage".into(),
                    description: format!(
                        "{}: {} used, {} included",
                        meter.describe().trim_end_matches('.'),
                        crate::views::quantity(meter, v.value),
                        crate::views::quantity(meter, limit.included().unwrap_or(0))
                    ),
                    meter: Some(meter),
                    plan: p.key.clone(),
                    used: Some(v.value),
                    included: limit.included(),
                    quantity: over,
                    amount_cents: to_cents(micro),
                });
            }
        }
        lines.extend(self.adjustments(tx, period, as_of).await?);
        Ok(lines)
    }

    /// Usage of earlier periods recorded after their invoice was issued:
    /// the difference it makes to that period's overage, charged now.
    async fn adjustments(
        &self,
        tx: &mut TenantTx,
        period: Period,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<InvoiceLine>, Error> {
        let Some(previous) = store::invoice_before(tx, period.start).await? else { return Ok(Vec::new()) };
        let late = store::late_events(tx, period.start, previous.issued_at, as_of).await?;
        let mut by_period: BTreeMap<(Meter, DateTime<Utc>), i64> = BTreeMap::new();
        for (meter, at, qty) in late {
            let Some(m) = Meter::parse(&meter).filter(|m| !m.aggregation().is_level()) else { continue };
            *by_period.entry((m, Period::of(at).start)).or_default() += qty;
        }
        let mut out = Vec::new();
        for ((meter, start), late) in by_period {
            let p_period = Period::of(start);
            let Some(plan) =
                self.segments(tx, p_period).await?.last().and_then(|s| self.0.catalogue.get(&s.plan)).cloned()
            else {
                continue;
            };
            let now_used = self.value_in(tx, meter, &p_period).await?.value;
            let limit = plan.limit(meter);
            let (_, after) = limit.overage(now_used);
            let (_, before) = limit.overage(now_used - late);
            let amount = to_cents(after - before);
            if amount == 0 {
                continue;
            }
            out.push(InvoiceLine {
                kind: "adjustment".into(),
                description: format!(
                    "{} of {} recorded after its invoice: {} more",
                    meter.describe().trim_end_matches('.'),
                    p_period.start.format("%B %Y"),
                    crate::views::quantity(meter, late)
                ),
                meter: Some(meter),
                plan: plan.key.clone(),
                used: Some(now_used),
                included: limit.included(),
                quantity: late,
                amount_cents: amount,
            });
        }
        Ok(out)
    }

    /// The current period's invoice as it stands.
    pub(crate) async fn draft_invoice(
        &self,
        tx: &mut TenantTx,
        period: Period,
        now: DateTime<Utc>,
    ) -> Result<InvoiceView, Error> {
        let lines = self.lines(tx, period, now).await?;
        let billed_to = self.0.security.tenant_of(tx).await?.map(|t| t.name).unwrap_or_default();
        Ok(InvoiceView {
            id: None,
            number: None,
            status: "draft".into(),
            period_start: period.start,
            period_end: period.end,
            currency: self.0.catalogue.currency.clone(),
            total_cents: lines.iter().map(|l| l.amount_cents).sum(),
            lines,
            issued_at: None,
            paid_at: None,
            billed_to,
            payments_configured: self.payments_configured(),
        })
    }

    /// Issues the invoice of a finished period, once; `None` when there is
    /// nothing to charge (a trial, the free level) or it was issued already.
    ///
    /// # Errors
    /// The database's error.
    pub async fn issue_invoice(&self, tenant: TenantId, period: Period) -> Result<Option<InvoiceView>, Error> {
        let now = self.now();
        let mut tx = self.0.db.tenant_tx_for(tenant).await?;
        if store::invoice_of_period(&mut tx, period.start).await?.is_some() {
            return Ok(None);
        }
        let lines = self.lines(&mut tx, period, now).await?;
        if lines.iter().all(|l| l.amount_cents == 0) {
            return Ok(None);
        }
        let year = chrono::Datelike::year(&period.start);
        let seq = store::next_invoice_number(&mut tx, year).await?;
        let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
        let row = InvoiceRow {
            id: uuid::Uuid::now_v7(),
            number: format!("SP-{year}-{seq:06}"),
            period_start: period.start,
            period_end: period.end,
            status: "open".into(),
            currency: self.0.catalogue.currency.clone(),
            total_cents: total,
            lines: serde_json::to_string(&lines).map_err(|e| Error::Invalid("/lines", e.to_string()))?,
            issued_at: now,
            paid_at: None,
            stripe_invoice_id: None,
        };
        if !store::insert_invoice(&mut tx, &row).await? {
            return Ok(None);
        }
        let name = self.0.security.tenant_of(&mut tx).await?.map(|t| t.name).unwrap_or_default();
        let subject = format!("Invoice {} for {name}: {}", row.number, money(total, &row.currency));
        let body = format!(
            "The invoice {} for {} ({}) is {}.\n\nThe Billing page of {name} shows it line by line and prints it.\n",
            row.number,
            name,
            period.label(),
            money(total, &row.currency)
        );
        self.0.security.email_admins(&mut tx, &subject, &body).await?;
        let actor = stackpro_security::service::Actor { label: Some("billing".into()), ..Default::default() };
        let details = serde_json::json!({ "number": row.number, "total_cents": total, "period": period.label() });
        self.0
            .security
            .audit(&mut tx, &actor, "billing.invoice_issued", Some(format!("invoice:{}", row.id)), details)
            .await?;
        let view = self.invoice_view(&mut tx, &row).await?;
        tx.commit().await?;
        tracing::info!(tenant.id = %tenant, invoice = %row.number, total_cents = total, "invoice issued");
        Ok(Some(view))
    }

    async fn invoice_view(&self, tx: &mut TenantTx, row: &InvoiceRow) -> Result<InvoiceView, Error> {
        let lines: Vec<InvoiceLine> = serde_json::from_str(&row.lines).unwrap_or_default();
        let billed_to = self.0.security.tenant_of(tx).await?.map(|t| t.name).unwrap_or_default();
        Ok(InvoiceView {
            id: Some(row.id),
            number: Some(row.number.clone()),
            status: row.status.clone(),
            period_start: row.period_start,
            period_end: row.period_end,
            currency: row.currency.clone(),
            lines,
            total_cents: row.total_cents,
            issued_at: Some(row.issued_at),
            paid_at: row.paid_at,
            billed_to,
            payments_configured: self.payments_configured() || row.stripe_invoice_id.is_some(),
        })
    }

    /// The workspace's invoices, newest first.
    ///
    /// # Errors
    /// `forbidden` below admin.
    pub async fn invoices(&self, ctx: &TenantCtx) -> Result<InvoiceList, Error> {
        require(ctx, Role::Admin, false)?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let mut items = Vec::new();
        for row in store::invoices(&mut tx).await? {
            items.push(self.invoice_view(&mut tx, &row).await?);
        }
        tx.commit().await?;
        Ok(InvoiceList { items })
    }

    /// One invoice.
    ///
    /// # Errors
    /// `forbidden` below admin, `invoice_not_found`.
    pub async fn invoice(&self, ctx: &TenantCtx, id: uuid::Uuid) -> Result<InvoiceView, Error> {
        require(ctx, Role::Admin, false)?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let row = store::invoice(&mut tx, id).await?.ok_or_else(|| Error::InvoiceNotFound(id.to_string()))?;
        let view = self.invoice_view(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(view)
    }
}

/// An amount for people: `12.34 USD`.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02} {}", cents.abs() / 100, cents.abs() % 100, currency.to_uppercase())
}

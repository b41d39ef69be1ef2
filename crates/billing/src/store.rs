//! SQL for plans, usage and invoices, written once for both dialects. Every
//! function on a tenant's data takes its `TenantTx`; the few that scan all
//! tenants (the periodic tick) take a `SystemTx`.

use crate::error::Error;
use chrono::{DateTime, NaiveDate, Utc};
use stackpro_core::ids::TenantId;
use stackpro_store::{exec, on_db, SystemTx, TenantTx};
use uuid::Uuid;

// ---- the ledger -------------------------------------------------------------

/// Appends a usage event unless one with the same key exists; `true` when it
/// was new.
///
/// # Errors
/// The database's error.
pub async fn insert_event(
    tx: &mut TenantTx,
    meter: &str,
    quantity: i64,
    occurred_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    key: &str,
) -> Result<bool, Error> {
    const SQL: &str = "INSERT INTO usage_events (tenant_id, id, meter, quantity, occurred_at, recorded_at, \
                       idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING";
    let tenant = tx.tenant_id();
    let n = exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(Uuid::now_v7())
            .bind(meter)
            .bind(quantity)
            .bind(occurred_at)
            .bind(recorded_at)
            .bind(key)
    )?;
    Ok(n == 1)
}

/// An event to insert.
#[derive(Clone, Copy, Debug)]
pub struct EventRow<'a> {
    /// The meter.
    pub meter: &'a str,
    /// The amount or level.
    pub quantity: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Its idempotency key.
    pub key: &'a str,
}

/// Inserts events, many rows per statement; returns the keys that were new
/// (a key already in the ledger, or twice in `events`, is inserted once).
///
/// # Errors
/// The database's error.
pub async fn insert_events(
    tx: &mut TenantTx,
    events: &[EventRow<'_>],
    recorded_at: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    // 7 parameters a row: 500 rows stay far below both databases' limits.
    const ROWS: usize = 500;
    let tenant = tx.tenant_id();
    // In key order, so two batches sharing keys lock them in the same order
    // (no deadlock between concurrent writers on PostgreSQL).
    let mut events = events.to_vec();
    events.sort_by(|a, b| a.key.cmp(b.key));
    let mut new = Vec::with_capacity(events.len());
    for chunk in events.chunks(ROWS) {
        let keys: Vec<String> = on_db!(tx, |c| {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO usage_events (tenant_id, id, meter, quantity, occurred_at, recorded_at, idempotency_key) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(tenant)
                    .push_bind(Uuid::now_v7())
                    .push_bind(e.meter)
                    .push_bind(e.quantity)
                    .push_bind(e.occurred_at)
                    .push_bind(recorded_at)
                    .push_bind(e.key);
            });
            q.push(" ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING idempotency_key");
            q.build_query_scalar::<String>().fetch_all(c).await
        })?;
        new.extend(keys);
    }
    Ok(new)
}

/// What some events add to a day: `sum` to the total, `events` to the
/// count, `peak` to the highest level, and `level` (the last level, recorded
/// at `at`) as the day's last level if it is the newest.
#[derive(Clone, Copy, Debug)]
pub struct DayDelta {
    /// Added to the day's total.
    pub sum: i64,
    /// The highest level among the events.
    pub peak: i64,
    /// The last level among the events.
    pub level: i64,
    /// When the last level was recorded.
    pub at: DateTime<Utc>,
    /// How many events.
    pub events: i64,
}

/// Adds events to a day's totals.
///
/// # Errors
/// The database's error.
pub async fn add_daily(tx: &mut TenantTx, meter: &str, day: NaiveDate, d: DayDelta) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO usage_daily (tenant_id, meter, day, total, peak, last, last_at, events) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, meter, day) DO UPDATE SET \
                       total = usage_daily.total + excluded.total, \
                       peak = CASE WHEN excluded.peak > usage_daily.peak THEN excluded.peak ELSE usage_daily.peak END, \
                       last = CASE WHEN excluded.last_at >= usage_daily.last_at THEN excluded.last ELSE usage_daily.last END, \
                       last_at = CASE WHEN excluded.last_at >= usage_daily.last_at THEN excluded.last_at \
                       ELSE usage_daily.last_at END, events = usage_daily.events + excluded.events";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(meter)
            .bind(day)
            .bind(d.sum)
            .bind(d.peak)
            .bind(d.level)
            .bind(d.at)
            .bind(d.events)
    )?;
    Ok(())
}

/// One day of one meter.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DailyRow {
    /// The meter.
    pub meter: String,
    /// The day (UTC).
    pub day: NaiveDate,
    /// The sum of the day's quantities.
    pub total: i64,
    /// The highest level of the day.
    pub peak: i64,
    /// The last level of the day.
    pub last: i64,
    /// When the last level was recorded.
    pub last_at: DateTime<Utc>,
    /// How many events.
    pub events: i64,
}

const DAILY_COLS: &str = "meter, day, total, peak, last, last_at, events";

/// Every day in `[from, to)` of every meter, oldest first.
///
/// # Errors
/// The database's error.
pub async fn days(tx: &mut TenantTx, from: NaiveDate, to: NaiveDate) -> Result<Vec<DailyRow>, Error> {
    let sql = format!(
        "SELECT {DAILY_COLS} FROM usage_daily WHERE tenant_id = $1 AND day >= $2 AND day < $3 ORDER BY meter, day"
    );
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(from).bind(to).fetch_all(c).await)?)
}

/// The last day before `before` on which each meter was recorded: the level
/// a level meter carries into a period.
///
/// # Errors
/// The database's error.
pub async fn last_days_before(tx: &mut TenantTx, before: NaiveDate) -> Result<Vec<DailyRow>, Error> {
    let sql = format!(
        "SELECT {DAILY_COLS} FROM usage_daily d WHERE tenant_id = $1 AND day = (SELECT MAX(day) FROM usage_daily \
         WHERE tenant_id = $1 AND meter = d.meter AND day < $2)"
    );
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(before).fetch_all(c).await)?)
}

/// The sum of one meter's quantities over `[from, to)`.
///
/// # Errors
/// The database's error.
pub async fn sum_between(tx: &mut TenantTx, meter: &str, from: NaiveDate, to: NaiveDate) -> Result<i64, Error> {
    const SQL: &str =
        "SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM usage_daily WHERE tenant_id = $1 AND meter = $2 \
         AND day >= $3 AND day < $4";
    let tenant = tx.tenant_id();
    let n: i64 =
        on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(meter).bind(from).bind(to).fetch_one(c).await)?;
    Ok(n)
}

/// The last level recorded of a meter, if any.
///
/// # Errors
/// The database's error.
pub async fn last_level(tx: &mut TenantTx, meter: &str) -> Result<Option<i64>, Error> {
    const SQL: &str =
        "SELECT last FROM usage_daily WHERE tenant_id = $1 AND meter = $2 ORDER BY day DESC, last_at DESC LIMIT 1";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(meter).fetch_optional(c).await)?)
}

/// Events of earlier periods recorded late: occurred before `before`,
/// recorded in `(recorded_after, recorded_until]`: `(meter, occurred_at,
/// quantity)`, at most 10,000.
///
/// # Errors
/// The database's error.
pub async fn late_events(
    tx: &mut TenantTx,
    before: DateTime<Utc>,
    recorded_after: DateTime<Utc>,
    recorded_until: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>, i64)>, Error> {
    const SQL: &str = "SELECT meter, occurred_at, quantity FROM usage_events WHERE tenant_id = $1 \
                       AND occurred_at < $2 AND recorded_at > $3 AND recorded_at <= $4 LIMIT 10000";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL)
        .bind(tenant)
        .bind(before)
        .bind(recorded_after)
        .bind(recorded_until)
        .fetch_all(c)
        .await)?)
}

/// How many events the ledger holds for the tenant (for checks and tests).
///
/// # Errors
/// The database's error.
pub async fn count_events(tx: &mut TenantTx, meter: &str) -> Result<(i64, i64), Error> {
    const SQL: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM usage_events \
         WHERE tenant_id = $1 AND meter = $2";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(meter).fetch_one(c).await)?)
}

// ---- alerts -----------------------------------------------------------------

/// Records that a threshold was crossed; `false` when it was already.
///
/// # Errors
/// The database's error.
pub async fn insert_alert(
    tx: &mut TenantTx,
    meter: &str,
    period: &str,
    threshold: i32,
    at: DateTime<Utc>,
    usage: i64,
) -> Result<bool, Error> {
    const SQL: &str = "INSERT INTO usage_alerts (tenant_id, meter, period, threshold, at, usage) \
                       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, meter, period, threshold) DO NOTHING";
    let tenant = tx.tenant_id();
    let n = exec!(tx, sqlx::query(SQL).bind(tenant).bind(meter).bind(period).bind(threshold).bind(at).bind(usage))?;
    Ok(n == 1)
}

/// An alert as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AlertRow {
    /// The meter.
    pub meter: String,
    /// `YYYY-MM`.
    pub period: String,
    /// 80 or 100.
    pub threshold: i32,
    /// When it was crossed.
    pub at: DateTime<Utc>,
    /// The usage then.
    pub usage: i64,
}

/// The alerts of a period, newest first.
///
/// # Errors
/// The database's error.
pub async fn alerts(tx: &mut TenantTx, period: &str) -> Result<Vec<AlertRow>, Error> {
    const SQL: &str = "SELECT meter, period, threshold, at, usage FROM usage_alerts \
                       WHERE tenant_id = $1 AND period = $2 ORDER BY at DESC";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(period).fetch_all(c).await)?)
}

// ---- the account and its plan -------------------------------------------------

/// A tenant's billing account.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountRow {
    /// When the trial ends (or ended).
    pub trial_ends_at: DateTime<Utc>,
    /// A downgrade waiting for the period's end.
    pub scheduled_plan: Option<String>,
    /// When it was scheduled: it applies at the end of that period.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Since when a payment is overdue.
    pub past_due_since: Option<DateTime<Utc>>,
    /// The Stripe customer, once there is one.
    pub stripe_customer_id: Option<String>,
    /// The Stripe subscription, once there is one.
    pub stripe_subscription_id: Option<String>,
    /// The subscription's item.
    pub stripe_item_id: Option<String>,
    /// The plan (our key) the subscription is on.
    pub stripe_plan: Option<String>,
    /// Usage is synchronised to Stripe through this day.
    pub stripe_synced_on: Option<NaiveDate>,
    /// The Stripe invoice whose failed payment made the account past due.
    pub stripe_failed_invoice: Option<String>,
    /// The creation time (Unix seconds) of the newest invoice event applied.
    pub stripe_invoice_event_at: Option<i64>,
    /// Since when the workspace holds a subscription (a change of
    /// subscription keeps it).
    pub stripe_subscribed_at: Option<DateTime<Utc>>,
}

const ACCOUNT_COLS: &str = "trial_ends_at, scheduled_plan, scheduled_at, past_due_since, stripe_customer_id, \
     stripe_subscription_id, stripe_item_id, stripe_plan, stripe_synced_on, stripe_failed_invoice, stripe_invoice_event_at, \
     stripe_subscribed_at";

/// The account, if billing has seen the tenant.
///
/// # Errors
/// The database's error.
pub async fn account(tx: &mut TenantTx) -> Result<Option<AccountRow>, Error> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM billing_accounts WHERE tenant_id = $1");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_optional(c).await)?)
}

/// Opens the account (once).
///
/// # Errors
/// The database's error.
pub async fn open_account(tx: &mut TenantTx, trial_ends_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO billing_accounts (tenant_id, trial_ends_at, updated_at) VALUES ($1, $2, $3) \
                       ON CONFLICT (tenant_id) DO NOTHING";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(trial_ends_at).bind(now))?;
    Ok(())
}

/// Schedules (or with `None` cancels) a plan for the next period.
///
/// # Errors
/// The database's error.
pub async fn set_scheduled(tx: &mut TenantTx, plan: Option<&str>, now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str =
        "UPDATE billing_accounts SET scheduled_plan = $2, scheduled_at = $3, updated_at = $3 WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(plan).bind(now))?;
    Ok(())
}

/// Marks (or with `None` clears) an overdue payment.
///
/// # Errors
/// The database's error.
pub async fn set_past_due(tx: &mut TenantTx, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str = "UPDATE billing_accounts SET past_due_since = $2, updated_at = $3 WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(since).bind(now))?;
    Ok(())
}

/// The tenant's plan and standing, as every request reads them.
///
/// # Errors
/// The database's error.
pub async fn plan(tx: &mut TenantTx) -> Result<Option<(String, String, DateTime<Utc>)>, Error> {
    const SQL: &str = "SELECT plan, plan_status, created_at FROM tenants WHERE id = $1";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).fetch_optional(c).await)?)
}

/// Sets the plan and standing.
///
/// # Errors
/// The database's error.
pub async fn set_plan(tx: &mut TenantTx, plan: &str, status: &str) -> Result<(), Error> {
    const SQL: &str = "UPDATE tenants SET plan = $2, plan_status = $3 WHERE id = $1";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(plan).bind(status))?;
    Ok(())
}

/// A plan change as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PlanChangeRow {
    /// When.
    pub at: DateTime<Utc>,
    /// From which plan.
    pub from_plan: String,
    /// To which plan.
    pub to_plan: String,
    /// Why: `upgrade`, `downgrade`, `trial_ended`, ...
    pub reason: String,
}

/// Records a plan change.
///
/// # Errors
/// The database's error.
pub async fn insert_plan_change(
    tx: &mut TenantTx,
    at: DateTime<Utc>,
    from: &str,
    to: &str,
    reason: &str,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO plan_changes (tenant_id, id, at, from_plan, to_plan, reason) \
                       VALUES ($1, $2, $3, $4, $5, $6)";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(Uuid::now_v7()).bind(at).bind(from).bind(to).bind(reason))?;
    Ok(())
}

/// The plan changes after `from`, oldest first.
///
/// # Errors
/// The database's error.
pub async fn plan_changes_since(tx: &mut TenantTx, from: DateTime<Utc>) -> Result<Vec<PlanChangeRow>, Error> {
    const SQL: &str = "SELECT at, from_plan, to_plan, reason FROM plan_changes WHERE tenant_id = $1 AND at > $2 \
                       ORDER BY at, id";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(from).fetch_all(c).await)?)
}

// ---- invoices -----------------------------------------------------------------

/// An invoice as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InvoiceRow {
    /// Id.
    pub id: Uuid,
    /// `SP-2026-000123`.
    pub number: String,
    /// The period billed.
    pub period_start: DateTime<Utc>,
    /// Its end.
    pub period_end: DateTime<Utc>,
    /// `open`, `paid` or `void`.
    pub status: String,
    /// Currency.
    pub currency: String,
    /// Total, in cents.
    pub total_cents: i64,
    /// The lines as issued (JSON).
    pub lines: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// Stripe's invoice, when synchronised.
    pub stripe_invoice_id: Option<String>,
}

const INVOICE_COLS: &str = "id, number, period_start, period_end, status, currency, total_cents, lines, issued_at, \
                            paid_at, stripe_invoice_id";

/// Every invoice, newest first.
///
/// # Errors
/// The database's error.
pub async fn invoices(tx: &mut TenantTx) -> Result<Vec<InvoiceRow>, Error> {
    let sql = format!("SELECT {INVOICE_COLS} FROM invoices WHERE tenant_id = $1 ORDER BY period_start DESC");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_all(c).await)?)
}

/// One invoice.
///
/// # Errors
/// The database's error.
pub async fn invoice(tx: &mut TenantTx, id: Uuid) -> Result<Option<InvoiceRow>, Error> {
    let sql = format!("SELECT {INVOICE_COLS} FROM invoices WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?)
}

/// The invoice of the period starting at `start`, if issued.
///
/// # Errors
/// The database's error.
pub async fn invoice_of_period(tx: &mut TenantTx, start: DateTime<Utc>) -> Result<Option<InvoiceRow>, Error> {
    let sql = format!("SELECT {INVOICE_COLS} FROM invoices WHERE tenant_id = $1 AND period_start = $2");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(start).fetch_optional(c).await)?)
}

/// The newest invoice issued before `before`.
///
/// # Errors
/// The database's error.
pub async fn invoice_before(tx: &mut TenantTx, before: DateTime<Utc>) -> Result<Option<InvoiceRow>, Error> {
    let sql = format!(
        "SELECT {INVOICE_COLS} FROM invoices WHERE tenant_id = $1 AND period_start < $2 ORDER BY period_start DESC LIMIT 1"
    );
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(before).fetch_optional(c).await)?)
}

/// Takes the next invoice number of `year`, in the issuing transaction (so
/// numbers have no gaps).
///
/// # Errors
/// The database's error.
pub async fn next_invoice_number(tx: &mut TenantTx, year: i32) -> Result<i64, Error> {
    const SQL: &str = "INSERT INTO invoice_numbers (year, next) VALUES ($1, 2) \
                       ON CONFLICT (year) DO UPDATE SET next = invoice_numbers.next + 1 RETURNING next - 1";
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(year).fetch_one(c).await)?)
}

/// Stores an issued invoice; `false` when the period already has one.
///
/// # Errors
/// The database's error.
pub async fn insert_invoice(tx: &mut TenantTx, inv: &InvoiceRow) -> Result<bool, Error> {
    let sql = format!(
        "INSERT INTO invoices (tenant_id, {INVOICE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (tenant_id, period_start) DO NOTHING"
    );
    let tenant = tx.tenant_id();
    let n = exec!(
        tx,
        sqlx::query(&sql)
            .bind(tenant)
            .bind(inv.id)
            .bind(&inv.number)
            .bind(inv.period_start)
            .bind(inv.period_end)
            .bind(&inv.status)
            .bind(&inv.currency)
            .bind(inv.total_cents)
            .bind(&inv.lines)
            .bind(inv.issued_at)
            .bind(inv.paid_at)
            .bind(&inv.stripe_invoice_id)
    )?;
    Ok(n == 1)
}

// ---- across tenants ---------------------------------------------------------------

/// What the periodic tick needs of each tenant.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueRow {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its plan.
    pub plan: String,
    /// Its standing.
    pub plan_status: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its trial ends, once billing has seen it.
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// A scheduled downgrade.
    pub scheduled_plan: Option<String>,
    /// When it was scheduled.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// An overdue payment.
    pub past_due_since: Option<DateTime<Utc>>,
    /// The start of its newest invoiced period.
    pub last_invoiced: Option<DateTime<Utc>>,
}

/// Every tenant with what the tick decides on.
///
/// # Errors
/// The database's error.
pub async fn tenants_for_tick(sys: &mut SystemTx) -> Result<Vec<DueRow>, Error> {
    const SQL: &str = "SELECT t.id AS tenant_id, t.plan, t.plan_status, t.created_at, a.trial_ends_at, \
                       a.scheduled_plan, a.scheduled_at, a.past_due_since, \
                       (SELECT MAX(i.period_start) FROM invoices i WHERE i.tenant_id = t.id) AS last_invoiced \
                       FROM tenants t LEFT JOIN billing_accounts a ON a.tenant_id = t.id ORDER BY t.created_at";
    Ok(on_db!(sys, |c| sqlx::query_as(SQL).fetch_all(c).await)?)
}

// ---- Stripe -----------------------------------------------------------------------

/// Records the customer unless one is recorded already; `false` then (the
/// caller reads which one won).
///
/// # Errors
/// The database's error.
pub async fn set_stripe_customer(tx: &mut TenantTx, customer: &str) -> Result<bool, Error> {
    const SQL: &str =
        "UPDATE billing_accounts SET stripe_customer_id = $2 WHERE tenant_id = $1 AND stripe_customer_id IS NULL";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(customer))? == 1)
}

/// Records which invoice's failure made the account past due (`None` once
/// paid) and the newest invoice event applied.
///
/// # Errors
/// The database's error.
pub async fn set_invoice_event(tx: &mut TenantTx, failed: Option<&str>, event_at: i64) -> Result<(), Error> {
    const SQL: &str =
        "UPDATE billing_accounts SET stripe_failed_invoice = $2, stripe_invoice_event_at = $3 WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(failed).bind(event_at))?;
    Ok(())
}

/// Records the subscription (all `None` when it ended).
///
/// # Errors
/// The database's error.
pub async fn set_stripe_subscription(
    tx: &mut TenantTx,
    subscription: Option<&str>,
    item: Option<&str>,
    plan: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    // Subscribed since the first subscription of an unbroken run; none
    // without one.
    const SQL: &str =
        "UPDATE billing_accounts SET stripe_subscription_id = $2, stripe_item_id = $3, stripe_plan = $4, \
                       stripe_subscribed_at = $5 WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    let since = match subscription {
        Some(_) => Some(account(tx).await?.and_then(|a| a.stripe_subscribed_at).unwrap_or(now)),
        None => None,
    };
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(subscription).bind(item).bind(plan).bind(since))?;
    Ok(())
}

/// Records that usage is synchronised through `day`.
///
/// # Errors
/// The database's error.
pub async fn set_synced_on(tx: &mut TenantTx, day: NaiveDate) -> Result<(), Error> {
    const SQL: &str = "UPDATE billing_accounts SET stripe_synced_on = $2 WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(day))?;
    Ok(())
}

/// The Stripe plan standing for ours at a price, if created.
///
/// # Errors
/// The database's error.
pub async fn stripe_plan(tx: &mut SystemTx, plan: &str, cents: i64, currency: &str) -> Result<Option<String>, Error> {
    const SQL: &str = "SELECT stripe_id FROM stripe_plans WHERE plan = $1 AND price_cents = $2 AND currency = $3";
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(plan).bind(cents).bind(currency).fetch_optional(c).await)?)
}

/// Our plan for a Stripe plan, if it is one of ours.
///
/// # Errors
/// The database's error.
pub async fn plan_of_stripe(tx: &mut SystemTx, stripe_id: &str) -> Result<Option<String>, Error> {
    const SQL: &str = "SELECT plan FROM stripe_plans WHERE stripe_id = $1";
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(stripe_id).fetch_optional(c).await)?)
}

/// Remembers the Stripe plan standing for ours at a price.
///
/// # Errors
/// The database's error.
pub async fn insert_stripe_plan(
    tx: &mut SystemTx,
    plan: &str,
    cents: i64,
    currency: &str,
    stripe_id: &str,
) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO stripe_plans (plan, price_cents, currency, stripe_id) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (plan, price_cents, currency) DO NOTHING";
    exec!(tx, sqlx::query(SQL).bind(plan).bind(cents).bind(currency).bind(stripe_id))?;
    Ok(())
}

/// Records a webhook event as processed; `false` when it was already.
///
/// # Errors
/// The database's error.
pub async fn insert_stripe_event(tx: &mut TenantTx, id: &str, kind: &str, now: DateTime<Utc>) -> Result<bool, Error> {
    const SQL: &str = "INSERT INTO stripe_events (id, tenant_id, type, received_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (id) DO NOTHING";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(id).bind(tenant).bind(kind).bind(now))? == 1)
}

/// An overage item as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UsageItemRow {
    /// The meter.
    pub meter: String,
    /// The first day of the billing period it charges for.
    pub period_start: NaiveDate,
    /// The day of the run that made it.
    pub day: NaiveDate,
    /// The amount, in cents.
    pub amount_cents: i64,
    /// `pending` (maybe sent, not confirmed) or `posted`.
    pub status: String,
    /// Stripe's invoice item.
    pub stripe_id: Option<String>,
}

const ITEM_COLS: &str = "meter, period_start, day, amount_cents, status, stripe_id";

/// The items of a meter and period, oldest first.
///
/// # Errors
/// The database's error.
pub async fn usage_items_of(
    tx: &mut TenantTx,
    meter: &str,
    period_start: NaiveDate,
) -> Result<Vec<UsageItemRow>, Error> {
    let sql = format!(
        "SELECT {ITEM_COLS} FROM stripe_usage_items WHERE tenant_id = $1 AND meter = $2 AND period_start = $3 ORDER BY day"
    );
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(meter).bind(period_start).fetch_all(c).await)?)
}

/// Every item left `pending` by an interrupted run, any meter and day.
///
/// # Errors
/// The database's error.
pub async fn pending_usage_items(tx: &mut TenantTx) -> Result<Vec<UsageItemRow>, Error> {
    let sql =
        format!("SELECT {ITEM_COLS} FROM stripe_usage_items WHERE tenant_id = $1 AND status = 'pending' ORDER BY day");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_all(c).await)?)
}

/// Starts (or with a Stripe id, completes) an item.
///
/// # Errors
/// The database's error.
pub async fn put_usage_item(tx: &mut TenantTx, item: &UsageItemRow, now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO stripe_usage_items \
                         (tenant_id, meter, period_start, day, amount_cents, status, stripe_id, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, meter, period_start, day) DO UPDATE SET \
                       status = excluded.status, stripe_id = excluded.stripe_id, updated_at = excluded.updated_at";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(&item.meter)
            .bind(item.period_start)
            .bind(item.day)
            .bind(item.amount_cents)
            .bind(&item.status)
            .bind(&item.stripe_id)
            .bind(now)
    )?;
    Ok(())
}

/// The tenant of a Stripe customer.
///
/// # Errors
/// The database's error.
pub async fn tenant_of_customer(sys: &mut SystemTx, customer: &str) -> Result<Option<TenantId>, Error> {
    const SQL: &str = "SELECT tenant_id FROM billing_accounts WHERE stripe_customer_id = $1";
    Ok(on_db!(sys, |c| sqlx::query_scalar(SQL).bind(customer).fetch_optional(c).await)?)
}

/// The tenants with a Stripe customer.
///
/// # Errors
/// The database's error.
pub async fn stripe_tenants(sys: &mut SystemTx) -> Result<Vec<TenantId>, Error> {
    const SQL: &str = "SELECT tenant_id FROM billing_accounts WHERE stripe_customer_id IS NOT NULL";
    Ok(on_db!(sys, |c| sqlx::query_scalar(SQL).fetch_all(c).await)?)
}

/// How many daily overage items are posted, and how many pending.
///
/// # Errors
/// The database's error.
pub async fn usage_item_counts(tx: &mut TenantTx) -> Result<(i64, i64), Error> {
    const SQL: &str = "SELECT COALESCE(SUM(CASE WHEN status = 'posted' THEN 1 ELSE 0 END), 0), \
                              COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) \
                       FROM stripe_usage_items WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as::<_, (i64, i64)>(SQL).bind(tenant).fetch_one(c).await)?)
}

// ---- the operator console (system role, across tenants) ----------------------------

/// A workspace's plan and standing.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StandingRow {
    /// The workspace.
    pub id: TenantId,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
    /// Its plan.
    pub plan: String,
    /// Its standing.
    pub plan_status: String,
    /// Since when a payment is overdue.
    pub past_due_since: Option<DateTime<Utc>>,
}

/// Every workspace's plan and standing.
///
/// # Errors
/// The database's error.
pub async fn tenant_standings(sys: &mut SystemTx) -> Result<Vec<StandingRow>, Error> {
    const SQL: &str = "SELECT t.id, t.name, t.slug, t.plan, t.plan_status, b.past_due_since \
                       FROM tenants t LEFT JOIN billing_accounts b ON b.tenant_id = t.id ORDER BY t.created_at";
    Ok(on_db!(sys, |c| sqlx::query_as(SQL).fetch_all(c).await)?)
}

/// Where trials went since `since`: `(plan, how many)`.
///
/// # Errors
/// The database's error.
pub async fn trial_outcomes(sys: &mut SystemTx, since: DateTime<Utc>) -> Result<Vec<(String, i64)>, Error> {
    const SQL: &str =
        "SELECT to_plan, COUNT(*) FROM plan_changes WHERE from_plan = 'trial' AND at >= $1 GROUP BY to_plan";
    Ok(on_db!(sys, |c| sqlx::query_as(SQL).bind(since).fetch_all(c).await)?)
}

/// The total and number of invoices of the period starting at `start`.
///
/// # Errors
/// The database's error.
pub async fn invoiced_in(sys: &mut SystemTx, start: DateTime<Utc>) -> Result<(i64, i64), Error> {
    const SQL: &str = "SELECT CAST(COALESCE(SUM(total_cents), 0) AS BIGINT), COUNT(*) FROM invoices WHERE period_start = $1 AND status <> 'void'";
    Ok(on_db!(sys, |c| sqlx::query_as(SQL).bind(start).fetch_one(c).await)?)
}

/// Every workspace's use of a meter between two days, heaviest first: the
/// sum of a counted meter, the peak of a level.
///
/// # Errors
/// The database's error.
pub async fn usage_of_all(
    sys: &mut SystemTx,
    meter: &str,
    level: bool,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> Result<Vec<(TenantId, i64)>, Error> {
    let agg = if level { "MAX(peak)" } else { "SUM(total)" };
    let sql = format!(
        "SELECT tenant_id, CAST({agg} AS BIGINT) AS used FROM usage_daily WHERE meter = $1 AND day >= $2 AND day < $3 \
         GROUP BY tenant_id ORDER BY used DESC, tenant_id LIMIT $4"
    );
    Ok(on_db!(sys, |c| sqlx::query_as(&sql).bind(meter).bind(from).bind(to).bind(limit).fetch_all(c).await)?)
}

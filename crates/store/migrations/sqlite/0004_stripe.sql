-- Stripe (issue 11): which Stripe objects stand for ours, the webhooks
-- processed (each event once), and the daily usage synchronisation (each
-- tenant, meter and day once).

ALTER TABLE billing_accounts ADD COLUMN stripe_item_id TEXT;
-- The plan the Stripe subscription is on, as our key.
ALTER TABLE billing_accounts ADD COLUMN stripe_plan TEXT;
-- The day (UTC) of the last usage synchronisation.
ALTER TABLE billing_accounts ADD COLUMN stripe_synced_on TEXT;

-- Our plans at a price, as Stripe plans (created once, then reused).
CREATE TABLE stripe_plans (
    plan        TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    stripe_id   TEXT NOT NULL,
    PRIMARY KEY (plan, price_cents, currency)
);

-- Webhook events processed, written with their effect.
CREATE TABLE stripe_events (
    id           TEXT PRIMARY KEY,
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    received_at  TEXT NOT NULL
);

-- Overage posted to Stripe as invoice items: per tenant, meter and billing
-- period, at most one item a day (the day of the run), each carrying what
-- the period's overage grew by since the items before it.
CREATE TABLE stripe_usage_items (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meter         TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    day           TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'posted')),
    stripe_id     TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, meter, period_start, day)
);

-- Usage billing (issue 11): the plan on the tenant row (so every request's
-- context carries it from the credential cache), the billing account, the
-- usage ledger with its daily rollup, soft-limit alerts, plan changes for
-- proration, and issued invoices.

-- New workspaces start on the trial; billing moves them on.
ALTER TABLE tenants ADD COLUMN plan TEXT NOT NULL DEFAULT 'trial';
ALTER TABLE tenants ADD COLUMN plan_status TEXT NOT NULL DEFAULT 'trialing'
    CHECK (plan_status IN ('active', 'trialing', 'past_due', 'restricted'));

CREATE TABLE billing_accounts (
    tenant_id        BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    trial_ends_at    TEXT NOT NULL,
    -- A downgrade waits for the end of the period.
    scheduled_plan   TEXT,
    scheduled_at     TEXT,
    past_due_since   TEXT,
    stripe_customer_id      TEXT,
    stripe_subscription_id  TEXT,
    updated_at       TEXT NOT NULL
);

-- Every plan change, for proration and the account's history.
CREATE TABLE plan_changes (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         BLOB NOT NULL,
    at         TEXT NOT NULL,
    from_plan  TEXT NOT NULL,
    to_plan    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX plan_changes_at ON plan_changes (tenant_id, at);

-- The ledger: one row per usage event, never updated. The idempotency key
-- makes a retried or replayed event count once.
CREATE TABLE usage_events (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               BLOB NOT NULL,
    meter            TEXT NOT NULL,
    quantity         INTEGER NOT NULL,
    occurred_at      TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX usage_events_meter ON usage_events (tenant_id, meter, occurred_at);
CREATE INDEX usage_events_recorded ON usage_events (tenant_id, recorded_at);

-- Daily totals kept with each event (sum for counted meters, the highest
-- and the last level for level meters), so period totals read a month of
-- rows rather than every event.
CREATE TABLE usage_daily (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meter      TEXT NOT NULL,
    day        TEXT NOT NULL,
    total      INTEGER NOT NULL,
    peak       INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    last_at    TEXT NOT NULL,
    events     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, meter, day)
);

-- A soft-limit alert is sent once per meter, period and threshold.
CREATE TABLE usage_alerts (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meter      TEXT NOT NULL,
    period     TEXT NOT NULL,
    threshold  INTEGER NOT NULL,
    at         TEXT NOT NULL,
    usage      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, meter, period, threshold)
);

-- Issued invoices never change: their lines are kept as issued.
CREATE TABLE invoices (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB NOT NULL,
    number         TEXT NOT NULL UNIQUE,
    period_start   TEXT NOT NULL,
    period_end     TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    currency       TEXT NOT NULL,
    total_cents    INTEGER NOT NULL,
    lines          TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    paid_at        TEXT,
    stripe_invoice_id TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, period_start)
);

-- Invoice numbers: one sequence per year for the installation.
CREATE TABLE invoice_numbers (
    year  INTEGER PRIMARY KEY,
    next  INTEGER NOT NULL
);

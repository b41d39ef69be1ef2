-- Usage billing (issue 11): the plan on the tenant row (so every request's
-- context carries it from the credential cache), the billing account, the
-- usage ledger with its daily rollup, soft-limit alerts, plan changes for
-- proration, and issued invoices.

-- New workspaces start on the trial; billing moves them on.
ALTER TABLE tenants ADD COLUMN plan text NOT NULL DEFAULT 'trial';
ALTER TABLE tenants ADD COLUMN plan_status text NOT NULL DEFAULT 'trialing'
    CHECK (plan_status IN ('active', 'trialing', 'past_due', 'restricted'));

CREATE TABLE billing_accounts (
    tenant_id        uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    trial_ends_at    timestamptz NOT NULL,
    -- A downgrade waits for the end of the period.
    scheduled_plan   text,
    scheduled_at     timestamptz,
    past_due_since   timestamptz,
    stripe_customer_id      text,
    stripe_subscription_id  text,
    updated_at       timestamptz NOT NULL
);

-- Every plan change, for proration and the account's history.
CREATE TABLE plan_changes (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL,
    at         timestamptz NOT NULL,
    from_plan  text NOT NULL,
    to_plan    text NOT NULL,
    reason     text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX plan_changes_at ON plan_changes (tenant_id, at);

-- The ledger: one row per usage event, never updated. The idempotency key
-- makes a retried or replayed event count once.
CREATE TABLE usage_events (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    meter            text NOT NULL,
    quantity         bigint NOT NULL,
    occurred_at      timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL,
    idempotency_key  text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX usage_events_meter ON usage_events (tenant_id, meter, occurred_at);
CREATE INDEX usage_events_recorded ON usage_events (tenant_id, recorded_at);

-- Daily totals kept with each event (sum for counted meters, the highest
-- and the last level for level meters), so period totals read a month of
-- rows rather than every event.
CREATE TABLE usage_daily (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meter      text NOT NULL,
    day        date NOT NULL,
    total      bigint NOT NULL,
    peak       bigint NOT NULL,
    last       bigint NOT NULL,
    last_at    timestamptz NOT NULL,
    events     bigint NOT NULL,
    PRIMARY KEY (tenant_id, meter, day)
);

-- A soft-limit alert is sent once per meter, period and threshold.
CREATE TABLE usage_alerts (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meter      text NOT NULL,
    period     text NOT NULL,
    threshold  integer NOT NULL,
    at         timestamptz NOT NULL,
    usage      bigint NOT NULL,
    PRIMARY KEY (tenant_id, meter, period, threshold)
);

-- Issued invoices never change: their lines are kept as issued.
CREATE TABLE invoices (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL,
    number         text NOT NULL UNIQUE,
    period_start   timestamptz NOT NULL,
    period_end     timestamptz NOT NULL,
    status         text NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    currency       text NOT NULL,
    total_cents    bigint NOT NULL,
    lines          text NOT NULL,
    issued_at      timestamptz NOT NULL,
    paid_at        timestamptz,
    stripe_invoice_id text,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, period_start)
);

-- Invoice numbers: one sequence per year for the installation.
CREATE TABLE invoice_numbers (
    year  integer PRIMARY KEY,
    next  bigint NOT NULL
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['billing_accounts', 'plan_changes', 'usage_events', 'usage_daily', 'usage_alerts', 'invoices']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('CREATE POLICY system_access ON %I USING (current_user = ''stackpro_system'') WITH CHECK (current_user = ''stackpro_system'')', t);
    END LOOP;
END
$$;
-- The ledger is append-only for tenant transactions.
GRANT SELECT, INSERT ON usage_events, plan_changes, usage_alerts TO stackpro_app;
GRANT SELECT, INSERT, UPDATE ON billing_accounts, usage_daily, invoices TO stackpro_app;
GRANT UPDATE (plan, plan_status) ON tenants TO stackpro_app;
-- Invoice numbers are taken in the transaction that issues the invoice, so
-- the sequence has no gaps.
GRANT SELECT, INSERT, UPDATE ON invoice_numbers TO stackpro_app;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON billing_accounts, plan_changes, usage_events, usage_daily, usage_alerts, invoices, invoice_numbers
    TO stackpro_system;

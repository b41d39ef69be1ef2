-- Stripe (issue 11): which Stripe objects stand for ours, the webhooks
-- processed (each event once), and the daily usage synchronisation (each
-- tenant, meter and day once).

ALTER TABLE billing_accounts ADD COLUMN stripe_item_id text;
-- The plan the Stripe subscription is on, as our key.
ALTER TABLE billing_accounts ADD COLUMN stripe_plan text;
-- The day (UTC) of the last usage synchronisation.
ALTER TABLE billing_accounts ADD COLUMN stripe_synced_on date;

-- Our plans at a price, as Stripe plans (created once, then reused).
CREATE TABLE stripe_plans (
    plan        text NOT NULL,
    price_cents bigint NOT NULL,
    currency    text NOT NULL,
    stripe_id   text NOT NULL,
    PRIMARY KEY (plan, price_cents, currency)
);

-- Webhook events processed, written with their effect.
CREATE TABLE stripe_events (
    id           text PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    type         text NOT NULL,
    received_at  timestamptz NOT NULL
);

-- Overage posted to Stripe as invoice items: per tenant, meter and billing
-- period, at most one item a day (the day of the run), each carrying what
-- the period's overage grew by since the items before it.
CREATE TABLE stripe_usage_items (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meter         text NOT NULL,
    period_start  date NOT NULL,
    day           date NOT NULL,
    amount_cents  bigint NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'posted')),
    stripe_id     text,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, meter, period_start, day)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stripe_events', 'stripe_usage_items']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('CREATE POLICY system_access ON %I USING (current_user = ''stackpro_system'') WITH CHECK (current_user = ''stackpro_system'')', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT ON stripe_events TO stackpro_app;
GRANT SELECT, INSERT, UPDATE ON stripe_usage_items TO stackpro_app;
GRANT SELECT, INSERT ON stripe_plans TO stackpro_app, stackpro_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON stripe_events, stripe_usage_items TO stackpro_system;

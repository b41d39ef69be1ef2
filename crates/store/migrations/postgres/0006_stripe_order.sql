-- Stripe (issue 11, after review): which invoice made an account past due
-- and the newest invoice event applied, so a late or repeated event cannot
-- undo a later one; one workspace per Stripe customer; Stripe plans are
-- installation-wide, written by the system role only.

ALTER TABLE billing_accounts ADD COLUMN stripe_failed_invoice text;
ALTER TABLE billing_accounts ADD COLUMN stripe_invoice_event_at bigint;
CREATE UNIQUE INDEX billing_accounts_stripe_customer ON billing_accounts (stripe_customer_id)
    WHERE stripe_customer_id IS NOT NULL;

REVOKE INSERT ON stripe_plans FROM stackpro_app;
REVOKE SELECT ON stripe_plans FROM stackpro_app;

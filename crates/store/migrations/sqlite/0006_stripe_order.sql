-- Stripe (issue 11, after review): which invoice made an account past due
-- and the newest invoice event applied, so a late or repeated event cannot
-- undo a later one; one workspace per Stripe customer.

ALTER TABLE billing_accounts ADD COLUMN stripe_failed_invoice TEXT;
ALTER TABLE billing_accounts ADD COLUMN stripe_invoice_event_at INTEGER;
CREATE UNIQUE INDEX billing_accounts_stripe_customer ON billing_accounts (stripe_customer_id)
    WHERE stripe_customer_id IS NOT NULL;

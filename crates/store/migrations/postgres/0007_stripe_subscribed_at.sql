-- Stripe (issue 11): since when the workspace holds its subscription, so the
-- usage sync charges through Stripe only the periods it was subscribed in.

ALTER TABLE billing_accounts ADD COLUMN stripe_subscribed_at timestamptz;
UPDATE billing_accounts SET stripe_subscribed_at = now() WHERE stripe_subscription_id IS NOT NULL;

-- Core hardening (issue 10): rights that follow people, revocation that does
-- not depend on the bus, slugs that never look like ids, security events.

-- Who sent an invitation: it cannot grant more than its sender holds when it
-- is accepted, and it is withdrawn when its sender leaves.
ALTER TABLE users ADD COLUMN invited_by uuid;


-- Every change that takes rights away, written in the transaction that makes
-- it. Replicas read new rows every second, so a replica that missed the bus
-- message (Redis down, restarted) still forgets what it cached. No foreign
-- key: a deleted tenant's row must outlive it.
CREATE TABLE auth_invalidations (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    what       text NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX auth_invalidations_at ON auth_invalidations (at);
CREATE INDEX refresh_tokens_revoked ON refresh_tokens (revoked_at);

-- Refused requests (bad credentials, forbidden actions, rate limits, bad
-- signatures), per tenant when one is known and per client IP always, for
-- operators and the threat detection to come. No foreign key: an event may
-- name a tenant deleted meanwhile; deleting a tenant sets its events' tenant
-- to NULL, keeping them as per-IP events.
CREATE TABLE security_events (
    id         uuid PRIMARY KEY,
    at         timestamptz NOT NULL,
    tenant_id  uuid,
    ip         text NOT NULL,
    kind       text NOT NULL,
    method     text NOT NULL,
    route      text NOT NULL,
    principal  uuid,
    detail     text NOT NULL,
    -- The same refusal repeated within a minute is one row with a count.
    count      bigint NOT NULL DEFAULT 1,
    last_at    timestamptz NOT NULL
);
CREATE INDEX security_events_at ON security_events (at);
CREATE INDEX security_events_tenant ON security_events (tenant_id, at);
CREATE INDEX security_events_ip ON security_events (ip, at);

-- Tenant transactions may record invalidations of their own tenant and read
-- their own security events; only the system role reads across tenants.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['auth_invalidations', 'security_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('CREATE POLICY system_access ON %I USING (current_user = ''stackpro_system'') WITH CHECK (current_user = ''stackpro_system'')', t);
    END LOOP;
END
$$;
GRANT INSERT ON auth_invalidations TO stackpro_app;
GRANT SELECT ON security_events TO stackpro_app;
GRANT SELECT, INSERT, DELETE ON auth_invalidations TO stackpro_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON security_events TO stackpro_system;

-- The owner sees no tenant rows (FORCEd policies): data changes run as the
-- system role.
SET LOCAL ROLE stackpro_system;

-- An API key acts for the person who created it. Keys created by another key
-- before this migration recorded no creator: no person stands behind them, so
-- they stop working (their admins make new ones).
UPDATE api_keys SET revoked_at = now() WHERE created_by IS NULL AND revoked_at IS NULL;
-- Invitations recorded no sender either: they are withdrawn likewise, with
-- the invitation mails still queued (their subject is not encrypted).
DELETE FROM users WHERE status = 'invited';
DELETE FROM jobs WHERE kind = 'email.send' AND status IN ('queued', 'running')
    AND payload LIKE '%"subject":"You are invited to %';

-- A workspace slug shaped like a UUID could be taken for another workspace's
-- id by the operator's commands: such slugs get a prefix and the end of the
-- workspace's own id.
UPDATE tenants SET slug = 'ws-' || substr(replace(id::text, '-', ''), 21, 12)
    WHERE slug ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' OR slug ~ '^[0-9a-f]{32}$';
RESET ROLE;

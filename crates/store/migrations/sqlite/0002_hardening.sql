-- Core hardening (issue 10): rights that follow people, revocation that does
-- not depend on the bus, slugs that never look like ids, security events.

-- Who sent an invitation: it cannot grant more than its sender holds when it
-- is accepted, and it is withdrawn when its sender leaves.
ALTER TABLE users ADD COLUMN invited_by BLOB;

-- An API key acts for the person who created it. Keys created by another key
-- before this migration recorded no creator: no person stands behind them, so
-- they stop working (their admins make new ones).
UPDATE api_keys SET revoked_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
    WHERE created_by IS NULL AND revoked_at IS NULL;
-- Invitations recorded no sender either: they are withdrawn likewise, with
-- the invitation mails still queued (their subject is not encrypted).
DELETE FROM users WHERE status = 'invited';
DELETE FROM jobs WHERE kind = 'email.send' AND status IN ('queued', 'running')
    AND payload LIKE '%"subject":"You are invited to %';

-- Every change that takes rights away, written in the transaction that makes
-- it. Replicas read new rows every second, so a replica that missed the bus
-- message (Redis down, restarted) still forgets what it cached. No foreign
-- key: a deleted tenant's row must outlive it.
CREATE TABLE auth_invalidations (
    id         BLOB PRIMARY KEY,
    tenant_id  BLOB NOT NULL,
    what       TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX auth_invalidations_at ON auth_invalidations (at);
CREATE INDEX refresh_tokens_revoked ON refresh_tokens (revoked_at);

-- Refused requests (bad credentials, forbidden actions, rate limits, bad
-- signatures), per tenant when one is known and per client IP always, for
-- operators and the threat detection to come. No foreign key: an event may
-- name a tenant deleted meanwhile; deleting a tenant sets its events' tenant
-- to NULL, keeping them as per-IP events.
CREATE TABLE security_events (
    id         BLOB PRIMARY KEY,
    at         TEXT NOT NULL,
    tenant_id  BLOB,
    ip         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    method     TEXT NOT NULL,
    route      TEXT NOT NULL,
    principal  BLOB,
    detail     TEXT NOT NULL,
    -- The same refusal repeated within a minute is one row with a count.
    count      INTEGER NOT NULL DEFAULT 1,
    last_at    TEXT NOT NULL
);
CREATE INDEX security_events_at ON security_events (at);
CREATE INDEX security_events_tenant ON security_events (tenant_id, at);
CREATE INDEX security_events_ip ON security_events (ip, at);

-- A workspace slug shaped like a UUID could be taken for another workspace's
-- id by the operator's commands: such slugs get a prefix and the end of the
-- workspace's own id.
UPDATE tenants SET slug = 'ws-' || substr(lower(hex(id)), 21, 12)
    WHERE slug GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
       OR (length(slug) = 32 AND slug NOT GLOB '*[^0-9a-f]*');

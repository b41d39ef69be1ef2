-- Tenants, identity, keys, audit and jobs: the same tables as the SQLite
-- migration, in native types, with row-level security as a second wall.

-- Two roles the server switches to per transaction (SET LOCAL ROLE); the
-- connecting role owns the tables and needs neither superuser nor BYPASSRLS,
-- only CREATEROLE for this block (or a DBA creates the roles beforehand).
--   stackpro_app     tenant transactions: sees one tenant's rows, chosen by
--                    app.tenant_id, through the tenant_isolation policies;
--   stackpro_system  the few cross-tenant lookups (sign-in by email, token
--                    hashes, job claims, key rotation), through policies
--                    granted to it alone.
-- Neither owns anything or bypasses anything. The owner itself is bound by
-- FORCE ROW LEVEL SECURITY and sees no tenant rows at all.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stackpro_app') THEN
        CREATE ROLE stackpro_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stackpro_system') THEN
        CREATE ROLE stackpro_system NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
GRANT stackpro_app TO CURRENT_USER;
GRANT stackpro_system TO CURRENT_USER;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
);

CREATE TABLE tenant_keys (
    tenant_id    uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    wrapped_key  bytea NOT NULL,
    kek_id       text NOT NULL,
    created_at   timestamptz NOT NULL,
    rewrapped_at timestamptz
);

CREATE TABLE users (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL,
    email          text NOT NULL,
    name           text,
    password_hash  text,
    role           text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'client')),
    status         text NOT NULL CHECK (status IN ('active', 'invited')),
    created_at     timestamptz NOT NULL,
    last_login_at  timestamptz,
    -- Access tokens issued before this instant are refused (password changed).
    tokens_valid_after timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);
CREATE INDEX users_email ON users (email);

CREATE TABLE refresh_tokens (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

CREATE TABLE user_tokens (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    purpose     text NOT NULL CHECK (purpose IN ('invite', 'reset')),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE api_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    name          text NOT NULL,
    prefix        text NOT NULL,
    secret_hash   bytea NOT NULL UNIQUE,
    scopes        text NOT NULL,
    created_by    uuid,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE audit_log (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq          bigint NOT NULL,
    id           uuid NOT NULL,
    at           timestamptz NOT NULL,
    actor_id     uuid,
    actor_label  text,
    action       text NOT NULL,
    target       text,
    ip           text,
    -- text, not jsonb: the hash covers the exact bytes written.
    details      text NOT NULL,
    prev_hash    text NOT NULL,
    hash         text NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

-- The newest entry of each tenant's chain: removing entries from the end of
-- the log is detected against it, and appends serialise on its row. `tag`
-- is a keyed MAC of (tenant, seq, hash), so the head cannot be rewritten to
-- match a shortened log by someone without the server's chain key.
CREATE TABLE audit_heads (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    hash       text NOT NULL,
    tag        text NOT NULL
);

-- Server-wide secrets (the access-token signing key), wrapped by the KEK
-- like tenant data keys, so rotating the KEK does not sign everyone out.
-- Not a tenant table: the app role has no access to it.
CREATE TABLE server_secrets (
    name        text PRIMARY KEY,
    wrapped     bytea NOT NULL,
    kek_id      text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE jobs (
    id            uuid PRIMARY KEY,
    tenant_id     uuid REFERENCES tenants (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    payload       text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL,
    run_at        timestamptz NOT NULL,
    every_secs    bigint,
    unique_key    text UNIQUE,
    locked_by     text,
    locked_until  timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);

-- Second wall. FORCE makes the policies bind the table owner too, so for
-- anyone but stackpro_system a transaction without app.tenant_id sees no
-- tenant rows at all. The system policy tests current_user rather than being
-- granted TO the role: a policy granted to a role also applies to its
-- members, and the owner is a member (to be able to SET ROLE).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_keys', 'users', 'refresh_tokens', 'user_tokens', 'api_keys', 'audit_log', 'audit_heads', 'jobs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('CREATE POLICY system_access ON %I USING (current_user = ''stackpro_system'') WITH CHECK (current_user = ''stackpro_system'')', t);
    END LOOP;
END
$$;
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY system_access ON tenants
    USING (current_user = 'stackpro_system') WITH CHECK (current_user = 'stackpro_system');

-- Least privilege: the audit log is append-only for tenant transactions,
-- and tenants and their keys are deleted only by the system role.
GRANT USAGE ON SCHEMA public TO stackpro_app, stackpro_system;
GRANT SELECT, INSERT ON tenants, tenant_keys, audit_log, jobs TO stackpro_app;
GRANT SELECT, INSERT, UPDATE ON refresh_tokens, user_tokens, api_keys, audit_heads TO stackpro_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO stackpro_app;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON tenants, tenant_keys, users, refresh_tokens, user_tokens, api_keys, audit_log, audit_heads, jobs, server_secrets
    TO stackpro_system;

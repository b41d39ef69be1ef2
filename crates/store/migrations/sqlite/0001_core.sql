-- Tenants, identity, keys, audit and jobs. Ids are UUIDv7 (16-byte BLOBs),
-- times are RFC 3339 TEXT in UTC. Every tenant table is keyed (tenant_id, id)
-- and its foreign keys include tenant_id, so no row can point into another
-- tenant; deleting a tenant cascades to all of its rows.

CREATE TABLE tenants (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- The tenant's data key, wrapped (AES-256-GCM) by the key-encryption key.
CREATE TABLE tenant_keys (
    tenant_id    BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    wrapped_key  BLOB NOT NULL,
    kek_id       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    rewrapped_at TEXT
);

CREATE TABLE users (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB NOT NULL,
    email          TEXT NOT NULL,
    name           TEXT,
    password_hash  TEXT,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'client')),
    status         TEXT NOT NULL CHECK (status IN ('active', 'invited')),
    created_at     TEXT NOT NULL,
    last_login_at  TEXT,
    -- Access tokens issued before this instant are refused (password changed).
    tokens_valid_after TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email)
);
CREATE INDEX users_email ON users (email);

CREATE TABLE refresh_tokens (
    tenant_id   BLOB NOT NULL,
    id          BLOB NOT NULL,
    family_id   BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    rotated_at  TEXT,
    revoked_at  TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

-- One-time tokens sent by email: invitations and password resets.
CREATE TABLE user_tokens (
    tenant_id   BLOB NOT NULL,
    id          BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    purpose     TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE api_keys (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   BLOB NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,
    created_by    BLOB,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT,
    PRIMARY KEY (tenant_id, id)
);

-- Hash-chained: hash = SHA-256(prev_hash || canonical entry). seq has no gaps.
CREATE TABLE audit_log (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    id           BLOB NOT NULL,
    at           TEXT NOT NULL,
    actor_id     BLOB,
    actor_label  TEXT,
    action       TEXT NOT NULL,
    target       TEXT,
    ip           TEXT,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

-- The newest entry of each tenant's chain: removing entries from the end of
-- the log is detected against it, and appends serialise on its row. `tag`
-- is a keyed MAC of (tenant, seq, hash), so the head cannot be rewritten to
-- match a shortened log by someone without the server's chain key.
CREATE TABLE audit_heads (
    tenant_id  BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    tag        TEXT NOT NULL
);

-- Server-wide secrets (the access-token signing key), wrapped by the KEK
-- like tenant data keys, so rotating the KEK does not sign everyone out.
-- Not a tenant table: the app role has no access to it.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    wrapped     BLOB NOT NULL,
    kek_id      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE jobs (
    id            BLOB PRIMARY KEY,
    tenant_id     BLOB REFERENCES tenants (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    run_at        TEXT NOT NULL,
    every_secs    INTEGER,
    unique_key    TEXT UNIQUE,
    locked_by     TEXT,
    locked_until  TEXT,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);

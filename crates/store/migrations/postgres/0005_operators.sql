-- Platform operators (issue 11): the people who run the installation, made
-- from the CLI, and their console sessions. Not tenant tables: the app role
-- has no access to them; only the system role reads and writes them.

CREATE TABLE operators (
    id             uuid PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL,
    disabled_at    timestamptz
);

-- A session is a random token; only its SHA-256 is kept.
CREATE TABLE operator_sessions (
    token_hash   bytea PRIMARY KEY,
    operator_id  uuid NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX operator_sessions_expiry ON operator_sessions (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON operators, operator_sessions TO stackpro_system;

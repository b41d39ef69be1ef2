-- Platform operators (issue 11): the people who run the installation, made
-- from the CLI, and their console sessions.

CREATE TABLE operators (
    id             BLOB PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    disabled_at    TEXT
);

-- A session is a random token; only its SHA-256 is kept.
CREATE TABLE operator_sessions (
    token_hash   BLOB PRIMARY KEY,
    operator_id  BLOB NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX operator_sessions_expiry ON operator_sessions (expires_at);

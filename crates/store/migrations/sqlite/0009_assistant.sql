-- Assistant (issue 13): the knowledge base (documents, the client members
-- each is shared with, and their passages with sealed text and vectors),
-- the assistant's settings, and conversations with sealed messages.

CREATE TABLE kb_documents (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    title         TEXT NOT NULL,
    filename      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    visibility    TEXT NOT NULL,
    -- queued, parsing, embedding, ready, failed
    status        TEXT NOT NULL,
    progress      INTEGER NOT NULL DEFAULT 0,
    stage         TEXT NOT NULL DEFAULT '',
    error_code    TEXT,
    error_detail  TEXT,
    pages         INTEGER,
    chunks        INTEGER NOT NULL DEFAULT 0,
    -- Bumped by every upload: an ingestion writes only the version it read.
    version       INTEGER NOT NULL DEFAULT 1,
    -- The version whose passages are stored (0: none yet).
    indexed       INTEGER NOT NULL DEFAULT 0,
    blob_key      TEXT NOT NULL,
    created_by    BLOB,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE kb_document_shares (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    document_id   BLOB NOT NULL,
    user_id       BLOB NOT NULL,
    PRIMARY KEY (tenant_id, document_id, user_id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES kb_documents (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE kb_chunks (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    document_id   BLOB NOT NULL,
    ord           INTEGER NOT NULL,
    page          INTEGER,
    -- The passage, its heading and its vector, sealed with the tenant's key.
    sealed        BLOB NOT NULL,
    vector        BLOB,
    model         TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES kb_documents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_chunks_document ON kb_chunks (tenant_id, document_id, ord);

-- One row per tenant: bumped by every change of its knowledge base, so each
-- replica knows when its index is stale.
CREATE TABLE kb_state (
    tenant_id     BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    generation    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE assistant_settings (
    tenant_id     BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    settings      TEXT NOT NULL,
    -- The language-model provider's credentials, sealed.
    llm_secret    BLOB,
    updated_at    TEXT NOT NULL
);

CREATE TABLE conversations (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    user_id       BLOB,
    visitor       TEXT,
    title         BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX conversations_user ON conversations (tenant_id, user_id, updated_at);

CREATE TABLE conversation_messages (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    role            TEXT NOT NULL,
    sealed          BLOB NOT NULL,
    mode            TEXT,
    tokens          INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_messages_order ON conversation_messages (tenant_id, conversation_id, created_at);

-- Assistant (issue 13): the knowledge base (documents, the client members
-- each is shared with, and their passages with sealed text and vectors),
-- the assistant's settings, and conversations with sealed messages.

CREATE TABLE kb_documents (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    title         text NOT NULL,
    filename      text NOT NULL,
    kind          text NOT NULL,
    bytes         bigint NOT NULL,
    sha256        text NOT NULL,
    visibility    text NOT NULL,
    -- queued, parsing, embedding, ready, failed
    status        text NOT NULL,
    progress      bigint NOT NULL DEFAULT 0,
    stage         text NOT NULL DEFAULT '',
    error_code    text,
    error_detail  text,
    pages         bigint,
    chunks        bigint NOT NULL DEFAULT 0,
    -- Bumped by every upload: an ingestion writes only the version it read.
    version       bigint NOT NULL DEFAULT 1,
    -- The version whose passages are stored (0: none yet).
    indexed       bigint NOT NULL DEFAULT 0,
    blob_key      text NOT NULL,
    created_by    uuid,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE kb_document_shares (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    document_id   uuid NOT NULL,
    user_id       uuid NOT NULL,
    PRIMARY KEY (tenant_id, document_id, user_id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES kb_documents (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE kb_chunks (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    document_id   uuid NOT NULL,
    ord           bigint NOT NULL,
    page          bigint,
    -- The passage, its heading and its vector, sealed with the tenant's key.
    sealed        bytea NOT NULL,
    vector        bytea,
    model         text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES kb_documents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_chunks_document ON kb_chunks (tenant_id, document_id, ord);

-- One row per tenant: bumped by every change of its knowledge base, so each
-- replica knows when its index is stale.
CREATE TABLE kb_state (
    tenant_id     uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    generation    bigint NOT NULL DEFAULT 0
);

CREATE TABLE assistant_settings (
    tenant_id     uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    settings      text NOT NULL,
    -- The language-model provider's credentials, sealed.
    llm_secret    bytea,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE conversations (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    user_id       uuid,
    visitor       text,
    title         bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX conversations_user ON conversations (tenant_id, user_id, updated_at);

CREATE TABLE conversation_messages (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    conversation_id uuid NOT NULL,
    role            text NOT NULL,
    sealed          bytea NOT NULL,
    mode            text,
    tokens          bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_messages_order ON conversation_messages (tenant_id, conversation_id, created_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['kb_documents', 'kb_document_shares', 'kb_chunks', 'kb_state', 'assistant_settings',
                             'conversations', 'conversation_messages']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('CREATE POLICY system_access ON %I USING (current_user = ''stackpro_system'') WITH CHECK (current_user = ''stackpro_system'')', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON kb_documents, kb_document_shares, kb_chunks, kb_state, assistant_settings,
    conversations, conversation_messages TO stackpro_app;
-- Across tenants: the widget finds a site's tenant through the Host lookup
-- (sites) and then works as that tenant; operators' tools and tenant
-- deletion may read and remove anything.
GRANT SELECT, DELETE ON kb_documents, kb_document_shares, kb_chunks, kb_state, assistant_settings,
    conversations, conversation_messages TO stackpro_system;

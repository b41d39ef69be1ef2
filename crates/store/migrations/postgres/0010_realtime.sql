-- Realtime (issue 14): channels, who is in them and how far each has read,
-- and messages with sealed bodies and reactions.
--
-- Every change in a channel (a new message, an edit, a deletion, a
-- reaction) takes the channel's next sequence number: `seq` is the number
-- a message was posted with, `changed_seq` the number of its latest
-- change. A client that reconnects with the last number it saw is sent
-- every message whose `changed_seq` is above it, in its current state.

CREATE TABLE rt_channels (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    -- team, private, direct, clients
    kind          text NOT NULL,
    name          text NOT NULL,
    topic         text NOT NULL DEFAULT '',
    -- Direct messages: the two people's ids, sorted; one channel per pair.
    direct_key    text,
    last_seq      bigint NOT NULL DEFAULT 0,
    created_by    uuid,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX rt_channels_name ON rt_channels (tenant_id, name) WHERE direct_key IS NULL;
CREATE UNIQUE INDEX rt_channels_direct ON rt_channels (tenant_id, direct_key);

CREATE TABLE rt_members (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel_id    uuid NOT NULL,
    user_id       uuid NOT NULL,
    last_read_seq bigint NOT NULL DEFAULT 0,
    joined_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, channel_id, user_id),
    FOREIGN KEY (tenant_id, channel_id) REFERENCES rt_channels (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rt_members_user ON rt_members (tenant_id, user_id);

CREATE TABLE rt_messages (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    channel_id    uuid NOT NULL,
    seq           bigint NOT NULL,
    changed_seq   bigint NOT NULL,
    author_id     uuid,
    -- The first message of the thread this one answers.
    thread_id     uuid,
    replies       bigint NOT NULL DEFAULT 0,
    -- The body, sealed with the tenant's key.
    sealed        bytea NOT NULL,
    -- The people mentioned, as ids separated by commas.
    mentions      text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    edited_at     timestamptz,
    deleted_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, channel_id) REFERENCES rt_channels (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX rt_messages_seq ON rt_messages (tenant_id, channel_id, seq);
CREATE INDEX rt_messages_changed ON rt_messages (tenant_id, channel_id, changed_seq);
CREATE INDEX rt_messages_thread ON rt_messages (tenant_id, thread_id, seq);

CREATE TABLE rt_reactions (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    message_id    uuid NOT NULL,
    user_id       uuid NOT NULL,
    emoji         text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, message_id, user_id, emoji),
    FOREIGN KEY (tenant_id, message_id) REFERENCES rt_messages (tenant_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['rt_channels', 'rt_members', 'rt_messages', 'rt_reactions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('CREATE POLICY system_access ON %I USING (current_user = ''stackpro_system'') WITH CHECK (current_user = ''stackpro_system'')', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON rt_channels, rt_members, rt_messages, rt_reactions TO stackpro_app;
-- Across tenants: tenant deletion and operators' tools.
GRANT SELECT, DELETE ON rt_channels, rt_members, rt_messages, rt_reactions TO stackpro_system;

-- Realtime (issue 14): channels, who is in them and how far each has read,
-- and messages with sealed bodies and reactions.
--
-- Every change in a channel (a new message, an edit, a deletion, a
-- reaction) takes the channel's next sequence number: `seq` is the number
-- a message was posted with, `changed_seq` the number of its latest
-- change. A client that reconnects with the last number it saw is sent
-- every message whose `changed_seq` is above it, in its current state.

CREATE TABLE rt_channels (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    -- team, private, direct, clients
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    topic         TEXT NOT NULL DEFAULT '',
    -- Direct messages: the two people's ids, sorted; one channel per pair.
    direct_key    TEXT,
    last_seq      INTEGER NOT NULL DEFAULT 0,
    created_by    BLOB,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX rt_channels_name ON rt_channels (tenant_id, name) WHERE direct_key IS NULL;
CREATE UNIQUE INDEX rt_channels_direct ON rt_channels (tenant_id, direct_key);

CREATE TABLE rt_members (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel_id    BLOB NOT NULL,
    user_id       BLOB NOT NULL,
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    joined_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, channel_id, user_id),
    FOREIGN KEY (tenant_id, channel_id) REFERENCES rt_channels (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rt_members_user ON rt_members (tenant_id, user_id);

CREATE TABLE rt_messages (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    channel_id    BLOB NOT NULL,
    seq           INTEGER NOT NULL,
    changed_seq   INTEGER NOT NULL,
    author_id     BLOB,
    -- The first message of the thread this one answers.
    thread_id     BLOB,
    replies       INTEGER NOT NULL DEFAULT 0,
    -- The body, sealed with the tenant's key.
    sealed        BLOB NOT NULL,
    -- The people mentioned, as ids separated by commas.
    mentions      TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    edited_at     TEXT,
    deleted_at    TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, channel_id) REFERENCES rt_channels (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX rt_messages_seq ON rt_messages (tenant_id, channel_id, seq);
CREATE INDEX rt_messages_changed ON rt_messages (tenant_id, channel_id, changed_seq);
CREATE INDEX rt_messages_thread ON rt_messages (tenant_id, thread_id, seq);

CREATE TABLE rt_reactions (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    message_id    BLOB NOT NULL,
    user_id       BLOB NOT NULL,
    emoji         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, message_id, user_id, emoji),
    FOREIGN KEY (tenant_id, message_id) REFERENCES rt_messages (tenant_id, id) ON DELETE CASCADE
);


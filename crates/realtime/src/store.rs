//! SQL for realtime, written once for both dialects. Every function takes
//! the tenant's `TenantTx`.

use crate::error::Error;
use crate::model::{ChannelId, ChannelKind, MessageId};
use chrono::{DateTime, Utc};
use stackpro_core::ids::UserId;
use stackpro_store::{exec, on_db, TenantTx};
use std::collections::HashMap;

/// A channel row.
#[derive(Clone, Debug)]
pub struct ChannelRow {
    /// Id.
    pub id: ChannelId,
    /// Kind.
    pub kind: ChannelKind,
    /// Name.
    pub name: String,
    /// Topic.
    pub topic: String,
    /// Direct messages: the pair's key.
    pub direct_key: Option<String>,
    /// The number of its latest change.
    pub last_seq: i64,
    /// Creator.
    pub created_by: Option<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ChannelRaw {
    id: ChannelId,
    kind: String,
    name: String,
    topic: String,
    direct_key: Option<String>,
    last_seq: i64,
    created_by: Option<UserId>,
    created_at: DateTime<Utc>,
}

impl From<ChannelRaw> for ChannelRow {
    fn from(r: ChannelRaw) -> ChannelRow {
        ChannelRow {
            id: r.id,
            kind: ChannelKind::parse(&r.kind),
            name: r.name,
            topic: r.topic,
            direct_key: r.direct_key,
            last_seq: r.last_seq,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

const CHANNEL_COLS: &str = "id, kind, name, topic, direct_key, last_seq, created_by, created_at";

/// Inserts a channel; `false` when its name (or direct pair) is taken.
///
/// # Errors
/// The database's error.
pub async fn insert_channel(tx: &mut TenantTx, c: &ChannelRow) -> Result<bool, Error> {
    const SQL: &str = "INSERT INTO rt_channels (tenant_id, id, kind, name, topic, direct_key, last_seq, created_by, \
                       created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8) ON CONFLICT DO NOTHING";
    let tenant = tx.tenant_id();
    let n = exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(c.id)
            .bind(c.kind.as_str())
            .bind(&c.name)
            .bind(&c.topic)
            .bind(&c.direct_key)
            .bind(c.created_by)
            .bind(c.created_at)
    )?;
    Ok(n == 1)
}

/// Every channel of the tenant.
///
/// # Errors
/// The database's error.
pub async fn channels(tx: &mut TenantTx) -> Result<Vec<ChannelRow>, Error> {
    let sql = format!("SELECT {CHANNEL_COLS} FROM rt_channels WHERE tenant_id = $1 ORDER BY created_at, id");
    let tenant = tx.tenant_id();
    let rows: Vec<ChannelRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).fetch_all(c).await)?;
    Ok(rows.into_iter().map(ChannelRow::from).collect())
}

/// One channel.
///
/// # Errors
/// The database's error.
pub async fn channel(tx: &mut TenantTx, id: ChannelId) -> Result<Option<ChannelRow>, Error> {
    let sql = format!("SELECT {CHANNEL_COLS} FROM rt_channels WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    let row: Option<ChannelRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?;
    Ok(row.map(ChannelRow::from))
}

/// The direct-message channel of a pair.
///
/// # Errors
/// The database's error.
pub async fn direct(tx: &mut TenantTx, key: &str) -> Result<Option<ChannelRow>, Error> {
    let sql = format!("SELECT {CHANNEL_COLS} FROM rt_channels WHERE tenant_id = $1 AND direct_key = $2");
    let tenant = tx.tenant_id();
    let row: Option<ChannelRaw> = on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(key).fetch_optional(c).await)?;
    Ok(row.map(ChannelRow::from))
}

/// Deletes a channel with its messages.
///
/// # Errors
/// The database's error.
pub async fn delete_channel(tx: &mut TenantTx, id: ChannelId) -> Result<(), Error> {
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query("DELETE FROM rt_channels WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id))?;
    Ok(())
}

/// Takes the channel's next number.
///
/// # Errors
/// The database's error.
pub async fn next_seq(tx: &mut TenantTx, id: ChannelId) -> Result<i64, Error> {
    const SQL: &str =
        "UPDATE rt_channels SET last_seq = last_seq + 1 WHERE tenant_id = $1 AND id = $2 RETURNING last_seq";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_scalar(SQL).bind(tenant).bind(id).fetch_one(c).await)?)
}

// ---- members ----------------------------------------------------------------

/// The members of every channel: who, and the last number each has read.
///
/// # Errors
/// The database's error.
pub async fn all_members(tx: &mut TenantTx) -> Result<HashMap<ChannelId, Vec<(UserId, i64)>>, Error> {
    const SQL: &str =
        "SELECT channel_id, user_id, last_read_seq FROM rt_members WHERE tenant_id = $1 ORDER BY joined_at, user_id";
    let tenant = tx.tenant_id();
    let rows: Vec<(ChannelId, UserId, i64)> = on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).fetch_all(c).await)?;
    let mut out: HashMap<ChannelId, Vec<(UserId, i64)>> = HashMap::new();
    for (ch, u, seq) in rows {
        out.entry(ch).or_default().push((u, seq));
    }
    Ok(out)
}

/// The members of one channel.
///
/// # Errors
/// The database's error.
pub async fn members(tx: &mut TenantTx, id: ChannelId) -> Result<Vec<(UserId, i64)>, Error> {
    const SQL: &str = "SELECT user_id, last_read_seq FROM rt_members WHERE tenant_id = $1 AND channel_id = $2 \
                       ORDER BY joined_at, user_id";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(id).fetch_all(c).await)?)
}

/// Adds members (those already in stay as they are).
///
/// # Errors
/// The database's error.
pub async fn add_members(tx: &mut TenantTx, id: ChannelId, users: &[UserId], now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO rt_members (tenant_id, channel_id, user_id, last_read_seq, joined_at) \
                       VALUES ($1, $2, $3, 0, $4) ON CONFLICT DO NOTHING";
    let tenant = tx.tenant_id();
    for u in users {
        exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(*u).bind(now))?;
    }
    Ok(())
}

/// Removes members.
///
/// # Errors
/// The database's error.
pub async fn remove_members(tx: &mut TenantTx, id: ChannelId, users: &[UserId]) -> Result<(), Error> {
    const SQL: &str = "DELETE FROM rt_members WHERE tenant_id = $1 AND channel_id = $2 AND user_id = $3";
    let tenant = tx.tenant_id();
    for u in users {
        exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(*u))?;
    }
    Ok(())
}

/// Moves a member's read mark forward (never back).
///
/// # Errors
/// The database's error.
pub async fn mark_read(tx: &mut TenantTx, id: ChannelId, user: UserId, seq: i64) -> Result<bool, Error> {
    const SQL: &str = "UPDATE rt_members SET last_read_seq = $4 WHERE tenant_id = $1 AND channel_id = $2 \
                       AND user_id = $3 AND last_read_seq < $4";
    let tenant = tx.tenant_id();
    Ok(exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(user).bind(seq))? == 1)
}

/// Per channel the user is in: messages from others after their read
/// mark, and how many of those mention them.
///
/// # Errors
/// The database's error.
pub async fn unread(tx: &mut TenantTx, user: UserId) -> Result<HashMap<ChannelId, (i64, i64)>, Error> {
    const SQL: &str = "SELECT m.channel_id, COUNT(*), \
                       SUM(CASE WHEN m.mentions LIKE $3 THEN 1 ELSE 0 END) \
                       FROM rt_messages m JOIN rt_members r ON r.tenant_id = m.tenant_id \
                       AND r.channel_id = m.channel_id AND r.user_id = $2 \
                       WHERE m.tenant_id = $1 AND m.seq > r.last_read_seq AND m.deleted_at IS NULL \
                       AND (m.author_id IS NULL OR m.author_id <> $2) GROUP BY m.channel_id";
    let tenant = tx.tenant_id();
    let like = format!("%{user}%");
    let rows: Vec<(ChannelId, i64, Option<i64>)> =
        on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).bind(user).bind(&like).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(c, n, m)| (c, (n, m.unwrap_or(0)))).collect())
}

/// Every member of the workspace: id, role, name, email.
///
/// # Errors
/// The database's error.
pub async fn people(tx: &mut TenantTx) -> Result<Vec<(UserId, String, Option<String>, String)>, Error> {
    const SQL: &str = "SELECT id, role, name, email FROM users WHERE tenant_id = $1";
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(SQL).bind(tenant).fetch_all(c).await)?)
}

// ---- messages ---------------------------------------------------------------

/// A message row, its body still sealed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MessageRow {
    /// Id.
    pub id: MessageId,
    /// Channel.
    pub channel_id: ChannelId,
    /// Number.
    pub seq: i64,
    /// Latest change.
    pub changed_seq: i64,
    /// Author.
    pub author_id: Option<UserId>,
    /// Thread root.
    pub thread_id: Option<MessageId>,
    /// Answers.
    pub replies: i64,
    /// Sealed body (empty once deleted).
    pub sealed: Vec<u8>,
    /// Mentioned ids, comma-separated.
    pub mentions: String,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

const MESSAGE_COLS: &str =
    "id, channel_id, seq, changed_seq, author_id, thread_id, replies, sealed, mentions, created_at, edited_at, deleted_at";

/// Inserts a message.
///
/// # Errors
/// The database's error.
pub async fn insert_message(tx: &mut TenantTx, m: &MessageRow) -> Result<(), Error> {
    const SQL: &str = "INSERT INTO rt_messages (tenant_id, id, channel_id, seq, changed_seq, author_id, thread_id, \
                       replies, sealed, mentions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10)";
    let tenant = tx.tenant_id();
    exec!(
        tx,
        sqlx::query(SQL)
            .bind(tenant)
            .bind(m.id)
            .bind(m.channel_id)
            .bind(m.seq)
            .bind(m.changed_seq)
            .bind(m.author_id)
            .bind(m.thread_id)
            .bind(&m.sealed)
            .bind(&m.mentions)
            .bind(m.created_at)
    )?;
    Ok(())
}

/// One message.
///
/// # Errors
/// The database's error.
pub async fn message(tx: &mut TenantTx, id: MessageId) -> Result<Option<MessageRow>, Error> {
    let sql = format!("SELECT {MESSAGE_COLS} FROM rt_messages WHERE tenant_id = $1 AND id = $2");
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(id).fetch_optional(c).await)?)
}

/// A page of a channel's messages (or one thread's answers), newest
/// first, numbered below `before`.
///
/// # Errors
/// The database's error.
pub async fn messages(
    tx: &mut TenantTx,
    channel: ChannelId,
    thread: Option<MessageId>,
    before: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, Error> {
    let tenant = tx.tenant_id();
    match thread {
        None => {
            let sql = format!(
                "SELECT {MESSAGE_COLS} FROM rt_messages WHERE tenant_id = $1 AND channel_id = $2 \
                 AND thread_id IS NULL AND seq < $3 ORDER BY seq DESC LIMIT $4"
            );
            Ok(on_db!(tx, |c| sqlx::query_as(&sql)
                .bind(tenant)
                .bind(channel)
                .bind(before)
                .bind(limit)
                .fetch_all(c)
                .await)?)
        }
        Some(root) => {
            let sql = format!(
                "SELECT {MESSAGE_COLS} FROM rt_messages WHERE tenant_id = $1 AND channel_id = $2 \
                 AND thread_id = $3 AND seq < $4 ORDER BY seq DESC LIMIT $5"
            );
            Ok(on_db!(tx, |c| sqlx::query_as(&sql)
                .bind(tenant)
                .bind(channel)
                .bind(root)
                .bind(before)
                .bind(limit)
                .fetch_all(c)
                .await)?)
        }
    }
}

/// The messages of a channel changed after `since`, oldest change first,
/// at most `limit`.
///
/// # Errors
/// The database's error.
pub async fn changed_since(
    tx: &mut TenantTx,
    channel: ChannelId,
    since: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, Error> {
    let sql = format!(
        "SELECT {MESSAGE_COLS} FROM rt_messages WHERE tenant_id = $1 AND channel_id = $2 AND changed_seq > $3 \
         ORDER BY changed_seq LIMIT $4"
    );
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(channel).bind(since).bind(limit).fetch_all(c).await)?)
}

/// A new text for a message.
///
/// # Errors
/// The database's error.
pub async fn edit_message(
    tx: &mut TenantTx,
    id: MessageId,
    sealed: &[u8],
    mentions: &str,
    seq: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    const SQL: &str = "UPDATE rt_messages SET sealed = $3, mentions = $4, changed_seq = $5, edited_at = $6 \
                       WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(sealed).bind(mentions).bind(seq).bind(now))?;
    Ok(())
}

/// Deletes a message's text (the row stays, so numbering and threads hold).
///
/// # Errors
/// The database's error.
pub async fn delete_message(tx: &mut TenantTx, id: MessageId, seq: i64, now: DateTime<Utc>) -> Result<(), Error> {
    const SQL: &str = "UPDATE rt_messages SET sealed = $3, mentions = '', changed_seq = $4, deleted_at = $5 \
                       WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(Vec::<u8>::new()).bind(seq).bind(now))?;
    exec!(tx, sqlx::query("DELETE FROM rt_reactions WHERE tenant_id = $1 AND message_id = $2").bind(tenant).bind(id))?;
    Ok(())
}

/// Marks a message changed (a reaction, an answer in its thread).
///
/// # Errors
/// The database's error.
pub async fn touch(tx: &mut TenantTx, id: MessageId, seq: i64, reply: bool) -> Result<(), Error> {
    const SQL: &str =
        "UPDATE rt_messages SET changed_seq = $3, replies = replies + $4 WHERE tenant_id = $1 AND id = $2";
    let tenant = tx.tenant_id();
    exec!(tx, sqlx::query(SQL).bind(tenant).bind(id).bind(seq).bind(i64::from(reply)))?;
    Ok(())
}

/// Adds (`true`) or removes a reaction; whether anything changed.
///
/// # Errors
/// The database's error.
pub async fn react(
    tx: &mut TenantTx,
    id: MessageId,
    user: UserId,
    emoji: &str,
    add: bool,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let tenant = tx.tenant_id();
    let n = if add {
        exec!(
            tx,
            sqlx::query(
                "INSERT INTO rt_reactions (tenant_id, message_id, user_id, emoji, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
            )
            .bind(tenant)
            .bind(id)
            .bind(user)
            .bind(emoji)
            .bind(now)
        )?
    } else {
        exec!(
            tx,
            sqlx::query(
                "DELETE FROM rt_reactions WHERE tenant_id = $1 AND message_id = $2 AND user_id = $3 AND emoji = $4"
            )
            .bind(tenant)
            .bind(id)
            .bind(user)
            .bind(emoji)
        )?
    };
    Ok(n == 1)
}

/// The reactions of messages: per message, per emoji, who, in order.
///
/// # Errors
/// The database's error.
pub async fn reactions(
    tx: &mut TenantTx,
    channel: ChannelId,
    ids: &[MessageId],
) -> Result<HashMap<MessageId, Vec<(String, Vec<UserId>)>>, Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT r.message_id, r.emoji, r.user_id FROM rt_reactions r JOIN rt_messages m \
         ON m.tenant_id = r.tenant_id AND m.id = r.message_id \
         WHERE r.tenant_id = $1 AND m.channel_id = $2 AND r.message_id IN ({}) ORDER BY r.created_at, r.user_id",
        marks.join(", ")
    );
    let tenant = tx.tenant_id();
    let rows: Vec<(MessageId, String, UserId)> = on_db!(tx, |c| {
        let mut q = sqlx::query_as(&sql).bind(tenant).bind(channel);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?;
    let mut out: HashMap<MessageId, Vec<(String, Vec<UserId>)>> = HashMap::new();
    for (m, emoji, user) in rows {
        let list = out.entry(m).or_default();
        match list.iter_mut().find(|(e, _)| *e == emoji) {
            Some((_, users)) => users.push(user),
            None => list.push((emoji, vec![user])),
        }
    }
    Ok(out)
}

//! The rules of channels and messages. No HTTP here: routes and the
//! gateway parse input and call one method; each method checks the
//! caller's rights through the one permission rule
//! ([`stackpro_core::access::Reader::may_read`]) and does its work in one
//! transaction, then tells the listeners through the [`Hub`].

use crate::error::Error;
use crate::hub::{Hub, Scope};
use crate::model::*;
use crate::store::{self, ChannelRow, MessageRow};
use chrono::{DateTime, Utc};
use serde_json::json;
use stackpro_core::access::Reader;
use stackpro_core::ids::{TenantId, UserId};
use stackpro_core::metering::{Meter, Metering};
use stackpro_core::text::collapse;
use stackpro_core::{Clock, Role, TenantCtx};
use stackpro_security::Security;
use stackpro_store::{Counters, Db, TenantTx};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Different reactions one message may carry.
const MAX_REACTIONS: usize = 20;
/// Changes a reconnecting client is sent before it is told to reload.
pub const RECOVERY_LIMIT: i64 = 500;
/// The longest message.
const MAX_BODY: usize = 8000;

/// Channels, messages, presence. Cheap to clone.
#[derive(Clone)]
pub struct Realtime(Arc<Inner>);

struct Inner {
    db: Db,
    security: Security,
    counters: Counters,
    metering: Arc<dyn Metering<TenantTx>>,
    clock: Clock,
    hub: Hub,
    /// Messages and reactions one person may send per 10 seconds.
    writes_per_10s: i64,
}

impl std::fmt::Debug for Realtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Realtime")
    }
}

/// What a reconnecting client gets for a channel.
pub enum Recovery {
    /// Every message changed since its number, oldest change first.
    Changes(Vec<Message>),
    /// Too much changed: it should load the channel again.
    Reload,
}

/// The aad of a message body.
fn aad(id: MessageId) -> String {
    format!("rt-message:{id}")
}

impl Realtime {
    /// The service.
    pub fn new(
        db: Db,
        security: Security,
        counters: Counters,
        metering: Arc<dyn Metering<TenantTx>>,
        clock: Clock,
        hub: Hub,
        writes_per_10s: i64,
    ) -> Realtime {
        Realtime(Arc::new(Inner { db, security, counters, metering, clock, hub, writes_per_10s }))
    }

    /// This replica's connections.
    pub fn hub(&self) -> &Hub {
        &self.0.hub
    }

    fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }

    /// Refuses a read-only API key (and a role below `min`).
    fn writer(ctx: &TenantCtx, min: Role, why: &'static str) -> Result<(), Error> {
        ctx.may_write(min, why).map_err(Error::Forbidden)
    }

    /// Counts one write of the caller against the limit per 10 seconds.
    async fn throttle(&self, ctx: &TenantCtx) -> Result<(), Error> {
        let who = ctx.person.map_or_else(|| format!("key:{:?}", ctx.principal), |u| u.to_string());
        if let Ok(count) =
            self.0.counters.incr(&format!("rt:write:{}:{who}", ctx.tenant), 1, Duration::from_secs(10)).await
        {
            if count.value > self.0.writes_per_10s {
                return Err(Error::RateLimited(count.resets_in.as_secs().max(1)));
            }
        }
        Ok(())
    }

    /// Whether `reader` may read a channel with these members.
    fn may_read(reader: &Reader, row: &ChannelRow, members: &[(UserId, i64)]) -> bool {
        let named: Vec<UserId> = members.iter().map(|(u, _)| *u).collect();
        reader.may_read(row.kind.visibility(), &named)
    }

    /// The channel and its members, if the caller may read it; another
    /// tenant's id and an unreadable channel answer alike.
    async fn readable(
        tx: &mut TenantTx,
        reader: &Reader,
        id: ChannelId,
    ) -> Result<(ChannelRow, Vec<(UserId, i64)>), Error> {
        let row = store::channel(tx, id).await?.ok_or_else(|| Error::ChannelNotFound(id.to_string()))?;
        let members = store::members(tx, id).await?;
        if !Self::may_read(reader, &row, &members) {
            return Err(Error::ChannelNotFound(id.to_string()));
        }
        Ok((row, members))
    }

    /// Whether the caller may read the channel (the gateway asks before
    /// subscribing).
    ///
    /// # Errors
    /// `channel_not_found`.
    pub async fn check_readable(&self, ctx: &TenantCtx, id: ChannelId) -> Result<i64, Error> {
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let (row, _) = Self::readable(&mut tx, &Reader::of(ctx), id).await?;
        tx.commit().await?;
        Ok(row.last_seq)
    }

    fn view(
        row: &ChannelRow,
        members: &[(UserId, i64)],
        me: Option<UserId>,
        unread: (i64, i64),
        names: &HashMap<UserId, String>,
    ) -> Channel {
        let joined = me.and_then(|u| members.iter().find(|(m, _)| *m == u));
        let name = if row.kind == ChannelKind::Direct {
            members
                .iter()
                .find(|(u, _)| Some(*u) != me)
                .or(members.first())
                .and_then(|(u, _)| names.get(u).cloned())
                .unwrap_or_else(|| row.name.clone())
        } else {
            row.name.clone()
        };
        Channel {
            id: row.id,
            kind: row.kind,
            name,
            topic: row.topic.clone(),
            members: members.iter().map(|(u, _)| *u).collect(),
            member_names: members.iter().map(|(u, _)| names.get(u).cloned().unwrap_or_default()).collect(),
            joined: joined.is_some(),
            last_seq: row.last_seq,
            last_read_seq: joined.map_or(0, |(_, s)| *s),
            unread: unread.0,
            mentions: unread.1,
            created_at: row.created_at,
        }
    }

    async fn names(tx: &mut TenantTx) -> Result<HashMap<UserId, String>, Error> {
        Ok(store::people(tx)
            .await?
            .into_iter()
            .map(|(id, _, name, email)| (id, name.filter(|n| !n.trim().is_empty()).unwrap_or(email)))
            .collect())
    }

    /// The channels the caller may read, with unread counts.
    ///
    /// # Errors
    /// The database's error.
    pub async fn channels(&self, ctx: &TenantCtx) -> Result<Vec<Channel>, Error> {
        let reader = Reader::of(ctx);
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let rows = store::channels(&mut tx).await?;
        let members = store::all_members(&mut tx).await?;
        let unread = match ctx.person {
            Some(u) => store::unread(&mut tx, u).await?,
            None => HashMap::new(),
        };
        let names = Self::names(&mut tx).await?;
        tx.commit().await?;
        let none = Vec::new();
        Ok(rows
            .iter()
            .filter_map(|row| {
                let m = members.get(&row.id).unwrap_or(&none);
                Self::may_read(&reader, row, m)
                    .then(|| Self::view(row, m, ctx.person, unread.get(&row.id).copied().unwrap_or((0, 0)), &names))
            })
            .collect())
    }

    /// One channel.
    ///
    /// # Errors
    /// `channel_not_found`.
    pub async fn channel(&self, ctx: &TenantCtx, id: ChannelId) -> Result<Channel, Error> {
        let mut tx = self.0.db.tenant_read(ctx).await?;
        let (row, members) = Self::readable(&mut tx, &Reader::of(ctx), id).await?;
        let unread = match ctx.person {
            Some(u) => store::unread(&mut tx, u).await?.get(&id).copied().unwrap_or((0, 0)),
            None => (0, 0),
        };
        let names = Self::names(&mut tx).await?;
        tx.commit().await?;
        Ok(Self::view(&row, &members, ctx.person, unread, &names))
    }

    fn check_name(name: &str) -> Result<String, Error> {
        let n = collapse(name);
        if n.is_empty() || n.chars().count() > 80 || n.chars().any(stackpro_core::text::is_forbidden) {
            return Err(Error::Invalid("/name", "A channel name has 1 to 80 printable characters.".into()));
        }
        Ok(n)
    }

    /// Checks that `users` are members of the workspace.
    async fn check_people(tx: &mut TenantTx, users: &[UserId], field: &'static str) -> Result<Vec<UserId>, Error> {
        if users.len() > 500 {
            return Err(Error::Invalid(field, "At most 500 members at a time.".into()));
        }
        let people: Vec<UserId> = store::people(tx).await?.into_iter().map(|p| p.0).collect();
        let mut out = Vec::new();
        for u in users {
            if !people.contains(u) {
                return Err(Error::MemberNotFound(u.to_string()));
            }
            if !out.contains(u) {
                out.push(*u);
            }
        }
        Ok(out)
    }

    /// Everyone who may read a channel with these members.
    async fn readers(tx: &mut TenantTx, row: &ChannelRow, members: &[(UserId, i64)]) -> Result<Vec<UserId>, Error> {
        Ok(store::people(tx)
            .await?
            .into_iter()
            .filter(|(id, role, _, _)| {
                let reader = Reader::Member { role: Role::parse(role).unwrap_or(Role::Client), user: Some(*id) };
                Self::may_read(&reader, row, members)
            })
            .map(|(id, _, _, _)| id)
            .collect())
    }

    /// Tells `users`, on each of their connections, that a channel changed
    /// (created, members changed, deleted): their lists refresh. Called
    /// after the commit, so what they fetch holds the change.
    async fn tell(&self, tenant: TenantId, users: &[UserId], channel: ChannelId) {
        let payload = json!({ "type": "channel", "channel": channel }).to_string();
        for u in users {
            self.0.hub.publish(tenant, Scope::User(*u), payload.clone()).await;
        }
    }

    /// Creates a channel; the creator is its first member.
    ///
    /// # Errors
    /// `forbidden` for clients, `invalid_field`, `member_not_found`,
    /// `channel_name_taken`.
    pub async fn create(&self, ctx: &TenantCtx, new: NewChannel) -> Result<Channel, Error> {
        Self::writer(ctx, Role::Member, "Clients take part in the channels shared with them; the team creates them.")?;
        let name = Self::check_name(&new.name)?;
        let topic = collapse(new.topic.as_deref().unwrap_or(""));
        if topic.chars().count() > 250 || topic.chars().any(stackpro_core::text::is_forbidden) {
            return Err(Error::Invalid("/topic", "A topic has at most 250 characters.".into()));
        }
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let mut members = Self::check_people(&mut tx, &new.members, "/members").await?;
        if let Some(me) = ctx.person {
            if !members.contains(&me) {
                members.insert(0, me);
            }
        }
        let row = ChannelRow {
            id: ChannelId::new(),
            kind: new.kind.into(),
            name: name.clone(),
            topic,
            direct_key: None,
            last_seq: 0,
            created_by: ctx.person,
            created_at: now,
        };
        if !store::insert_channel(&mut tx, &row).await? {
            return Err(Error::NameTaken(name));
        }
        store::add_members(&mut tx, row.id, &members, now).await?;
        let members = store::members(&mut tx, row.id).await?;
        let names = Self::names(&mut tx).await?;
        let readers = Self::readers(&mut tx, &row, &members).await?;
        tx.commit().await?;
        self.tell(ctx.tenant, &readers, row.id).await;
        Ok(Self::view(&row, &members, ctx.person, (0, 0), &names))
    }

    /// The direct-message channel of the caller and `other`, made on first
    /// use.
    ///
    /// # Errors
    /// `member_not_found`, `invalid_field` (oneself), `forbidden` (an API key).
    pub async fn direct(&self, ctx: &TenantCtx, other: UserId) -> Result<Channel, Error> {
        Self::writer(ctx, Role::Client, "")?;
        let Some(me) = ctx.person else {
            return Err(Error::Forbidden("Direct messages are between people; an API key has none."));
        };
        if me == other {
            return Err(Error::Invalid("/user", "A direct message goes to someone else.".into()));
        }
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        Self::check_people(&mut tx, &[other], "/user").await?;
        let (a, b) = if me < other { (me, other) } else { (other, me) };
        let key = format!("{a}:{b}");
        let mut created = false;
        let row = match store::direct(&mut tx, &key).await? {
            Some(row) => row,
            None => {
                let row = ChannelRow {
                    id: ChannelId::new(),
                    kind: ChannelKind::Direct,
                    name: format!("direct {key}"),
                    topic: String::new(),
                    direct_key: Some(key.clone()),
                    last_seq: 0,
                    created_by: Some(me),
                    created_at: now,
                };
                if store::insert_channel(&mut tx, &row).await? {
                    store::add_members(&mut tx, row.id, &[me, other], now).await?;
                    created = true;
                    row
                } else {
                    // Made meanwhile by the other person.
                    store::direct(&mut tx, &key).await?.ok_or_else(|| Error::ChannelNotFound(key.clone()))?
                }
            }
        };
        let members = store::members(&mut tx, row.id).await?;
        let unread = store::unread(&mut tx, me).await?.get(&row.id).copied().unwrap_or((0, 0));
        let names = Self::names(&mut tx).await?;
        tx.commit().await?;
        // The other person's inbox shows the conversation at once.
        if created {
            self.tell(ctx.tenant, &[me, other], row.id).await;
        }
        Ok(Self::view(&row, &members, Some(me), unread, &names))
    }

    /// Adds and removes members. The team may add people to channels it
    /// reads; anyone may leave; removing others is for admins and the
    /// channel's creator. Direct messages keep their two people.
    ///
    /// # Errors
    /// `channel_not_found`, `forbidden`, `member_not_found`.
    pub async fn change_members(
        &self,
        ctx: &TenantCtx,
        id: ChannelId,
        change: MembersChange,
    ) -> Result<Channel, Error> {
        Self::writer(ctx, Role::Client, "")?;
        let now = self.now();
        let reader = Reader::of(ctx);
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (row, before) = Self::readable(&mut tx, &reader, id).await?;
        if row.kind == ChannelKind::Direct {
            return Err(Error::Forbidden("A direct message keeps its two people."));
        }
        let add = Self::check_people(&mut tx, &change.add, "/add").await?;
        let remove = Self::check_people(&mut tx, &change.remove, "/remove").await?;
        let only_self = |list: &[UserId]| ctx.person.is_some() && list.iter().all(|u| Some(*u) == ctx.person);
        if !add.is_empty() && !ctx.role.at_least(Role::Member) && !only_self(&add) {
            return Err(Error::Forbidden("Clients cannot add people to a channel."));
        }
        let may_remove_others =
            ctx.role.at_least(Role::Admin) || (row.created_by.is_some() && row.created_by == ctx.person);
        if !remove.is_empty() && !only_self(&remove) && !may_remove_others {
            return Err(Error::Forbidden("Only admins and the channel's creator remove others; anyone may leave."));
        }
        store::add_members(&mut tx, id, &add, now).await?;
        store::remove_members(&mut tx, id, &remove).await?;
        let members = store::members(&mut tx, id).await?;
        let names = Self::names(&mut tx).await?;
        // Who may no longer read it stops hearing from it at once.
        let people = store::people(&mut tx).await?;
        let mut gone = Vec::new();
        for (uid, role, _, _) in &people {
            let r = Reader::Member { role: Role::parse(role).unwrap_or(Role::Client), user: Some(*uid) };
            if Self::may_read(&r, &row, &before) && !Self::may_read(&r, &row, &members) {
                gone.push(*uid);
            }
        }
        let readers = Self::readers(&mut tx, &row, &members).await?;
        let unread = match ctx.person {
            Some(u) => store::unread(&mut tx, u).await?.get(&id).copied().unwrap_or((0, 0)),
            None => (0, 0),
        };
        tx.commit().await?;
        self.tell(ctx.tenant, &readers, id).await;
        for u in gone {
            self.0.hub.leave_user(ctx.tenant, u, id);
            let payload = json!({ "type": "removed", "channel": id }).to_string();
            self.0.hub.publish(ctx.tenant, Scope::User(u), payload).await;
        }
        if Self::may_read(&reader, &row, &members) {
            Ok(Self::view(&row, &members, ctx.person, unread, &names))
        } else {
            Err(Error::ChannelNotFound(id.to_string()))
        }
    }

    /// Deletes a channel and its messages: admins, and its creator.
    ///
    /// # Errors
    /// `channel_not_found`, `forbidden`.
    pub async fn delete(&self, ctx: &TenantCtx, id: ChannelId) -> Result<(), Error> {
        Self::writer(ctx, Role::Client, "")?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (row, members) = Self::readable(&mut tx, &Reader::of(ctx), id).await?;
        if !(ctx.role.at_least(Role::Admin) || (row.created_by.is_some() && row.created_by == ctx.person)) {
            return Err(Error::Forbidden("Only admins and the channel's creator delete it."));
        }
        let readers = Self::readers(&mut tx, &row, &members).await?;
        store::delete_channel(&mut tx, id).await?;
        tx.commit().await?;
        self.tell(ctx.tenant, &readers, id).await;
        let payload = json!({ "type": "deleted", "channel": id }).to_string();
        self.0.hub.publish(ctx.tenant, Scope::Channel(id), payload).await;
        Ok(())
    }

    // ---- messages -----------------------------------------------------------

    async fn open(&self, tx: &mut TenantTx, rows: Vec<MessageRow>, channel: ChannelId) -> Result<Vec<Message>, Error> {
        let ids: Vec<MessageId> = rows.iter().map(|r| r.id).collect();
        let mut reactions = store::reactions(tx, channel, &ids).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let body = if r.deleted_at.is_some() || r.sealed.is_empty() {
                String::new()
            } else {
                let plain = self.0.security.decrypt(tx, &r.sealed, &aad(r.id)).await?;
                String::from_utf8_lossy(&plain).into_owned()
            };
            out.push(Message {
                id: r.id,
                channel_id: r.channel_id,
                seq: r.seq,
                changed_seq: r.changed_seq,
                author: r.author_id,
                thread_id: r.thread_id,
                replies: r.replies,
                body,
                mentions: r.mentions.split(',').filter_map(|s| s.parse().ok()).collect(),
                reactions: reactions
                    .remove(&r.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(emoji, users)| Reaction { emoji, users })
                    .collect(),
                created_at: r.created_at,
                edited_at: r.edited_at,
                deleted: r.deleted_at.is_some(),
            });
        }
        Ok(out)
    }

    /// A page of a channel's messages (or of one thread), oldest first,
    /// numbered below `before` (none: the latest).
    ///
    /// # Errors
    /// `channel_not_found`, `message_not_found` (thread).
    pub async fn messages(
        &self,
        ctx: &TenantCtx,
        id: ChannelId,
        thread: Option<MessageId>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>, Error> {
        if !(1..=200).contains(&limit) {
            return Err(Error::Invalid("/limit", "Ask for 1 to 200 messages.".into()));
        }
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::readable(&mut tx, &Reader::of(ctx), id).await?;
        if let Some(root) = thread {
            match store::message(&mut tx, root).await? {
                Some(m) if m.channel_id == id => {}
                _ => return Err(Error::MessageNotFound(root.to_string())),
            }
        }
        let mut rows = store::messages(&mut tx, id, thread, before.unwrap_or(i64::MAX), limit).await?;
        rows.reverse();
        let out = self.open(&mut tx, rows, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// What a client that saw the channel up to `since` missed.
    ///
    /// # Errors
    /// `channel_not_found`.
    pub async fn changes_since(&self, ctx: &TenantCtx, id: ChannelId, since: i64) -> Result<Recovery, Error> {
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::readable(&mut tx, &Reader::of(ctx), id).await?;
        let rows = store::changed_since(&mut tx, id, since, RECOVERY_LIMIT + 1).await?;
        if rows.len() as i64 > RECOVERY_LIMIT {
            return Ok(Recovery::Reload);
        }
        let out = self.open(&mut tx, rows, id).await?;
        tx.commit().await?;
        Ok(Recovery::Changes(out))
    }

    fn check_body(body: &str) -> Result<String, Error> {
        let b = body.trim();
        if b.is_empty() || b.chars().count() > MAX_BODY {
            return Err(Error::Invalid("/body", format!("A message has 1 to {MAX_BODY} characters.")));
        }
        if b.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(Error::Invalid("/body", "A message holds no control characters but new lines.".into()));
        }
        Ok(b.to_owned())
    }

    /// The people a message mentions (`@<member id>` or `@<email>`) who may
    /// read the channel.
    async fn mentions(
        tx: &mut TenantTx,
        body: &str,
        row: &ChannelRow,
        members: &[(UserId, i64)],
    ) -> Result<Vec<UserId>, Error> {
        if !body.contains('@') {
            return Ok(Vec::new());
        }
        let people = store::people(tx).await?;
        let mut out = Vec::new();
        for word in body.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '<' | '>')) {
            let Some(name) = word.strip_prefix('@') else { continue };
            let name = name.trim_end_matches(['.', '!', '?', ':']);
            let found =
                people.iter().find(|(id, _, _, email)| id.to_string() == name || email.eq_ignore_ascii_case(name));
            if let Some((id, role, _, _)) = found {
                let r = Reader::Member { role: Role::parse(role).unwrap_or(Role::Client), user: Some(*id) };
                if Self::may_read(&r, row, members) && !out.contains(id) {
                    out.push(*id);
                }
            }
        }
        Ok(out)
    }

    async fn broadcast(&self, tenant: TenantId, kind: &str, message: &Message) {
        let payload =
            json!({ "type": kind, "channel": message.channel_id, "seq": message.changed_seq, "message": message });
        self.0.hub.publish(tenant, Scope::Channel(message.channel_id), payload.to_string()).await;
    }

    /// Posts a message (in a thread when `thread_id` is set): counted as
    /// `messages` through billing, limited per person, sealed with the
    /// workspace's key, and sent to every listener of the channel.
    ///
    /// # Errors
    /// `channel_not_found`, `message_not_found` (thread), `invalid_field`,
    /// `rate_limited`, `plan_limit_reached`.
    pub async fn post(&self, ctx: &TenantCtx, id: ChannelId, new: NewMessage) -> Result<Message, Error> {
        Self::writer(ctx, Role::Client, "")?;
        let body = Self::check_body(&new.body)?;
        self.throttle(ctx).await?;
        let reservation = self.0.metering.reserve(ctx.tenant, &ctx.plan, Meter::Messages, 1).await?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (row, members) = Self::readable(&mut tx, &Reader::of(ctx), id).await?;
        let root = match new.thread_id {
            Some(t) => match store::message(&mut tx, t).await? {
                Some(m) if m.channel_id == id && m.deleted_at.is_none() => Some(m.thread_id.unwrap_or(m.id)),
                _ => return Err(Error::MessageNotFound(t.to_string())),
            },
            None => None,
        };
        let mentions = Self::mentions(&mut tx, &body, &row, &members).await?;
        let seq = store::next_seq(&mut tx, id).await?;
        let mid = MessageId::new();
        let sealed = self.0.security.encrypt(&mut tx, body.as_bytes(), &aad(mid)).await?;
        let m = MessageRow {
            id: mid,
            channel_id: id,
            seq,
            changed_seq: seq,
            author_id: ctx.person,
            thread_id: root,
            replies: 0,
            sealed,
            mentions: mentions.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            created_at: now,
            edited_at: None,
            deleted_at: None,
        };
        store::insert_message(&mut tx, &m).await?;
        if let Some(root) = root {
            store::touch(&mut tx, root, seq, true).await?;
        }
        // Writing in a channel joins it (team members may write in team and
        // client channels without being in them); the writer has read it all.
        if let Some(me) = ctx.person {
            if !members.iter().any(|(u, _)| *u == me) {
                store::add_members(&mut tx, id, &[me], now).await?;
            }
            store::mark_read(&mut tx, id, me, seq).await?;
        }
        self.0.metering.record(&mut tx, ctx.tenant, &ctx.plan, Meter::Messages, 1, &format!("message:{mid}")).await?;
        let root_row = match root {
            Some(r) => store::message(&mut tx, r).await?,
            None => None,
        };
        // The new message as it is sent: its text is at hand, it has no
        // reactions yet (no second decryption or query on every post).
        let message = Message {
            id: mid,
            channel_id: id,
            seq,
            changed_seq: seq,
            author: ctx.person,
            thread_id: root,
            replies: 0,
            body,
            mentions,
            reactions: Vec::new(),
            created_at: now,
            edited_at: None,
            deleted: false,
        };
        let root_opened = match root_row {
            Some(r) => self.open(&mut tx, vec![r], id).await?.pop(),
            None => None,
        };
        tx.commit().await?;
        reservation.keep();
        self.broadcast(ctx.tenant, "message", &message).await;
        if let Some(root) = root_opened {
            self.broadcast(ctx.tenant, "update", &root).await;
        }
        Ok(message)
    }

    /// The message and its channel's row, for a change by the caller.
    async fn changeable(
        tx: &mut TenantTx,
        ctx: &TenantCtx,
        channel: ChannelId,
        id: MessageId,
    ) -> Result<(ChannelRow, Vec<(UserId, i64)>, MessageRow), Error> {
        let (row, members) = Self::readable(tx, &Reader::of(ctx), channel).await?;
        match store::message(tx, id).await? {
            Some(m) if m.channel_id == channel => Ok((row, members, m)),
            _ => Err(Error::MessageNotFound(id.to_string())),
        }
    }

    /// Changes a message's text: its author only.
    ///
    /// # Errors
    /// `channel_not_found`, `message_not_found`, `forbidden`, `invalid_field`.
    pub async fn edit(
        &self,
        ctx: &TenantCtx,
        channel: ChannelId,
        id: MessageId,
        edit: MessageEdit,
    ) -> Result<Message, Error> {
        Self::writer(ctx, Role::Client, "")?;
        let body = Self::check_body(&edit.body)?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (row, members, m) = Self::changeable(&mut tx, ctx, channel, id).await?;
        if m.author_id.is_none() || m.author_id != ctx.person || m.deleted_at.is_some() {
            return Err(Error::Forbidden("Only its author changes a message."));
        }
        let mentions = Self::mentions(&mut tx, &body, &row, &members).await?;
        let seq = store::next_seq(&mut tx, channel).await?;
        let sealed = self.0.security.encrypt(&mut tx, body.as_bytes(), &aad(id)).await?;
        let mentions = mentions.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        store::edit_message(&mut tx, id, &sealed, &mentions, seq, now).await?;
        let m = store::message(&mut tx, id).await?.ok_or_else(|| Error::MessageNotFound(id.to_string()))?;
        let message =
            self.open(&mut tx, vec![m], channel).await?.pop().ok_or_else(|| Error::MessageNotFound(id.to_string()))?;
        tx.commit().await?;
        self.broadcast(ctx.tenant, "update", &message).await;
        Ok(message)
    }

    /// Deletes a message's text: its author, or an admin.
    ///
    /// # Errors
    /// `channel_not_found`, `message_not_found`, `forbidden`.
    pub async fn delete_message(&self, ctx: &TenantCtx, channel: ChannelId, id: MessageId) -> Result<(), Error> {
        Self::writer(ctx, Role::Client, "")?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (_, _, m) = Self::changeable(&mut tx, ctx, channel, id).await?;
        let own = m.author_id.is_some() && m.author_id == ctx.person;
        if !own && !ctx.role.at_least(Role::Admin) {
            return Err(Error::Forbidden("Only its author or an admin deletes a message."));
        }
        if m.deleted_at.is_some() {
            return Ok(());
        }
        let seq = store::next_seq(&mut tx, channel).await?;
        store::delete_message(&mut tx, id, seq, now).await?;
        let m = store::message(&mut tx, id).await?.ok_or_else(|| Error::MessageNotFound(id.to_string()))?;
        let message =
            self.open(&mut tx, vec![m], channel).await?.pop().ok_or_else(|| Error::MessageNotFound(id.to_string()))?;
        tx.commit().await?;
        self.broadcast(ctx.tenant, "update", &message).await;
        Ok(())
    }

    /// Adds or takes back the caller's reaction.
    ///
    /// # Errors
    /// `channel_not_found`, `message_not_found`, `invalid_field`, `forbidden` (API key).
    pub async fn react(
        &self,
        ctx: &TenantCtx,
        channel: ChannelId,
        id: MessageId,
        emoji: &str,
        add: bool,
    ) -> Result<Message, Error> {
        Self::writer(ctx, Role::Client, "")?;
        let Some(me) = ctx.person else {
            return Err(Error::Forbidden("Reactions are people's; an API key has none."));
        };
        let emoji = emoji.trim();
        let visible = emoji.chars().any(|c| !stackpro_core::text::is_forbidden(c));
        if emoji.is_empty()
            || !visible
            || emoji.chars().count() > 16
            || emoji.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::Invalid(
                "/emoji",
                "An emoji has 1 to 16 characters, no spaces, something visible.".into(),
            ));
        }
        self.throttle(ctx).await?;
        let now = self.now();
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (_, _, m) = Self::changeable(&mut tx, ctx, channel, id).await?;
        if m.deleted_at.is_some() {
            return Err(Error::MessageNotFound(id.to_string()));
        }
        if add {
            let kinds = store::reactions(&mut tx, channel, &[id]).await?.remove(&id).unwrap_or_default();
            if kinds.len() >= MAX_REACTIONS && !kinds.iter().any(|(e, _)| e == emoji) {
                return Err(Error::TooManyReactions(MAX_REACTIONS));
            }
        }
        let changed = store::react(&mut tx, id, me, emoji, add, now).await?;
        if changed {
            let seq = store::next_seq(&mut tx, channel).await?;
            store::touch(&mut tx, id, seq, false).await?;
        }
        let m = store::message(&mut tx, id).await?.ok_or_else(|| Error::MessageNotFound(id.to_string()))?;
        let message =
            self.open(&mut tx, vec![m], channel).await?.pop().ok_or_else(|| Error::MessageNotFound(id.to_string()))?;
        tx.commit().await?;
        // Nothing changed (added twice, or taken back when absent): nobody
        // is told.
        if changed {
            self.broadcast(ctx.tenant, "update", &message).await;
        }
        Ok(message)
    }

    /// Moves the caller's read mark to `seq` (a read receipt for the
    /// channel's listeners).
    ///
    /// # Errors
    /// `channel_not_found`, `invalid_field`.
    pub async fn mark_read(&self, ctx: &TenantCtx, channel: ChannelId, seq: i64) -> Result<(), Error> {
        Self::writer(ctx, Role::Client, "")?;
        let Some(me) = ctx.person else { return Ok(()) };
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        let (row, members) = Self::readable(&mut tx, &Reader::of(ctx), channel).await?;
        if seq < 0 {
            return Err(Error::Invalid("/seq", "A message number is 0 or more.".into()));
        }
        // Beyond the latest message is the latest: everything is read.
        let seq = seq.min(row.last_seq);
        if !members.iter().any(|(u, _)| *u == me) {
            store::add_members(&mut tx, channel, &[me], self.now()).await?;
        }
        let moved = store::mark_read(&mut tx, channel, me, seq).await?;
        tx.commit().await?;
        if moved {
            let payload = json!({ "type": "read", "channel": channel, "user": me, "seq": seq }).to_string();
            self.0.hub.publish(ctx.tenant, Scope::Channel(channel), payload).await;
        }
        Ok(())
    }

    /// Tells the channel's listeners the caller is typing.
    pub async fn typing(&self, ctx: &TenantCtx, channel: ChannelId) {
        let Some(me) = ctx.person.filter(|_| !ctx.read_only) else { return };
        let payload = json!({ "type": "typing", "channel": channel, "user": me }).to_string();
        self.0.hub.publish(ctx.tenant, Scope::Channel(channel), payload).await;
    }

    /// Who of the workspace is online or away.
    pub async fn presence(&self, ctx: &TenantCtx) -> Vec<Presence> {
        let mut out: Vec<Presence> =
            self.0.hub.presence(ctx.tenant).await.into_iter().map(|(user, status)| Presence { user, status }).collect();
        out.sort_by_key(|p| p.user);
        out
    }

    /// Tells the workspace a person's status changed.
    pub async fn announce_presence(&self, change: Option<(TenantId, UserId, Status)>) {
        if let Some((tenant, user, status)) = change {
            let payload = json!({ "type": "presence", "user": user, "status": status }).to_string();
            self.0.hub.publish(tenant, Scope::Tenant, payload).await;
        }
    }
}

//! This replica's connections and what each listens to; fan-out of events
//! to them, and presence.
//!
//! An event is serialised once and handed to each listening connection's
//! bounded queue without waiting: a connection whose queue is full is a
//! slow consumer and is told to close (it reconnects and recovers what it
//! missed from the database), so one slow client never grows memory or
//! holds up the others.
//!
//! Across replicas (scale-out mode) every event also goes through the Bus
//! (Redis) once, tagged with this replica's id; each replica delivers the
//! events of the others to its own connections. Presence is kept per
//! replica and, with Redis, in one hash per tenant whose fields expire
//! unless refreshed, so when a replica stops its people fall back to
//! whatever their other connections say within a minute, and a replica
//! that restarts finds the rest of the workspace's presence where it was.

use crate::model::{ChannelId, Status};
use axum::extract::ws::Utf8Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use stackpro_core::ids::{TenantId, UserId};
use stackpro_store::{Bus, Redis};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// Events a connection may have waiting before it counts as slow.
pub const QUEUE: usize = 256;
/// The Bus topic of realtime events.
const TOPIC: &str = "realtime";
/// How long a replica's presence entry lives without a refresh.
const PRESENCE_TTL: Duration = Duration::from_secs(60);
/// How often a replica refreshes its presence entries.
const PRESENCE_REFRESH: Duration = Duration::from_secs(20);

/// Who an event is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to", content = "id")]
pub enum Scope {
    /// Everyone subscribed to a channel.
    Channel(ChannelId),
    /// Every connection of the workspace.
    Tenant,
    /// Every connection of one person.
    User(UserId),
}

/// What crosses the Bus.
#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: u64,
    tenant: TenantId,
    scope: Scope,
    payload: String,
}

/// A connection's id on this replica.
pub type ConnId = u64;

/// What a connection's writer receives.
#[derive(Debug)]
pub enum Outgoing {
    /// A text frame.
    Text(Utf8Bytes),
    /// A close frame with its code and reason; the last thing written.
    Close(u16, &'static str),
}

struct Conn {
    tenant: TenantId,
    user: Option<UserId>,
    tx: mpsc::Sender<Outgoing>,
    /// Told when the connection must close: its queue overflowed.
    slow: Arc<Notify>,
    status: Status,
    /// Whether it counts for its person's presence (a person's own
    /// connection, not a program's with their API key).
    present: bool,
    /// The channels it listens to.
    channels: HashSet<ChannelId>,
}

#[derive(Default)]
struct State {
    conns: HashMap<ConnId, Conn>,
    channels: HashMap<(TenantId, ChannelId), HashSet<ConnId>>,
    tenants: HashMap<TenantId, HashSet<ConnId>>,
    /// Each person's connections on this replica.
    people: HashMap<(TenantId, UserId), HashSet<ConnId>>,
}

/// The connections of this replica. Cheap to clone.
#[derive(Clone)]
pub struct Hub(Arc<Inner>);

struct Inner {
    /// This replica, as the Bus knows it (random per start).
    replica: u64,
    next: AtomicU64,
    state: Mutex<State>,
    bus: Bus,
    redis: Option<Redis>,
    /// Connections one person may hold here.
    per_person: usize,
}

/// A registered connection: its id, its queue and its close signal.
pub struct Registration {
    /// Id.
    pub id: ConnId,
    /// Events to write.
    pub rx: mpsc::Receiver<Outgoing>,
    /// Notified when the connection is too slow and must close.
    pub slow: Arc<Notify>,
    /// The same queue, for the connection's own answers.
    pub tx: mpsc::Sender<Outgoing>,
}

impl Hub {
    /// A hub; with `redis`, events and presence are shared with the other
    /// replicas (call [`Hub::start`]).
    pub fn new(bus: Bus, redis: Option<Redis>, per_person: usize) -> Hub {
        Hub(Arc::new(Inner {
            replica: rand::random(),
            next: AtomicU64::new(1),
            state: Mutex::new(State::default()),
            bus,
            redis,
            per_person,
        }))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the background work of the scale-out mode: delivering other
    /// replicas' events, refreshing presence. Nothing in the embedded mode.
    pub fn start(&self) {
        if self.0.redis.is_none() {
            return;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                match hub.0.bus.subscribe(TOPIC).await {
                    Ok(mut stream) => {
                        while let Some(msg) = stream.next().await {
                            let Ok(env) = serde_json::from_slice::<Envelope>(&msg) else { continue };
                            if env.origin != hub.0.replica {
                                hub.deliver(env.tenant, env.scope, Utf8Bytes::from(env.payload));
                            }
                        }
                        tracing::warn!("realtime: the bus subscription ended; subscribing again");
                    }
                    Err(e) => tracing::warn!(error = %e, "realtime: cannot subscribe to the bus; retrying"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let hub = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PRESENCE_REFRESH);
            loop {
                tick.tick().await;
                hub.refresh_presence().await;
            }
        });
    }

    /// Registers a connection acting for `user` in `tenant` (`present`: the
    /// person themself, not a program with their key); `None` when the
    /// person already holds as many connections here as allowed.
    pub fn register(&self, tenant: TenantId, user: Option<UserId>, present: bool) -> Option<Registration> {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE);
        let slow = Arc::new(Notify::new());
        let mut s = self.state();
        if let Some(u) = user {
            let mine = s.people.entry((tenant, u)).or_default();
            if mine.len() >= self.0.per_person {
                return None;
            }
            mine.insert(id);
        }
        s.conns.insert(
            id,
            Conn {
                tenant,
                user,
                tx: tx.clone(),
                slow: slow.clone(),
                status: Status::Online,
                present,
                channels: HashSet::new(),
            },
        );
        s.tenants.entry(tenant).or_default().insert(id);
        Some(Registration { id, rx, slow, tx })
    }

    /// Forgets a connection and everything it listened to.
    pub fn unregister(&self, id: ConnId) {
        let mut s = self.state();
        let Some(conn) = s.conns.remove(&id) else { return };
        if let Some(u) = conn.user {
            if let Some(set) = s.people.get_mut(&(conn.tenant, u)) {
                set.remove(&id);
                if set.is_empty() {
                    s.people.remove(&(conn.tenant, u));
                }
            }
        }
        for ch in &conn.channels {
            if let Some(set) = s.channels.get_mut(&(conn.tenant, *ch)) {
                set.remove(&id);
                if set.is_empty() {
                    s.channels.remove(&(conn.tenant, *ch));
                }
            }
        }
        if let Some(set) = s.tenants.get_mut(&conn.tenant) {
            set.remove(&id);
            if set.is_empty() {
                s.tenants.remove(&conn.tenant);
            }
        }
    }

    /// Starts sending a channel's events to a connection.
    pub fn join(&self, id: ConnId, channel: ChannelId) {
        let mut s = self.state();
        let Some(conn) = s.conns.get_mut(&id) else { return };
        conn.channels.insert(channel);
        let tenant = conn.tenant;
        s.channels.entry((tenant, channel)).or_default().insert(id);
    }

    /// Stops sending a channel's events to a connection.
    pub fn leave(&self, id: ConnId, channel: ChannelId) {
        let mut s = self.state();
        let Some(conn) = s.conns.get_mut(&id) else { return };
        conn.channels.remove(&channel);
        let tenant = conn.tenant;
        if let Some(set) = s.channels.get_mut(&(tenant, channel)) {
            set.remove(&id);
            if set.is_empty() {
                s.channels.remove(&(tenant, channel));
            }
        }
    }

    /// Stops sending a channel's events to every connection of `user`
    /// (removed from the channel). Returns the connections concerned.
    pub fn leave_user(&self, tenant: TenantId, user: UserId, channel: ChannelId) -> Vec<ConnId> {
        let mut s = self.state();
        let ids: Vec<ConnId> = s.people.get(&(tenant, user)).into_iter().flatten().copied().collect();
        for id in &ids {
            if let Some(c) = s.conns.get_mut(id) {
                c.channels.remove(&channel);
            }
        }
        if let Some(set) = s.channels.get_mut(&(tenant, channel)) {
            for id in &ids {
                set.remove(id);
            }
        }
        ids
    }

    /// Sends an event to this replica's listeners and, in the scale-out
    /// mode, to the other replicas'.
    pub async fn publish(&self, tenant: TenantId, scope: Scope, payload: String) {
        let text = Utf8Bytes::from(payload.clone());
        self.deliver(tenant, scope, text);
        if self.0.redis.is_some() {
            let env = Envelope { origin: self.0.replica, tenant, scope, payload };
            if let Ok(bytes) = serde_json::to_vec(&env) {
                if let Err(e) = self.0.bus.publish(TOPIC, bytes.into()).await {
                    // Clients of other replicas recover from the database
                    // when they next reconnect or resubscribe.
                    tracing::warn!(error = %e, "realtime: the event reached this replica only");
                }
            }
        }
    }

    /// Hands an event to each listening connection of this replica.
    pub fn deliver(&self, tenant: TenantId, scope: Scope, text: Utf8Bytes) {
        let s = self.state();
        let send = |id: &ConnId| {
            if let Some(c) = s.conns.get(id) {
                if c.tx.try_send(Outgoing::Text(text.clone())).is_err() {
                    c.slow.notify_one();
                }
            }
        };
        match scope {
            Scope::Channel(ch) => s.channels.get(&(tenant, ch)).into_iter().flatten().for_each(send),
            Scope::Tenant => s.tenants.get(&tenant).into_iter().flatten().for_each(send),
            Scope::User(u) => s.people.get(&(tenant, u)).into_iter().flatten().for_each(send),
        }
    }

    /// How many connections this replica holds.
    pub fn connections(&self) -> usize {
        self.state().conns.len()
    }

    // ---- presence -----------------------------------------------------------

    /// The status of `user` from this replica's connections alone.
    fn local_status(s: &State, tenant: TenantId, user: UserId) -> Status {
        let mut best = Status::Offline;
        for c in
            s.people.get(&(tenant, user)).into_iter().flatten().filter_map(|id| s.conns.get(id)).filter(|c| c.present)
        {
            match c.status {
                Status::Online => return Status::Online,
                Status::Away => best = Status::Away,
                Status::Offline => {}
            }
        }
        best
    }

    /// Whether a connection listens to a channel (not after its person was
    /// removed from it).
    pub fn listens(&self, id: ConnId, channel: ChannelId) -> bool {
        self.state().conns.get(&id).is_some_and(|c| c.channels.contains(&channel))
    }

    /// How many channels a connection listens to.
    pub fn subscriptions(&self, id: ConnId) -> usize {
        self.state().conns.get(&id).map_or(0, |c| c.channels.len())
    }

    /// Sets a connection's status; the person's status (all their
    /// connections, on every replica) when it changed.
    pub async fn set_status(&self, id: ConnId, status: Status) -> Option<(TenantId, UserId, Status)> {
        let (tenant, user, before, after) = {
            let mut s = self.state();
            let (tenant, user) = {
                let c = s.conns.get(&id)?;
                (c.tenant, c.user?)
            };
            let before = Self::local_status(&s, tenant, user);
            if let Some(c) = s.conns.get_mut(&id) {
                c.status = status;
            }
            (tenant, user, before, Self::local_status(&s, tenant, user))
        };
        self.changed(tenant, user, before, after).await
    }

    /// Called after a connection of `user` came or went: the person's
    /// status when it changed.
    pub async fn connection_changed(
        &self,
        tenant: TenantId,
        user: UserId,
        before: Status,
    ) -> Option<(TenantId, UserId, Status)> {
        let after = Self::local_status(&self.state(), tenant, user);
        self.changed(tenant, user, before, after).await
    }

    /// The person's status from this replica's connections.
    pub fn status_here(&self, tenant: TenantId, user: UserId) -> Status {
        Self::local_status(&self.state(), tenant, user)
    }

    async fn changed(
        &self,
        tenant: TenantId,
        user: UserId,
        before: Status,
        after: Status,
    ) -> Option<(TenantId, UserId, Status)> {
        if before == after {
            return None;
        }
        self.store_presence(tenant, user, after).await;
        let elsewhere = self.elsewhere(tenant).await.get(&user).copied().unwrap_or(Status::Offline);
        let (before, after) = (merge(elsewhere, before), merge(elsewhere, after));
        (before != after).then_some((tenant, user, after))
    }

    fn field(&self, user: UserId) -> String {
        format!("{user}/{:x}", self.0.replica)
    }

    async fn store_presence(&self, tenant: TenantId, user: UserId, status: Status) {
        let Some(redis) = &self.0.redis else { return };
        let key = format!("rt:presence:{tenant}");
        let field = self.field(user);
        let cmd = if status == Status::Offline {
            redis::cmd("HDEL").arg(&key).arg(&field).to_owned()
        } else {
            let expires = chrono::Utc::now().timestamp() + PRESENCE_TTL.as_secs() as i64;
            redis::cmd("HSET").arg(&key).arg(&field).arg(format!("{}|{expires}", status.as_str())).to_owned()
        };
        if let Err(e) = redis.run(|mut c| async move { cmd.query_async::<i64>(&mut c).await }).await {
            tracing::warn!(error = %e, "realtime: presence kept on this replica only");
        }
    }

    async fn refresh_presence(&self) {
        let people: Vec<(TenantId, UserId, Status)> = {
            let s = self.state();
            s.people.keys().map(|(t, u)| (*t, *u, Self::local_status(&s, *t, *u))).collect()
        };
        for (t, u, status) in people {
            self.store_presence(t, u, status).await;
        }
    }

    /// Every person of `tenant` with a connection somewhere, with their
    /// status: this replica's connections merged with the other replicas'
    /// entries in Redis that have not expired.
    pub async fn presence(&self, tenant: TenantId) -> HashMap<UserId, Status> {
        let mut out = self.elsewhere(tenant).await;
        {
            let s = self.state();
            for c in s.tenants.get(&tenant).into_iter().flatten().filter_map(|id| s.conns.get(id)).filter(|c| c.present)
            {
                if let Some(u) = c.user {
                    let e = out.entry(u).or_insert(Status::Offline);
                    *e = merge(*e, c.status);
                }
            }
        }
        out.retain(|_, s| *s != Status::Offline);
        out
    }

    /// The statuses the other replicas hold in Redis (none without Redis).
    async fn elsewhere(&self, tenant: TenantId) -> HashMap<UserId, Status> {
        let mut out: HashMap<UserId, Status> = HashMap::new();
        let Some(redis) = &self.0.redis else { return out };
        let key = format!("rt:presence:{tenant}");
        let cmd = redis::cmd("HGETALL").arg(&key).to_owned();
        let Ok(entries) =
            redis.run(|mut c| async move { cmd.query_async::<HashMap<String, String>>(&mut c).await }).await
        else {
            return out;
        };
        let now = chrono::Utc::now().timestamp();
        let mine = format!("{:x}", self.0.replica);
        let mut expired = Vec::new();
        for (field, value) in entries {
            let (Some((user, replica)), Some((status, expires))) = (field.split_once('/'), value.split_once('|'))
            else {
                continue;
            };
            let (Ok(user), Some(status), Ok(expires)) =
                (user.parse::<UserId>(), Status::parse(status), expires.parse::<i64>())
            else {
                continue;
            };
            if expires < now {
                expired.push(field);
            } else if replica != mine {
                let e = out.entry(user).or_insert(Status::Offline);
                *e = merge(*e, status);
            }
        }
        if !expired.is_empty() {
            let cmd = redis::cmd("HDEL").arg(&key).arg(expired).to_owned();
            let _ = redis.run(|mut c| async move { cmd.query_async::<i64>(&mut c).await }).await;
        }
        out
    }

    /// One person's status across replicas.
    pub async fn status_of(&self, tenant: TenantId, user: UserId) -> Status {
        let elsewhere = self.elsewhere(tenant).await.get(&user).copied().unwrap_or(Status::Offline);
        merge(elsewhere, self.status_here(tenant, user))
    }
}

/// Two statuses of one person: online wins, then away.
fn merge(a: Status, b: Status) -> Status {
    match (a, b) {
        (Status::Online, _) | (_, Status::Online) => Status::Online,
        (Status::Away, _) | (_, Status::Away) => Status::Away,
        _ => Status::Offline,
    }
}

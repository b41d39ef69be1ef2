//! The security-event stream: every request refused for security reasons (a
//! bad or expired credential, a forbidden action, a rate limit, a bad
//! signature) is recorded with its client IP, and with its tenant when the
//! request got far enough to know one. Operators read it with `stackpro
//! security events`, a workspace's admins read their own through the API, and
//! the threat detection to come reads it to block what it sees.
//!
//! Recording never slows or fails a request: events go into a bounded queue
//! and a writer task stores them in batches. A flood stays small: the same
//! refusal (same address, kind, route, tenant and principal) repeated within
//! a minute is one row whose count grows, at most [`WINDOWS`] such rows are
//! open at once, and when an attack fills the queue further events are
//! counted as dropped rather than queued without end. The server's edge does
//! not record requests that carried no credentials at all (a browser before
//! sign-in); refused sign-ins are recorded.

use crate::error::Error;
use chrono::{DateTime, Utc};
use serde::Serialize;
use stackpro_core::ids::TenantId;
use stackpro_store::{exec, on_db, Db, SystemTx, TenantTx};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use uuid::Uuid;

/// Events waiting for the writer; beyond this they are dropped and counted.
const QUEUE: usize = 10_000;
/// Events taken from the queue per write at most.
const BATCH: usize = 2000;
/// Refusals counted in one row for at most this long.
const WINDOW: std::time::Duration = std::time::Duration::from_secs(60);
/// Rows counting at once at most; beyond, new kinds of refusal are dropped.
pub const WINDOWS: usize = 10_000;

/// One refused request.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct SecurityEvent {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The tenant the request was for, when it was known.
    pub tenant_id: Option<TenantId>,
    /// The client's IP address.
    pub ip: String,
    /// The problem code the request was answered with, e.g. `rate_limited`.
    pub kind: String,
    /// The HTTP method.
    pub method: String,
    /// The matched route template, or `unmatched`.
    pub route: String,
    /// The user or API key that made the request, when known.
    pub principal: Option<Uuid>,
    /// The answer's detail (of the first refusal the row counts).
    pub detail: String,
    /// How many such refusals, from `at` to `last_at`.
    pub count: i64,
    /// The last one counted.
    pub last_at: DateTime<Utc>,
}

/// Filters of an operator's query.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// Only this tenant's events.
    pub tenant: Option<TenantId>,
    /// Only this client IP's.
    pub ip: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only events after this.
    pub since: Option<DateTime<Utc>>,
    /// How many, newest first.
    pub limit: i64,
}

/// A refused request, as the edge of the server sees it.
#[derive(Clone, Copy, Debug)]
pub struct Refusal<'a> {
    /// The tenant, when the request got far enough to know it.
    pub tenant: Option<TenantId>,
    /// The client.
    pub ip: IpAddr,
    /// The problem code.
    pub kind: &'a str,
    /// The method.
    pub method: &'a str,
    /// The matched route template.
    pub route: &'a str,
    /// The user or API key, when known.
    pub principal: Option<Uuid>,
    /// The answer's detail.
    pub detail: &'a str,
}

/// Queues security events for the writer task. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Recorder {
    queue: mpsc::Sender<SecurityEvent>,
    dropped: Arc<AtomicU64>,
}

impl Recorder {
    /// A recorder and its writer task, which stores events into `db` until
    /// every recorder is dropped.
    pub fn start(db: Db) -> Recorder {
        let (queue, rx) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        tokio::spawn(write(db, rx, dropped.clone()));
        Recorder { queue, dropped }
    }

    /// Records an event without waiting; drops it when the queue is full.
    pub fn record(&self, r: Refusal<'_>) {
        let at = micros(Utc::now());
        let event = SecurityEvent {
            id: Uuid::now_v7(),
            at,
            tenant_id: r.tenant,
            ip: r.ip.to_string(),
            kind: r.kind.to_owned(),
            method: r.method.to_owned(),
            route: r.route.to_owned(),
            principal: r.principal,
            detail: r.detail.chars().take(300).collect(),
            count: 1,
            last_at: at,
        };
        if self.queue.try_send(event).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Events dropped because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// What makes two refusals the same, for counting them in one row.
type Key = (Option<TenantId>, String, String, String, String, Option<Uuid>);

/// A row still counting: its id, when it opened, and how many refusals
/// arrived since it was last written.
struct Window {
    id: Uuid,
    opened: std::time::Instant,
    unwritten: i64,
    last_at: DateTime<Utc>,
}

async fn write(db: Db, mut rx: mpsc::Receiver<SecurityEvent>, dropped: Arc<AtomicU64>) {
    let mut windows: std::collections::HashMap<Key, Window> = std::collections::HashMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        windows.retain(|_, w| w.opened.elapsed() < WINDOW || w.unwritten > 0);
        let mut new = Vec::new();
        for e in batch.drain(..) {
            let key = (e.tenant_id, e.ip.clone(), e.kind.clone(), e.method.clone(), e.route.clone(), e.principal);
            if let Some(w) = windows.get_mut(&key).filter(|w| w.opened.elapsed() < WINDOW) {
                w.unwritten += 1;
                w.last_at = e.at;
            } else if windows.len() >= WINDOWS && !windows.contains_key(&key) {
                dropped.fetch_add(1, Ordering::Relaxed);
            } else {
                windows
                    .insert(key, Window { id: e.id, opened: std::time::Instant::now(), unwritten: 0, last_at: e.at });
                new.push(e);
            }
        }
        let counts: Vec<(Uuid, i64, DateTime<Utc>)> =
            windows.values().filter(|w| w.unwritten > 0).map(|w| (w.id, w.unwritten, w.last_at)).collect();
        match store(&db, &new, &counts).await {
            Ok(()) => windows.values_mut().for_each(|w| w.unwritten = 0),
            Err(e) => tracing::warn!(error.cause_chain = ?e, events = new.len(), "could not store security events"),
        }
        // Let a flood gather into one write rather than one per event.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn store(db: &Db, new: &[SecurityEvent], counts: &[(Uuid, i64, DateTime<Utc>)]) -> Result<(), Error> {
    const INSERT: &str = "INSERT INTO security_events \
                          (id, at, tenant_id, ip, kind, method, route, principal, detail, count, last_at) \
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $2)";
    const COUNT: &str = "UPDATE security_events SET count = count + $2, last_at = $3 WHERE id = $1";
    if new.is_empty() && counts.is_empty() {
        return Ok(());
    }
    let mut tx = db.system_tx().await?;
    for e in new {
        exec!(
            tx,
            sqlx::query(INSERT)
                .bind(e.id)
                .bind(e.at)
                .bind(e.tenant_id)
                .bind(&e.ip)
                .bind(&e.kind)
                .bind(&e.method)
                .bind(&e.route)
                .bind(e.principal)
                .bind(&e.detail)
        )?;
    }
    for (id, n, last) in counts {
        exec!(tx, sqlx::query(COUNT).bind(id).bind(n).bind(last))?;
    }
    tx.commit().await?;
    Ok(())
}

const COLS: &str = "id, at, tenant_id, ip, kind, method, route, principal, detail, count, last_at";

/// Events across tenants, newest first, for operators.
///
/// # Errors
/// The database's error.
pub async fn query(tx: &mut SystemTx, f: &EventFilter) -> Result<Vec<SecurityEvent>, Error> {
    let sql = format!(
        "SELECT {COLS} FROM security_events WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR ip = $2) \
         AND ($3 IS NULL OR kind = $3) AND ($4 IS NULL OR at > $4) ORDER BY at DESC LIMIT $5"
    );
    Ok(on_db!(tx, |c| sqlx::query_as(&sql)
        .bind(f.tenant)
        .bind(&f.ip)
        .bind(&f.kind)
        .bind(f.since)
        .bind(f.limit)
        .fetch_all(c)
        .await)?)
}

/// One tenant's events, newest first, before `before` (an event id).
///
/// # Errors
/// The database's error.
pub async fn of_tenant(tx: &mut TenantTx, before: Option<Uuid>, limit: i64) -> Result<Vec<SecurityEvent>, Error> {
    let sql = format!(
        "SELECT {COLS} FROM security_events WHERE tenant_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
    );
    let tenant = tx.tenant_id();
    Ok(on_db!(tx, |c| sqlx::query_as(&sql).bind(tenant).bind(before).bind(limit).fetch_all(c).await)?)
}

/// Keeps a deleted tenant's events as per-IP events: the tenant is
/// forgotten, what its attackers did is not.
///
/// # Errors
/// The database's error.
pub async fn detach_tenant(tx: &mut SystemTx, tenant: TenantId) -> Result<(), Error> {
    const SQL: &str = "UPDATE security_events SET tenant_id = NULL WHERE tenant_id = $1";
    exec!(tx, sqlx::query(SQL).bind(tenant))?;
    Ok(())
}

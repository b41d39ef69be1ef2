//! The one Redis connection of a replica, shared by the bus and the counters,
//! with a deadline on every command and a breaker in front of it.
//!
//! Redis is a helper, never the truth: the database is. So when Redis stops,
//! pauses or drops the connection, a request pays at most one deadline (the
//! first to notice), the breaker opens, and every caller after it gets an
//! error at once and falls back (counters count on this replica, the bus is
//! skipped; invalidations still arrive through the database). A background
//! probe pings Redis a few times a second and closes the breaker as soon as
//! it answers, so service is shared again within a second of its return.
//!
//! The connection manager's own reconnect backoff is bounded too (one quick
//! retry, connection and response timeouts equal to the deadline): left at its
//! defaults it waits for minutes and holds every command meanwhile.

use crate::error::StoreError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often the probe pings a Redis that stopped answering.
const PROBE_EVERY: Duration = Duration::from_millis(250);

/// A shared Redis connection with deadlines and a breaker. Cheap to clone.
#[derive(Clone)]
pub struct Redis(Arc<Inner>);

struct Inner {
    client: redis::Client,
    conn: RwLock<Option<ConnectionManager>>,
    timeout: Duration,
    up: AtomicBool,
    probing: AtomicBool,
    /// Since when Redis is down, and why.
    down: Mutex<Option<(Instant, String)>>,
}

/// What `/readyz` says about Redis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedisHealth {
    /// Commands are answered.
    Up,
    /// The breaker is open: commands fail at once until the probe succeeds.
    Down {
        /// How long it has been down.
        for_secs: u64,
        /// The failure that opened the breaker.
        error: String,
    },
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis").field("up", &self.0.up.load(Ordering::Relaxed)).finish()
    }
}

impl Redis {
    /// Connects, waiting at most one deadline. A Redis that does not answer
    /// yet is not an error: the replica starts with the breaker open and the
    /// probe connects when Redis comes.
    pub async fn connect(client: redis::Client, timeout: Duration) -> Redis {
        let redis = Redis(Arc::new(Inner {
            client,
            conn: RwLock::new(None),
            timeout,
            up: AtomicBool::new(false),
            probing: AtomicBool::new(false),
            down: Mutex::new(None),
        }));
        match redis.open().await {
            Ok(conn) => {
                *redis.0.conn.write().unwrap_or_else(|p| p.into_inner()) = Some(conn);
                redis.0.up.store(true, Ordering::Release);
            }
            Err(e) => {
                tracing::warn!(error = %e, "Redis does not answer at start: rate limits count per replica until it does");
                redis.mark_down(e);
            }
        }
        redis
    }

    async fn open(&self) -> Result<ConnectionManager, String> {
        let ms = self.0.timeout.as_millis().max(1) as u64;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.0.timeout)
            .set_response_timeout(self.0.timeout)
            .set_number_of_retries(1)
            .set_factor(ms.min(100))
            .set_max_delay(ms);
        let open = ConnectionManager::new_with_config(self.0.client.clone(), config);
        match tokio::time::timeout(self.0.timeout * 2, open).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} ms", self.0.timeout.as_millis())),
        }
    }

    /// The client, for connections of their own (subscriptions).
    pub fn client(&self) -> &redis::Client {
        &self.0.client
    }

    /// The deadline of one command.
    pub fn timeout(&self) -> Duration {
        self.0.timeout
    }

    /// Whether commands are being sent (the breaker is closed).
    pub fn is_up(&self) -> bool {
        self.0.up.load(Ordering::Acquire)
    }

    /// Redis's state, for `/readyz`.
    pub fn health(&self) -> RedisHealth {
        if self.is_up() {
            return RedisHealth::Up;
        }
        match &*self.0.down.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((since, error)) => RedisHealth::Down { for_secs: since.elapsed().as_secs(), error: error.clone() },
            None => RedisHealth::Down { for_secs: 0, error: "not connected".into() },
        }
    }

    /// Runs one command (or pipeline) within the deadline.
    ///
    /// # Errors
    /// `RedisUnavailable` at once while the breaker is open, or when this
    /// command fails to reach Redis or misses its deadline (which opens the
    /// breaker); `Redis` for an error Redis answered with.
    pub async fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if !self.is_up() {
            return Err(StoreError::RedisUnavailable(self.down_reason()));
        }
        let Some(conn) = self.0.conn.read().unwrap_or_else(|p| p.into_inner()).clone() else {
            return Err(StoreError::RedisUnavailable("not connected".into()));
        };
        match tokio::time::timeout(self.0.timeout, f(conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) if is_unreachable(&e) => {
                let reason = e.to_string();
                self.mark_down(reason.clone());
                Err(StoreError::RedisUnavailable(reason))
            }
            Ok(Err(e)) => Err(StoreError::Redis(e)),
            Err(_) => {
                let reason = format!("no answer within {} ms", self.0.timeout.as_millis());
                self.mark_down(reason.clone());
                Err(StoreError::RedisUnavailable(reason))
            }
        }
    }

    fn down_reason(&self) -> String {
        self.0.down.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|d| d.1.clone()).unwrap_or_default()
    }

    /// Opens the breaker and starts the probe (once). The breaker's state
    /// and its reason change together, under the `down` lock.
    fn mark_down(&self, reason: String) {
        let was_up = {
            let mut down = self.0.down.lock().unwrap_or_else(|p| p.into_inner());
            let was_up = self.0.up.swap(false, Ordering::AcqRel);
            if was_up || down.is_none() {
                *down = Some((Instant::now(), reason.clone()));
            }
            was_up
        };
        if was_up {
            tracing::error!(error = %reason, "Redis stopped answering: rate limits count per replica, the bus is skipped");
        }
        if self.0.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move { this.probe().await });
    }

    /// Pings until Redis answers, then closes the breaker.
    async fn probe(self) {
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            let conn = self.0.conn.read().unwrap_or_else(|p| p.into_inner()).clone();
            let conn = match conn {
                Some(c) => c,
                None => match self.open().await {
                    Ok(c) => {
                        *self.0.conn.write().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
                        c
                    }
                    Err(_) => continue,
                },
            };
            let mut c = conn;
            let cmd = redis::cmd("PING");
            let ping = cmd.query_async::<String>(&mut c);
            if let Ok(Ok(_)) = tokio::time::timeout(self.0.timeout, ping).await {
                let since = {
                    let mut down = self.0.down.lock().unwrap_or_else(|p| p.into_inner());
                    // Probing ends before the breaker closes: a failure right
                    // after closing must find no probe running and start one.
                    self.0.probing.store(false, Ordering::Release);
                    self.0.up.store(true, Ordering::Release);
                    down.take()
                };
                let down_ms = since.map(|s| s.0.elapsed().as_millis() as u64).unwrap_or(0);
                tracing::warn!(redis.down_ms = down_ms, "Redis answers again: limits are shared by replicas again");
                return;
            }
        }
    }
}

/// Whether an error means Redis cannot serve now (unreachable, or answering
/// that it is loading its data, read-only after a failover, without a
/// master, or asking to try again), rather than a mistake in the command.
fn is_unreachable(e: &redis::RedisError) -> bool {
    use redis::ErrorKind as K;
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || matches!(e.kind(), K::BusyLoadingError | K::ReadOnly | K::MasterDown | K::TryAgain | K::ClusterDown)
}

//! Fixed-window counters, in-process or shared through Redis, for rate limits
//! and quotas. A window starts at the first increment of a key and lasts
//! `window`; the counter then disappears.

use crate::error::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The state of a counter after an increment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// The value after the increment.
    pub value: i64,
    /// Time until the window ends and the counter resets.
    pub resets_in: Duration,
}

/// Expiring counters. Cheap to clone.
#[derive(Clone)]
pub enum Counters {
    /// Within this process.
    Local(Arc<Mutex<HashMap<String, (i64, Instant)>>>),
    /// Shared by every replica through Redis.
    Redis(redis::aio::ConnectionManager),
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Counters::Local(_) => "Counters::Local",
            Counters::Redis(_) => "Counters::Redis",
        })
    }
}

impl Counters {
    /// In-process counters.
    pub fn local() -> Counters {
        Counters::Local(Arc::new(Mutex::new(HashMap::new())))
    }

    /// Counters on Redis.
    ///
    /// # Errors
    /// When Redis cannot be reached.
    pub async fn redis(client: redis::Client) -> Result<Counters, StoreError> {
        Ok(Counters::Redis(redis::aio::ConnectionManager::new(client).await?))
    }

    /// Adds `by` to `key` in a window of `window`, starting the window if the
    /// key is new.
    ///
    /// # Errors
    /// When Redis cannot be reached.
    pub async fn incr(&self, key: &str, by: i64, window: Duration) -> Result<Count, StoreError> {
        match self {
            Counters::Local(map) => {
                let now = Instant::now();
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                if map.len() > 100_000 {
                    map.retain(|_, (_, until)| *until > now);
                }
                let entry = map.entry(key.to_owned()).or_insert((0, now + window));
                if entry.1 <= now {
                    *entry = (0, now + window);
                }
                entry.0 += by;
                Ok(Count { value: entry.0, resets_in: entry.1.saturating_duration_since(now) })
            }
            Counters::Redis(conn) => {
                let mut conn = conn.clone();
                let ms = window.as_millis().max(1) as u64;
                // INCRBY then PEXPIRE NX (Redis 7): the window starts at the
                // first increment and is not extended by later ones.
                let (value, _, pttl): (i64, i64, i64) = redis::pipe()
                    .atomic()
                    .cmd("INCRBY")
                    .arg(key)
                    .arg(by)
                    .cmd("PEXPIRE")
                    .arg(key)
                    .arg(ms)
                    .arg("NX")
                    .cmd("PTTL")
                    .arg(key)
                    .query_async(&mut conn)
                    .await?;
                Ok(Count { value, resets_in: Duration::from_millis(pttl.max(0) as u64) })
            }
        }
    }

    /// Forgets a key (after a successful login, say).
    ///
    /// # Errors
    /// When Redis cannot be reached.
    pub async fn reset(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Counters::Local(map) => {
                map.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
                Ok(())
            }
            Counters::Redis(conn) => {
                let mut conn = conn.clone();
                redis::cmd("DEL").arg(key).query_async::<i64>(&mut conn).await?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_counter_counts_within_its_window_and_restarts_after_it() {
        let c = Counters::local();
        let w = Duration::from_millis(50);
        assert_eq!(c.incr("k", 1, w).await.unwrap().value, 1);
        assert_eq!(c.incr("k", 2, w).await.unwrap().value, 3);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(c.incr("k", 1, w).await.unwrap().value, 1);
    }
}

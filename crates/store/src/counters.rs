//! Fixed-window counters, in-process or shared through Redis, for rate limits
//! and quotas. A window starts at the first increment of a key and lasts
//! `window`; the counter then disappears.

use crate::error::StoreError;
use crate::redis::Redis;
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
///
/// With Redis they are shared by every replica; while Redis cannot be
/// reached they are counted on this replica instead (a limit of N then holds
/// per replica rather than in total), so a failing Redis weakens limits for a
/// while but never stops sign-in.
#[derive(Clone, Debug)]
pub struct Counters {
    local: Arc<Mutex<HashMap<String, (i64, Instant)>>>,
    redis: Option<Redis>,
}

impl Counters {
    /// In-process counters.
    pub fn local() -> Counters {
        Counters { local: Arc::new(Mutex::new(HashMap::new())), redis: None }
    }

    /// Counters on Redis, counted locally while it is unreachable.
    pub fn redis(redis: Redis) -> Counters {
        Counters { redis: Some(redis), ..Counters::local() }
    }

    /// Adds `by` to `key` in a window of `window`, starting the window if the
    /// key is new.
    ///
    /// # Errors
    /// When Redis answers with an error (not when it cannot be reached).
    pub async fn incr(&self, key: &str, by: i64, window: Duration) -> Result<Count, StoreError> {
        if let Some(redis) = &self.redis {
            let ms = window.as_millis().max(1) as u64;
            // INCRBY then PEXPIRE NX (Redis 7): the window starts at the
            // first increment and is not extended by later ones.
            let pipe = redis::pipe()
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
                .to_owned();
            match redis.run(|mut c| async move { pipe.query_async::<(i64, i64, i64)>(&mut c).await }).await {
                Ok((value, _, pttl)) => {
                    return Ok(Count { value, resets_in: Duration::from_millis(pttl.max(0) as u64) });
                }
                Err(StoreError::RedisUnavailable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.incr_local(key, by, window))
    }

    fn incr_local(&self, key: &str, by: i64, window: Duration) -> Count {
        let now = Instant::now();
        let mut map = self.local.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, until)| *until > now);
        }
        let entry = map.entry(key.to_owned()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += by;
        Count { value: entry.0, resets_in: entry.1.saturating_duration_since(now) }
    }

    /// Adds `by` to `key` only if the key exists (it was initialised with
    /// [`Counters::init`] and has not expired); `None` otherwise. Usage
    /// reservations start from the ledger's total, never from zero.
    ///
    /// # Errors
    /// When Redis answers with an error (not when it cannot be reached).
    pub async fn add_if_present(&self, key: &str, by: i64) -> Result<Option<i64>, StoreError> {
        if let Some(redis) = &self.redis {
            const SCRIPT: &str = "if redis.call('EXISTS', KEYS[1]) == 1 then \
                                  return redis.call('INCRBY', KEYS[1], ARGV[1]) else return false end";
            let cmd = redis::cmd("EVAL").arg(SCRIPT).arg(1).arg(key).arg(by).to_owned();
            let r = redis.run(|mut c| async move { cmd.query_async::<Option<i64>>(&mut c).await });
            match r.await {
                Ok(v) => return Ok(v),
                Err(StoreError::RedisUnavailable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let now = Instant::now();
        let mut map = self.local.lock().unwrap_or_else(|p| p.into_inner());
        Ok(match map.get_mut(key) {
            Some(entry) if entry.1 > now => {
                entry.0 += by;
                Some(entry.0)
            }
            _ => None,
        })
    }

    /// Sets `key` to `value` for `ttl` unless it exists (another replica may
    /// have initialised it first, from the same ledger).
    ///
    /// # Errors
    /// When Redis answers with an error (not when it cannot be reached).
    pub async fn init(&self, key: &str, value: i64, ttl: Duration) -> Result<(), StoreError> {
        if let Some(redis) = &self.redis {
            let ms = ttl.as_millis().max(1) as u64;
            let cmd = redis::cmd("SET").arg(key).arg(value).arg("NX").arg("PX").arg(ms).to_owned();
            match redis.run(|mut c| async move { cmd.query_async::<Option<String>>(&mut c).await }).await {
                Ok(_) => return Ok(()),
                Err(StoreError::RedisUnavailable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let now = Instant::now();
        let mut map = self.local.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some((_, until)) if *until > now => {}
            _ => {
                map.insert(key.to_owned(), (value, now + ttl));
            }
        }
        Ok(())
    }

    /// Forgets a key (after a successful login, say).
    ///
    /// # Errors
    /// When Redis answers with an error (not when it cannot be reached).
    pub async fn reset(&self, key: &str) -> Result<(), StoreError> {
        self.local.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
        if let Some(redis) = &self.redis {
            let cmd = redis::cmd("DEL").arg(key).to_owned();
            match redis.run(|mut c| async move { cmd.query_async::<i64>(&mut c).await }).await {
                Ok(_) | Err(StoreError::RedisUnavailable(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
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

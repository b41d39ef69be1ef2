//! Publish/subscribe between the parts of one process, or between replicas
//! through Redis. Messages are fire-and-forget: a subscriber that is not
//! listening misses them, and while Redis is down publishing fails at once
//! (durable work goes through [`crate::jobs`]; anything that must reach every
//! replica also has a way through the database, the bus only makes it fast).

use crate::error::StoreError;
use crate::redis::Redis;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

/// A publish/subscribe bus. Cheap to clone.
#[derive(Clone)]
pub enum Bus {
    /// Within this process.
    Local(Arc<Mutex<HashMap<String, broadcast::Sender<Bytes>>>>),
    /// Across replicas, through Redis PUBLISH/SUBSCRIBE.
    Redis(Redis),
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Bus::Local(_) => "Bus::Local",
            Bus::Redis(_) => "Bus::Redis",
        })
    }
}

impl Bus {
    /// An in-process bus.
    pub fn local() -> Bus {
        Bus::Local(Arc::new(Mutex::new(HashMap::new())))
    }

    /// A bus over Redis.
    pub fn redis(redis: Redis) -> Bus {
        Bus::Redis(redis)
    }

    /// Publishes a message on a topic.
    ///
    /// # Errors
    /// When Redis cannot be reached; the local bus never fails.
    pub async fn publish(&self, topic: &str, msg: Bytes) -> Result<(), StoreError> {
        match self {
            Bus::Local(topics) => {
                let sender = topics.lock().unwrap_or_else(|p| p.into_inner()).get(topic).cloned();
                if let Some(tx) = sender {
                    // No receiver is not an error: nobody was listening.
                    let _ = tx.send(msg);
                }
                Ok(())
            }
            Bus::Redis(redis) => {
                let cmd = redis::cmd("PUBLISH").arg(topic).arg(msg.as_ref()).to_owned();
                redis.run(|mut c| async move { cmd.query_async::<i64>(&mut c).await }).await?;
                Ok(())
            }
        }
    }

    /// Subscribes to a topic; the stream ends when the bus goes away (or the
    /// Redis connection drops). A slow local subscriber skips what it lagged
    /// behind on rather than blocking publishers.
    ///
    /// # Errors
    /// When Redis cannot be reached within its deadline.
    pub async fn subscribe(&self, topic: &str) -> Result<BoxStream<'static, Bytes>, StoreError> {
        match self {
            Bus::Local(topics) => {
                let rx = {
                    let mut map = topics.lock().unwrap_or_else(|p| p.into_inner());
                    map.retain(|_, tx| tx.receiver_count() > 0);
                    map.entry(topic.to_owned()).or_insert_with(|| broadcast::channel(1024).0).subscribe()
                };
                Ok(BroadcastStream::new(rx).filter_map(|m| async move { m.ok() }).boxed())
            }
            Bus::Redis(redis) => {
                let connect = async {
                    let mut pubsub = redis.client().get_async_pubsub().await?;
                    pubsub.subscribe(topic).await?;
                    Ok::<_, redis::RedisError>(pubsub)
                };
                let pubsub = tokio::time::timeout(redis.timeout() * 2, connect)
                    .await
                    .map_err(|_| StoreError::RedisUnavailable("subscribing timed out".into()))??;
                Ok(pubsub.into_on_message().map(|m| Bytes::copy_from_slice(m.get_payload_bytes())).boxed())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_subscriber_receives_what_is_published_on_its_topic_only() {
        let bus = Bus::local();
        let mut a = bus.subscribe("a").await.unwrap();
        let mut b = bus.subscribe("b").await.unwrap();
        bus.publish("a", Bytes::from_static(b"hello")).await.unwrap();
        assert_eq!(a.next().await.unwrap(), Bytes::from_static(b"hello"));
        bus.publish("b", Bytes::from_static(b"other")).await.unwrap();
        assert_eq!(b.next().await.unwrap(), Bytes::from_static(b"other"));
    }
}

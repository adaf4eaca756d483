//! The writer: what is queued goes out in order, in pipelines, and goes back to the front of
//! the queue when Redis cannot take it.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Outbox, Outgoing};
use crate::keys::Keys;
use crate::link::Link;

impl Outbox {
    /// Publishes what is handed over, in order, until the process ends. After Redis was
    /// unreachable, what waited is held back until as many nodes listen to the bus again as
    /// were alive before (`listeners()`, this node included), or until it is about to expire:
    /// pub/sub delivers only to those subscribed at that moment.
    pub(crate) async fn run(&self, link: &Link, keys: &Keys, listeners: impl Fn() -> usize) {
        let mut recovering = false;
        loop {
            if recovering {
                self.until_listened(link, keys, listeners()).await;
                recovering = false;
            }
            let batch = self.take_batch();
            if batch.is_empty() {
                self.wake.notified().await;
                continue;
            }
            self.sending.store(batch.len(), Ordering::Relaxed);
            let pipelines = pipelines(keys, &batch);
            let sent = link
                .run(|mut connection| async move {
                    for pipeline in pipelines {
                        pipeline.query_async::<()>(&mut connection).await?;
                    }
                    Ok(())
                })
                .await;
            if let Err(error) = sent {
                tracing::debug!(%error, waiting = batch.len(), "messages for the other nodes wait for Redis");
                self.put_back(batch);
                recovering = true;
                self.sending.store(0, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            } else {
                self.sending.store(0, Ordering::Relaxed);
            }
        }
    }

    /// Waits until `expected` subscribers listen to the bus, or until the oldest waiting
    /// message is about to expire.
    async fn until_listened(&self, link: &Link, keys: &Keys, expected: usize) {
        let bus = keys.bus(&self.node);
        let count = if keys.sharded() {
            "SHARDNUMSUB"
        } else {
            "NUMSUB"
        };
        loop {
            let oldest = self.lock().messages.front().map(|m| m.queued.elapsed());
            if oldest.is_none_or(|age| age + Duration::from_millis(100) >= self.max_age) {
                return;
            }
            let bus = bus.clone();
            let listening: Result<Vec<(String, usize)>, _> = link
                .run(|mut connection| async move {
                    redis::cmd("PUBSUB")
                        .arg(count)
                        .arg(bus)
                        .query_async(&mut connection)
                        .await
                })
                .await;
            if let Ok(counts) = listening
                && counts.first().is_some_and(|(_, count)| *count >= expected)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits, for at most `within`, until the writer has sent what is queued (including the
    /// batch it is sending): used when the node stops.
    pub(crate) async fn flushed(&self, within: Duration) {
        let _ = tokio::time::timeout(within, async {
            while !self.lock().messages.is_empty() || self.sending.load(Ordering::Relaxed) > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    }
}

/// The pipelines that send `batch` in order. On a Redis Cluster (sharded pub/sub, `SPUBLISH`)
/// a pipeline must stay within one slot: one per channel, each in the batch's order (a node's
/// broadcasts all share one channel, so they keep their order).
fn pipelines(keys: &Keys, batch: &[Outgoing]) -> Vec<redis::Pipeline> {
    if !keys.sharded() {
        let mut pipeline = redis::pipe();
        for message in batch {
            pipeline.publish(&message.channel, &message.bytes).ignore();
        }
        return vec![pipeline];
    }
    let mut by_channel: Vec<(&str, redis::Pipeline)> = Vec::new();
    for message in batch {
        let index = match by_channel.iter().position(|(c, _)| *c == message.channel) {
            Some(index) => index,
            None => {
                by_channel.push((&message.channel, redis::pipe()));
                by_channel.len() - 1
            }
        };
        by_channel[index]
            .1
            .cmd("SPUBLISH")
            .arg(&message.channel)
            .arg(&message.bytes)
            .ignore();
    }
    by_channel
        .into_iter()
        .map(|(_, pipeline)| pipeline)
        .collect()
}

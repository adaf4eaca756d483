//! What this node sends to the others, in the order it was handed over, through one writer.
//!
//! One writer, so messages leave in order (Redis keeps each connection's order, and every
//! subscriber reads in order): events from one publisher reach every node in the order they
//! were sent. The hub hands messages over without waiting; while Redis cannot be reached
//! they wait here, bounded in number, bytes and age, and what is dropped is counted. A batch
//! whose sending failed is sent again: receivers skip what they already had by its sequence
//! number, so nothing arrives twice.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::Config;
use crate::envelope::{Body, Envelope, VERSION};
use crate::keys::Keys;
use crate::link::Link;

/// Messages sent in one pipeline at most.
const BATCH: usize = 512;

pub(crate) struct Outbox {
    node: String,
    queue: Mutex<Queue>,
    wake: Notify,
    next_seq: AtomicU64,
    dropped: AtomicU64,
    max_messages: usize,
    max_bytes: usize,
    max_age: Duration,
}

#[derive(Default)]
struct Queue {
    messages: VecDeque<Outgoing>,
    bytes: usize,
}

struct Outgoing {
    /// The Redis channel it is published on.
    channel: String,
    bytes: Vec<u8>,
    queued: Instant,
}

impl Outbox {
    pub(crate) fn new(node: String, config: &Config) -> Self {
        Outbox {
            node,
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
            next_seq: AtomicU64::new(1),
            dropped: AtomicU64::new(0),
            max_messages: config.buffer_messages.max(1),
            max_bytes: config.buffer_bytes,
            max_age: config.buffer_max_age,
        }
    }

    /// Sends `body` to every node, numbered.
    pub(crate) fn broadcast(&self, keys: &Keys, body: Body) {
        // Numbered under the queue's lock, so numbers follow the order of the queue.
        let mut queue = self.lock();
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let bytes = self.envelope(Some(seq), body).encode();
        self.push(&mut queue, keys.bus(&self.node), bytes);
    }

    /// Sends `body` to one node only (an answer to its question).
    pub(crate) fn send_to(&self, keys: &Keys, node: &str, body: Body) {
        let bytes = self.envelope(None, body).encode();
        let mut queue = self.lock();
        self.push(&mut queue, keys.inbox(node), bytes);
    }

    /// Messages dropped since start-up: the buffer was full, or they waited too long.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

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
                tokio::time::sleep(Duration::from_millis(50)).await;
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

    /// Waits, for at most `within`, until the writer has sent what is queued: used when the
    /// node stops.
    pub(crate) async fn flushed(&self, within: Duration) {
        let _ = tokio::time::timeout(within, async {
            while !self.lock().messages.is_empty() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    }

    fn envelope(&self, seq: Option<u64>, body: Body) -> Envelope {
        Envelope {
            v: VERSION,
            node: self.node.clone(),
            seq,
            ts: now_ms(),
            body,
        }
    }

    fn push(&self, queue: &mut Queue, channel: String, bytes: Vec<u8>) {
        queue.bytes += bytes.len();
        queue.messages.push_back(Outgoing {
            channel,
            bytes,
            queued: Instant::now(),
        });
        // The oldest go first: what comes after an outage matters more than what it held up.
        let mut dropped = 0;
        while queue.messages.len() > self.max_messages
            || (queue.bytes > self.max_bytes && queue.messages.len() > 1)
        {
            if let Some(old) = queue.messages.pop_front() {
                queue.bytes -= old.bytes.len();
                dropped += 1;
            }
        }
        self.count_dropped(dropped, "the buffer for the other nodes is full");
        self.wake.notify_one();
    }

    fn take_batch(&self) -> Vec<Outgoing> {
        let mut queue = self.lock();
        let now = Instant::now();
        let mut expired = 0;
        while let Some(front) = queue.messages.front()
            && now.duration_since(front.queued) > self.max_age
        {
            let old = queue.messages.pop_front().expect("a front message");
            queue.bytes -= old.bytes.len();
            expired += 1;
        }
        self.count_dropped(
            expired,
            "messages for the other nodes waited too long for Redis",
        );
        let take = queue.messages.len().min(BATCH);
        let batch: Vec<Outgoing> = queue.messages.drain(..take).collect();
        queue.bytes -= batch.iter().map(|m| m.bytes.len()).sum::<usize>();
        batch
    }

    fn put_back(&self, batch: Vec<Outgoing>) {
        let mut queue = self.lock();
        for message in batch.into_iter().rev() {
            queue.bytes += message.bytes.len();
            queue.messages.push_front(message);
        }
    }

    fn count_dropped(&self, count: u64, why: &str) {
        if count > 0 {
            let total = self.dropped.fetch_add(count, Ordering::Relaxed) + count;
            tracing::warn!(
                dropped = count,
                dropped_since_start = total,
                "{why}; dropped the oldest"
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
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

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RedisAddress;

    fn outbox(messages: usize, bytes: usize) -> (Outbox, Keys) {
        let config = Config {
            buffer_messages: messages,
            buffer_bytes: bytes,
            ..Config::new(RedisAddress::Server("redis://127.0.0.1".into()))
        };
        (Outbox::new("me".into(), &config), Keys::new("sc:", false))
    }

    fn seqs(batch: &[Outgoing]) -> Vec<u64> {
        batch
            .iter()
            .map(|m| Envelope::decode(&m.bytes).unwrap().seq.unwrap())
            .collect()
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_and_counts_them() {
        let (outbox, keys) = outbox(3, usize::MAX);
        for _ in 0..5 {
            outbox.broadcast(&keys, Body::Bye {});
        }
        assert_eq!(outbox.dropped(), 2);
        assert_eq!(seqs(&outbox.take_batch()), vec![3, 4, 5]);
    }

    #[test]
    fn a_batch_that_could_not_be_sent_goes_back_first() {
        let (outbox, keys) = outbox(100, usize::MAX);
        for _ in 0..3 {
            outbox.broadcast(&keys, Body::Bye {});
        }
        let batch = outbox.take_batch();
        outbox.broadcast(&keys, Body::Bye {});
        outbox.put_back(batch);
        assert_eq!(seqs(&outbox.take_batch()), vec![1, 2, 3, 4]);
        assert_eq!(outbox.lock().bytes, 0);
    }

    #[test]
    fn the_byte_budget_keeps_at_least_the_newest_message() {
        let (outbox, keys) = outbox(100, 10);
        outbox.broadcast(&keys, Body::Bye {});
        outbox.broadcast(&keys, Body::Bye {});
        assert_eq!(outbox.dropped(), 1);
        assert_eq!(seqs(&outbox.take_batch()), vec![2]);
    }
}

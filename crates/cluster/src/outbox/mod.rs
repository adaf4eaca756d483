//! What this node sends to the others, in the order it was handed over, through one writer.
//!
//! One writer, so messages leave in order (Redis keeps each connection's order, and every
//! subscriber reads in order): events from one publisher reach every node in the order they
//! were sent. The hub hands messages over without waiting; while Redis cannot be reached
//! they wait here, bounded in number, bytes and age, and what is dropped is counted. A batch
//! whose sending failed is sent again: receivers skip what they already had by its sequence
//! number, so nothing arrives twice.

mod writer;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sidecast_core::LogLimit;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::Config;
use crate::envelope::{Body, Envelope, VERSION};
use crate::keys::Keys;

/// Messages sent in one pipeline at most.
const BATCH: usize = 512;

pub(crate) struct Outbox {
    node: String,
    queue: Mutex<Queue>,
    /// Messages taken by the writer and not sent yet.
    sending: AtomicUsize,
    /// The largest message the other nodes take; a larger one is dropped here (and counted)
    /// rather than sent for nothing.
    max_message_bytes: usize,
    wake: Notify,
    next_seq: AtomicU64,
    dropped: AtomicU64,
    /// Drops come in runs while Redis is away: logged at most once in a while.
    dropped_log: LogLimit,
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
            sending: AtomicUsize::new(0),
            max_message_bytes: config.max_message_bytes,
            wake: Notify::new(),
            next_seq: AtomicU64::new(1),
            dropped: AtomicU64::new(0),
            dropped_log: LogLimit::default(),
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

    /// Messages numbered for every node since start-up (sent, or queued to be).
    pub(crate) fn sent(&self) -> u64 {
        self.next_seq.load(Ordering::Relaxed) - 1
    }

    /// Messages dropped since start-up: the buffer was full, or they waited too long.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
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
        if bytes.len() > self.max_message_bytes {
            self.count_dropped(1, "a message for the other nodes is larger than they take");
            return;
        }
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
        self.count_dropped(
            dropped,
            "the buffer for the other nodes is full: the oldest were",
        );
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
            if let Some(held_back) = self.dropped_log.check() {
                tracing::warn!(
                    dropped = count,
                    dropped_since_start = total,
                    like_this_since_last_line = held_back,
                    "{why}; dropped"
                );
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

#[cfg(test)]
mod tests;

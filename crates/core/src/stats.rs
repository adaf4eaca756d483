//! Counters kept by the hub: what came in, what was handed to subscribers, what could not be
//! and why, and how long handing it over took.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::metrics::{Counter, Histogram, HistogramSnapshot};
use crate::subscriber::Undelivered;

#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Counted in every build, whatever the `census` feature: the server's shutdown waits for
    /// it to stop moving (`--publisher-grace`).
    publications: AtomicU64,
    pub(crate) client_events: Counter,
    pub(crate) deliveries: Counter,
    queue_full: Counter,
    closed: Counter,
    encoding: Counter,
    /// From taking a publication to the last subscriber's queue holding it.
    pub(crate) fan_out: Histogram,
}

impl Stats {
    pub(crate) fn published(&self) {
        self.publications.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message or notice a subscriber could not take; returns the drops so far.
    pub(crate) fn drop_one(&self, reason: Undelivered) -> u64 {
        self.add_drops(&DropCounts::one(reason))
    }

    pub(crate) fn add_drops(&self, drops: &DropCounts) -> u64 {
        self.queue_full.add(drops.queue_full)
            + self.closed.add(drops.closed)
            + self.encoding.add(drops.encoding)
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let dropped_by = DropCounts {
            queue_full: self.queue_full.get(),
            closed: self.closed.get(),
            encoding: self.encoding.get(),
        };
        StatsSnapshot {
            publications: self.publications.load(Ordering::Relaxed),
            client_events: self.client_events.get(),
            deliveries: self.deliveries.get(),
            dropped: dropped_by.total(),
            dropped_by,
        }
    }

    pub(crate) fn fan_out(&self) -> HistogramSnapshot {
        self.fan_out.snapshot()
    }
}

/// The hub's counters since start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StatsSnapshot {
    /// Events published (one per publication, whatever its number of channels), client
    /// events included.
    pub publications: u64,
    /// Client events (whispers) this node's clients sent and were relayed.
    pub client_events: u64,
    /// Messages handed to subscribers.
    pub deliveries: u64,
    /// Messages and notices a subscriber could not take, for any reason.
    pub dropped: u64,
    /// The same, by reason.
    pub dropped_by: DropCounts,
}

impl StatsSnapshot {
    /// Adds another hub's counters to these.
    pub fn add(&mut self, other: &StatsSnapshot) {
        self.publications += other.publications;
        self.client_events += other.client_events;
        self.deliveries += other.deliveries;
        self.dropped += other.dropped;
        self.dropped_by.queue_full += other.dropped_by.queue_full;
        self.dropped_by.closed += other.dropped_by.closed;
        self.dropped_by.encoding += other.dropped_by.encoding;
    }
}

/// Messages not delivered, by [`Undelivered`] reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DropCounts {
    /// The connection's outgoing queue was full: the client reads slower than events come.
    pub queue_full: u64,
    /// The connection was closing.
    pub closed: u64,
    /// The front end could not encode the message.
    pub encoding: u64,
}

impl DropCounts {
    pub(crate) fn one(reason: Undelivered) -> Self {
        let mut drops = DropCounts::default();
        drops.count(reason);
        drops
    }

    pub(crate) fn count(&mut self, reason: Undelivered) {
        match reason {
            Undelivered::QueueFull => self.queue_full += 1,
            Undelivered::Closed => self.closed += 1,
            Undelivered::Encoding => self.encoding += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.queue_full + self.closed + self.encoding
    }
}

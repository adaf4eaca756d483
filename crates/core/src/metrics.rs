//! The primitives every crate counts with, where things happen: a [`Counter`] that only goes
//! up, a [`Gauge`] that goes up and down, and a latency [`Histogram`] with fixed buckets. The
//! server reads them all into one census for `/metrics`, `sidecast status`, the dashboard and
//! PHP's `Sidecast::stats()`; nothing here knows any of those views.
//!
//! Relaxed atomics: counting costs one uncontended add on the hot path, and a reader may see a
//! figure a moment old, never a torn one. Figures are read for reports, never used to decide.
//! Without the `census` feature every primitive here counts nothing (a benchmark compares).

mod histogram;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

pub use histogram::{BUCKET_BOUNDS_SECONDS, Histogram, HistogramSnapshot, Stopwatch};

/// Whether this build counts (the `census` feature).
pub const COUNTING: bool = cfg!(feature = "census");

/// A count that only goes up (events, refusals, reconnects).
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n` and returns the new total, for the log lines that quote it.
    pub fn add(&self, n: u64) -> u64 {
        if !COUNTING {
            return 0;
        }
        self.0.fetch_add(n, Ordering::Relaxed).wrapping_add(n)
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A level that goes up and down (open connections, the state of a link).
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub const fn new() -> Self {
        Gauge(AtomicI64::new(0))
    }

    pub fn inc(&self) {
        if COUNTING {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn dec(&self) {
        if COUNTING {
            self.0.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub fn set(&self, value: i64) {
        if COUNTING {
            self.0.store(value, Ordering::Relaxed);
        }
    }

    /// The level; never below zero, even if a reader sees a decrement before its increment.
    pub fn get(&self) -> u64 {
        u64::try_from(self.0.load(Ordering::Relaxed)).unwrap_or(0)
    }
}

/// A [`Gauge`] held up for as long as this guard lives: an open connection counts from its
/// start to its end whichever way it ends.
#[derive(Debug)]
pub struct Held<'a>(&'a Gauge);

impl<'a> Held<'a> {
    pub fn new(gauge: &'a Gauge) -> Self {
        gauge.inc();
        Held(gauge)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A front end's client connections: open now, opened and closed since start-up.
#[derive(Debug, Default)]
pub struct Connections {
    open: Gauge,
    opened: Counter,
    closed: Counter,
}

impl Connections {
    pub const fn new() -> Self {
        Connections {
            open: Gauge::new(),
            opened: Counter::new(),
            closed: Counter::new(),
        }
    }

    pub fn opened(&self) {
        self.opened.inc();
        self.open.inc();
    }

    pub fn closed(&self) {
        self.closed.inc();
        self.open.dec();
    }

    /// Counts a connection opened now and closed when the guard drops, however it ends.
    pub fn open(&self) -> OpenConnection<'_> {
        self.opened();
        OpenConnection(self)
    }

    pub fn snapshot(&self) -> ConnectionFigures {
        ConnectionFigures {
            open: self.open.get(),
            opened: self.opened.get(),
            closed: self.closed.get(),
        }
    }
}

/// One connection counted open by [`Connections::open`], until dropped.
#[derive(Debug)]
pub struct OpenConnection<'a>(&'a Connections);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.closed();
    }
}

/// [`Connections`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ConnectionFigures {
    pub open: u64,
    pub opened: u64,
    pub closed: u64,
}

#[cfg(all(test, feature = "census"))]
mod tests {
    use super::*;

    #[test]
    fn counters_add_and_report_the_new_total() {
        let counter = Counter::new();
        counter.inc();
        assert_eq!(counter.add(4), 5);
        assert_eq!(counter.get(), 5);
    }

    #[test]
    fn a_held_gauge_falls_back_when_released() {
        let gauge = Gauge::new();
        {
            let _one = Held::new(&gauge);
            let _two = Held::new(&gauge);
            assert_eq!(gauge.get(), 2);
        }
        assert_eq!(gauge.get(), 0);
        gauge.dec();
        assert_eq!(gauge.get(), 0, "a level below zero reads as zero");
    }
}

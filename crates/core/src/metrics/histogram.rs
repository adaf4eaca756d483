//! Latency in fixed buckets, as Prometheus histograms have them: an observation is one
//! comparison per bucket and two relaxed adds, with no lock and no allocation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Upper bounds of the buckets, from 50 µs (a fan-out to a few sockets) to 10 s (an
/// authorization request's timeout).
pub const BUCKET_BOUNDS_SECONDS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 10.0,
];

const BOUNDS_NANOS: [u64; 16] = {
    let mut nanos = [0; 16];
    let mut i = 0;
    while i < 16 {
        nanos[i] = (BUCKET_BOUNDS_SECONDS[i] * 1e9) as u64;
        i += 1;
    }
    nanos
};

/// Observations by bucket; the last slot holds those above every bound.
#[derive(Debug)]
pub struct Histogram {
    counts: [AtomicU64; 17],
    sum_nanos: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    pub const fn new() -> Self {
        Histogram {
            counts: [const { AtomicU64::new(0) }; 17],
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, took: Duration) {
        if !super::COUNTING {
            return;
        }
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_NANOS
            .iter()
            .position(|&bound| nanos <= bound)
            .unwrap_or(BOUNDS_NANOS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observes the time since `stopwatch` started.
    pub fn observe_since(&self, stopwatch: Stopwatch) {
        if let Some(started) = stopwatch.0 {
            self.observe(started.elapsed());
        }
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut snapshot = HistogramSnapshot::default();
        snapshot.add(self);
        snapshot
    }
}

/// When something being timed started; reads no clock in a build that does not count.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Option<Instant>);

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch(super::COUNTING.then(Instant::now))
    }
}

/// A histogram's figures at one moment; several (one per app's hub) add up into one.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct HistogramSnapshot {
    /// Observations per bucket (not cumulative), the last one above every bound.
    #[serde(skip)]
    pub per_bucket: [u64; 17],
    pub count: u64,
    pub sum_seconds: f64,
}

impl HistogramSnapshot {
    /// Adds `histogram`'s observations to these.
    pub fn add(&mut self, histogram: &Histogram) {
        for (total, count) in self.per_bucket.iter_mut().zip(&histogram.counts) {
            *total += count.load(Ordering::Relaxed);
        }
        self.count = self.per_bucket.iter().sum();
        self.sum_seconds += histogram.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
    }

    /// Adds another snapshot's observations to these.
    pub fn merge(&mut self, other: &HistogramSnapshot) {
        for (total, count) in self.per_bucket.iter_mut().zip(&other.per_bucket) {
            *total += count;
        }
        self.count += other.count;
        self.sum_seconds += other.sum_seconds;
    }

    /// `(upper bound, observations at or below it)` for each bound, as Prometheus writes
    /// them; the `+Inf` bucket is the count.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut running = 0;
        BUCKET_BOUNDS_SECONDS
            .iter()
            .zip(&self.per_bucket)
            .map(|(&bound, &count)| {
                running += count;
                (bound, running)
            })
            .chain(std::iter::once((f64::INFINITY, self.count)))
            .collect()
    }

    /// The bound at or below which a `quantile` (0 to 1) of the observations fall: an upper
    /// estimate, as precise as the buckets. `None` without observations.
    pub fn quantile(&self, quantile: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let wanted = (quantile.clamp(0.0, 1.0) * self.count as f64)
            .ceil()
            .max(1.0) as u64;
        self.cumulative()
            .into_iter()
            .find(|&(_, at_or_below)| at_or_below >= wanted)
            .map(|(bound, _)| bound)
    }

    /// What was observed since `earlier`, a snapshot of the same histograms.
    pub fn since(&self, earlier: &HistogramSnapshot) -> HistogramSnapshot {
        let mut per_bucket = [0; 17];
        for (i, slot) in per_bucket.iter_mut().enumerate() {
            *slot = self.per_bucket[i].saturating_sub(earlier.per_bucket[i]);
        }
        HistogramSnapshot {
            per_bucket,
            count: per_bucket.iter().sum(),
            sum_seconds: (self.sum_seconds - earlier.sum_seconds).max(0.0),
        }
    }
}

#[cfg(all(test, feature = "census"))]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let histogram = Histogram::new();
        histogram.observe(Duration::from_micros(50));
        histogram.observe(Duration::from_micros(51));
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(60));
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.count, 4);
        let cumulative = snapshot.cumulative();
        assert_eq!(
            cumulative[0],
            (0.000_05, 1),
            "a bound includes its own value"
        );
        assert_eq!(cumulative[1], (0.000_1, 2));
        assert_eq!(cumulative[6], (0.005, 3));
        assert_eq!(cumulative[15], (10.0, 3));
        assert_eq!(cumulative[16], (f64::INFINITY, 4));
        assert!((snapshot.sum_seconds - 60.003_101).abs() < 1e-9);
    }

    #[test]
    fn quantiles_are_bucket_bounds_and_differences_count_what_came_since() {
        let histogram = Histogram::new();
        assert_eq!(histogram.snapshot().quantile(0.5), None);
        for _ in 0..99 {
            histogram.observe(Duration::from_micros(200));
        }
        let before = histogram.snapshot();
        histogram.observe(Duration::from_millis(700));
        let after = histogram.snapshot();
        assert_eq!(after.quantile(0.5), Some(0.000_25));
        assert_eq!(after.quantile(0.99), Some(0.000_25));
        assert_eq!(after.quantile(1.0), Some(1.0));
        let since = after.since(&before);
        assert_eq!((since.count, since.quantile(0.5)), (1, Some(1.0)));
    }
}

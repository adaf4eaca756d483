//! A latency histogram of bounded size and bounded relative error.
//!
//! Keeping every sample would cost 8 bytes per delivery, a gigabyte for a long fan-out run;
//! this keeps 7,424 counters whatever the run's length. Values below 256 ns are exact; above,
//! each power of two is split into 128 buckets, so a reported percentile is at most 1/128
//! (0.8 %) above the true sample, never below it (the HDR histogram's "highest equivalent
//! value"). The maximum is kept exactly.

use std::time::Duration;

/// Buckets per power of two, and the exact range below `2 * SUB_BUCKETS`.
const SUB_BUCKETS: u64 = 128;
const SUB_BUCKET_BITS: u32 = SUB_BUCKETS.trailing_zeros();
/// Enough buckets for every `u64`.
const BUCKETS: usize = (SUB_BUCKETS * (64 - SUB_BUCKET_BITS as u64 + 1)) as usize;

#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    pub fn record(&mut self, nanos: u64) {
        self.counts[bucket(nanos)] += 1;
        self.total += 1;
        self.max = self.max.max(nanos);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.max)
    }

    /// The smallest recorded value (within the bucket precision) that `percentile` per cent
    /// of the samples do not exceed; zero when nothing was recorded.
    pub fn percentile(&self, percentile: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((percentile / 100.0 * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Duration::from_nanos(highest_in_bucket(index).min(self.max));
            }
        }
        unreachable!("the counts add up to the total")
    }
}

fn bucket(value: u64) -> usize {
    if value < 2 * SUB_BUCKETS {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros();
    let shift = exponent - SUB_BUCKET_BITS;
    let group = u64::from(shift) + 1;
    let offset = (value >> shift) - SUB_BUCKETS;
    (group * SUB_BUCKETS + offset) as usize
}

fn highest_in_bucket(index: usize) -> u64 {
    let index = index as u64;
    if index < 2 * SUB_BUCKETS {
        return index;
    }
    let shift = index / SUB_BUCKETS - 1;
    let lowest = (SUB_BUCKETS + index % SUB_BUCKETS) << shift;
    lowest + ((1u64 << shift) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact() {
        for value in 0..256 {
            assert_eq!(highest_in_bucket(bucket(value)), value);
        }
    }

    #[test]
    fn every_value_lands_in_a_bucket_that_covers_it_within_the_precision() {
        let samples = (0..64).flat_map(|bit| {
            let power = 1u64 << bit;
            [power, power + 1, power.saturating_mul(3) / 2, power - 1]
        });
        for value in samples.chain([u64::MAX, 12_345_678, 999_999_999]) {
            let index = bucket(value);
            assert!(index < BUCKETS, "{value} -> {index}");
            let highest = highest_in_bucket(index);
            assert!(highest >= value, "{value} -> {highest}");
            assert!(
                (highest - value) as f64 <= value as f64 / SUB_BUCKETS as f64,
                "{value} -> {highest}"
            );
        }
    }

    #[test]
    fn buckets_are_ordered_like_their_values() {
        let mut previous = 0;
        for value in (0..40).map(|bit| (1u64 << bit) + 7) {
            let index = bucket(value);
            assert!(index >= previous);
            previous = index;
        }
    }

    #[test]
    fn percentiles_of_one_to_a_thousand_microseconds() {
        let mut histogram = Histogram::default();
        for micros in (1..=1000).rev() {
            histogram.record(micros * 1000);
        }
        assert_eq!(histogram.count(), 1000);
        let close = |percentile: f64, micros: u64| {
            let got = histogram.percentile(percentile).as_nanos() as f64;
            let want = (micros * 1000) as f64;
            assert!(
                got >= want && got <= want * (1.0 + 1.0 / 128.0),
                "p{percentile}: {got} for {want}"
            );
        };
        close(50.0, 500);
        close(90.0, 900);
        close(99.0, 990);
        assert_eq!(histogram.percentile(100.0), Duration::from_millis(1));
        assert_eq!(histogram.max(), Duration::from_millis(1));
        close(0.0, 1);
    }

    #[test]
    fn a_percentile_never_exceeds_the_maximum() {
        let mut histogram = Histogram::default();
        histogram.record(1_000_001);
        assert_eq!(histogram.percentile(50.0), Duration::from_nanos(1_000_001));
    }

    #[test]
    fn empty_and_merged_histograms() {
        let mut total = Histogram::default();
        assert_eq!(total.percentile(99.0), Duration::ZERO);
        let mut fast = Histogram::default();
        let mut slow = Histogram::default();
        for _ in 0..99 {
            fast.record(100);
        }
        slow.record(5_000_000);
        total.merge(&fast);
        total.merge(&slow);
        assert_eq!(total.count(), 100);
        assert_eq!(total.percentile(99.0), Duration::from_nanos(100));
        assert_eq!(total.percentile(99.9), Duration::from_nanos(5_000_000));
        assert_eq!(total.max(), Duration::from_millis(5));
    }
}

//! A latency histogram of bounded size and bounded relative error.
//!
//! Keeping every sample would cost 8 bytes per delivery, a gigabyte for a long fan-out run;
//! this keeps 7,424 counters whatever the run's length. Values below 256 ns are exact; above,
//! each power of two is split into 128 buckets, so a reported percentile is at most 1/128
//! (0.8 %) above the true sample, never below it (the HDR histogram's "highest equivalent
//! value"). The maximum is kept exactly.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Buckets per power of two, and the exact range below `2 * SUB_BUCKETS`.
const SUB_BUCKETS: u64 = 128;
const SUB_BUCKET_BITS: u32 = SUB_BUCKETS.trailing_zeros();
/// Enough buckets for every `u64`.
const BUCKETS: usize = (SUB_BUCKETS * (64 - SUB_BUCKET_BITS as u64 + 1)) as usize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Sparse", try_from = "Sparse")]
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

    /// Adds `other`'s samples (counts saturate: one may come from another process).
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.total = self.total.saturating_add(other.total);
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

/// A histogram as it travels between processes: only its non-empty buckets, as
/// `(bucket, count)`, and the exact maximum.
#[derive(Debug, Serialize, Deserialize)]
struct Sparse {
    buckets: Vec<(usize, u64)>,
    max: u64,
}

impl From<Histogram> for Sparse {
    fn from(histogram: Histogram) -> Self {
        let buckets = histogram.counts.iter().copied().enumerate();
        Sparse {
            buckets: buckets.filter(|&(_, count)| count > 0).collect(),
            max: histogram.max,
        }
    }
}

impl TryFrom<Sparse> for Histogram {
    type Error = String;

    /// Refuses buckets that do not exist, counts that overflow, and a maximum that does not
    /// fall in the highest non-empty bucket.
    fn try_from(sparse: Sparse) -> Result<Self, String> {
        let mut histogram = Histogram::default();
        for (index, count) in sparse.buckets {
            let slot = histogram
                .counts
                .get_mut(index)
                .ok_or_else(|| format!("bucket {index} does not exist"))?;
            *slot = slot
                .checked_add(count)
                .ok_or_else(|| format!("bucket {index} overflows"))?;
            histogram.total = histogram
                .total
                .checked_add(count)
                .ok_or("the total overflows")?;
        }
        let consistent = match histogram.counts.iter().rposition(|&count| count > 0) {
            Some(highest) => highest == bucket(sparse.max),
            None => sparse.max == 0,
        };
        if !consistent {
            return Err(format!(
                "maximum {} is not in the highest bucket",
                sparse.max
            ));
        }
        histogram.max = sparse.max;
        Ok(histogram)
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
    fn a_histogram_travels_as_json_and_comes_back_the_same() {
        let mut histogram = Histogram::default();
        for value in [3, 3, 900, 1_234_567, 80_000_000] {
            histogram.record(value);
        }
        let json = serde_json::to_string(&histogram).unwrap();
        assert_eq!(
            json.matches('[').count(),
            1 + 4,
            "only the non-empty buckets: {json}"
        );
        assert_eq!(serde_json::from_str::<Histogram>(&json).unwrap(), histogram);
        let empty = serde_json::to_string(&Histogram::default()).unwrap();
        assert_eq!(
            serde_json::from_str::<Histogram>(&empty).unwrap(),
            Histogram::default()
        );
    }

    #[test]
    fn a_histogram_from_elsewhere_is_checked() {
        for (json, why) in [
            (r#"{"buckets":[[7424,1]],"max":1}"#, "does not exist"),
            (
                r#"{"buckets":[[5,18446744073709551615],[6,1]],"max":6}"#,
                "overflows",
            ),
            (r#"{"buckets":[[5,1]],"max":900}"#, "not in the highest"),
            (r#"{"buckets":[],"max":900}"#, "not in the highest"),
            (r#"{"buckets":[[-1,1]],"max":0}"#, "invalid value"),
        ] {
            let error = serde_json::from_str::<Histogram>(json).unwrap_err();
            assert!(error.to_string().contains(why), "{json}: {error}");
        }
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

//! How long clients went without events. Each client keeps its longest *silence*, the gap
//! between two first copies of ticks it received; with `--silence-ms`, the run adds up, per
//! node, the clients whose longest silence reached that long. A bench that takes something
//! away under a steady run (a node, the cluster's Redis) reads from it when deliveries
//! stopped and when they came back, by the wall clock, to set against when it acted.

use serde::{Deserialize, Serialize};

use crate::stamp;

/// One client's longest silence so far, in `CLOCK_MONOTONIC` nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Silence {
    /// When the client last received a first copy; 0 before the first.
    last_ns: u64,
    /// The longest gap between two first copies: when it began and when it ended.
    longest: Option<(u64, u64)>,
}

impl Silence {
    /// A first copy arrived at `now_ns`.
    pub fn heard(&mut self, now_ns: u64) {
        if self.last_ns > 0 {
            let gap = now_ns.saturating_sub(self.last_ns);
            if self.longest.is_none_or(|(from, to)| gap > to - from) {
                self.longest = Some((self.last_ns, now_ns));
            }
        }
        self.last_ns = now_ns;
    }
}

/// The clients (of one node, or of all) whose longest silence lasted at least the threshold.
/// Times are `CLOCK_MONOTONIC` nanoseconds, 0 while no client counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silences {
    pub clients: u64,
    pub longest_ns: u64,
    /// The earliest beginning among their silences.
    pub first_from_ns: u64,
    /// The earliest end: the first of these clients to hear again.
    pub first_to_ns: u64,
    /// The latest end: the last of them to hear again.
    pub last_to_ns: u64,
}

impl Silences {
    /// Counts `silence` when it lasted at least `threshold_ns`.
    pub fn add(&mut self, silence: &Silence, threshold_ns: u64) {
        if let Some((from, to)) = silence.longest
            && to - from >= threshold_ns
        {
            self.merge(&Silences {
                clients: 1,
                longest_ns: to - from,
                first_from_ns: from,
                first_to_ns: to,
                last_to_ns: to,
            });
        }
    }

    /// Adds `other`'s clients (counts saturate: they may come from another process).
    pub fn merge(&mut self, other: &Silences) {
        if other.clients == 0 {
            return;
        }
        let earliest = |mine: u64, theirs: u64| if mine == 0 { theirs } else { mine.min(theirs) };
        self.first_from_ns = earliest(self.first_from_ns, other.first_from_ns);
        self.first_to_ns = earliest(self.first_to_ns, other.first_to_ns);
        self.last_to_ns = self.last_to_ns.max(other.last_to_ns);
        self.longest_ns = self.longest_ns.max(other.longest_ns);
        self.clients = self.clients.saturating_add(other.clients);
    }

    /// The report's form: milliseconds, and the times by the wall clock.
    pub fn report(&self, threshold_ms: f64) -> SilenceReport {
        let unix = |ns: u64| (self.clients > 0).then(|| stamp::unix_ms(ns));
        SilenceReport {
            threshold_ms,
            clients: self.clients,
            longest_ms: self.longest_ns as f64 / 1e6,
            first_from_unix_ms: unix(self.first_from_ns),
            first_to_unix_ms: unix(self.first_to_ns),
            last_to_unix_ms: unix(self.last_to_ns),
        }
    }
}

/// [`Silences`] in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SilenceReport {
    pub threshold_ms: f64,
    /// Clients whose longest silence lasted at least the threshold.
    pub clients: u64,
    pub longest_ms: f64,
    /// When the earliest of those silences began, in milliseconds since the Unix epoch.
    pub first_from_unix_ms: Option<f64>,
    /// When the first of those clients heard again.
    pub first_to_unix_ms: Option<f64>,
    /// When the last of them heard again.
    pub last_to_unix_ms: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silence(arrivals: &[u64]) -> Silence {
        let mut silence = Silence::default();
        for &at in arrivals {
            silence.heard(at);
        }
        silence
    }

    #[test]
    fn a_client_keeps_its_longest_gap() {
        assert_eq!(silence(&[]).longest, None);
        assert_eq!(silence(&[5]).longest, None, "one arrival is no gap");
        assert_eq!(silence(&[10, 20, 120, 130, 150]).longest, Some((20, 120)));
        assert_eq!(
            silence(&[10, 20, 30]).longest,
            Some((10, 20)),
            "the first of equal gaps"
        );
    }

    #[test]
    fn only_silences_that_reach_the_threshold_count() {
        let mut node = Silences::default();
        node.add(&silence(&[100, 110]), 50);
        assert_eq!(node, Silences::default());
        node.add(&silence(&[100, 3_100, 3_110]), 50);
        node.add(&silence(&[90, 3_200]), 50);
        assert_eq!(
            node,
            Silences {
                clients: 2,
                longest_ns: 3_110,
                first_from_ns: 90,
                first_to_ns: 3_100,
                last_to_ns: 3_200,
            }
        );
        let mut all = Silences::default();
        all.merge(&Silences::default());
        all.merge(&node);
        assert_eq!(all, node, "merging nothing changes nothing");
    }

    #[test]
    fn no_silent_client_reports_no_times() {
        let report = Silences::default().report(250.0);
        assert_eq!((report.clients, report.longest_ms), (0, 0.0));
        assert_eq!(report.first_to_unix_ms, None);
        let mut one = Silences::default();
        let now = stamp::now_ns();
        one.add(&silence(&[now, now + 2_000_000]), 1);
        let report = one.report(0.001);
        assert_eq!(report.longest_ms, 2.0);
        let to = report.first_to_unix_ms.unwrap();
        let from = report.first_from_unix_ms.unwrap();
        assert!((to - from - 2.0).abs() < 0.01, "{from} {to}");
    }
}

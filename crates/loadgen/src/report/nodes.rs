//! A cluster run's deliveries split by where the clients were: on the node that took the events
//! from the ingest path (*same node*), or on the others, which got them through the cluster
//! (*other node*). Side by side they show what passing an event between nodes adds.

use std::fmt;

use serde::Serialize;

use super::Latency;
use crate::histogram::Histogram;
use crate::nodes::Nodes;
use crate::received::{Received, Reception};
use crate::silence::SilenceReport;
use crate::tally::Tally;

#[derive(Debug, Clone, Serialize)]
pub struct NodeSplit {
    pub urls: Vec<String>,
    /// The node the ingest path belongs to (`--ingest-node`).
    pub ingest_node: usize,
    pub same_node: Group,
    pub other_node: Group,
}

/// The clients of some nodes, and what they received.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Nodes in the group.
    pub nodes: usize,
    /// Clients that connected to them.
    pub clients: u64,
    pub deliveries: Tally,
    pub latency_ms: Latency,
    /// With `--silence-ms`: the group's clients that went that long without an event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silences: Option<SilenceReport>,
}

/// Per node: clients connected, what they received, their latencies.
#[derive(Debug, Clone, Copy)]
pub struct PerNode<'a> {
    pub connected: &'a [u64],
    pub received: &'a Received,
    pub latencies: &'a [Histogram],
}

impl NodeSplit {
    /// The split of a run on `nodes`, or none when it had one node; `silence_ms` is the run's
    /// `--silence-ms`.
    pub fn of(nodes: &Nodes, per_node: PerNode<'_>, silence_ms: Option<f64>) -> Option<Self> {
        if !nodes.is_cluster() {
            return None;
        }
        let ingest = nodes.ingest();
        Some(NodeSplit {
            urls: nodes.urls().to_vec(),
            ingest_node: ingest,
            same_node: Group::of(per_node, |node| node == ingest, silence_ms),
            other_node: Group::of(per_node, |node| node != ingest, silence_ms),
        })
    }
}

impl Group {
    fn of(per_node: PerNode<'_>, member: impl Fn(usize) -> bool, silence_ms: Option<f64>) -> Self {
        let (mut nodes, mut clients) = (0, 0);
        let mut reception = Reception::default();
        let mut latencies = Histogram::default();
        for node in (0..per_node.connected.len()).filter(|&node| member(node)) {
            nodes += 1;
            clients += per_node.connected[node];
            if let Some(theirs) = per_node.received.nodes.get(node) {
                reception.tally.merge(theirs.tally);
                reception.silences.merge(&theirs.silences);
            }
            if let Some(theirs) = per_node.latencies.get(node) {
                latencies.merge(theirs);
            }
        }
        Group {
            nodes,
            clients,
            deliveries: reception.tally,
            latency_ms: Latency::of(&latencies),
            silences: silence_ms.map(|ms| reception.silences.report(ms)),
        }
    }
}

impl fmt::Display for NodeSplit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let others = self.other_node.nodes;
        for (label, group, place) in [
            (
                "same node ",
                &self.same_node,
                format!("node {}", self.ingest_node),
            ),
            (
                "other node",
                &self.other_node,
                format!("{others} other node{}", if others == 1 { "" } else { "s" }),
            ),
        ] {
            let (d, l) = (&group.deliveries, &group.latency_ms);
            writeln!(
                f,
                "{label} {} clients on {place}: deliveries {}/{}, lost {}, duplicates {}, foreign {}; latency p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} samples)",
                group.clients,
                d.delivered,
                d.expected,
                d.lost,
                d.duplicates,
                d.foreign,
                l.p50,
                l.p90,
                l.p99,
                l.max,
                l.samples
            )?;
        }
        Ok(())
    }
}

/// One line about silences: of every client, or per group in a cluster run.
pub fn silence_line(all: &SilenceReport, split: Option<&NodeSplit>) -> String {
    let parts = match split {
        Some(split) => vec![
            format!("same node {}", describe(split.same_node.silences.as_ref())),
            format!(
                "other node {}",
                describe(split.other_node.silences.as_ref())
            ),
        ],
        None => vec![describe(Some(all))],
    };
    format!(
        "silence    ≥ {} ms without an event: {}\n",
        all.threshold_ms,
        parts.join("; ")
    )
}

fn describe(silences: Option<&SilenceReport>) -> String {
    let Some(s) = silences.filter(|s| s.clients > 0) else {
        return "none".into();
    };
    let at = |unix_ms: Option<f64>| unix_ms.map_or_else(|| "?".into(), clock);
    format!(
        "{} clients, longest {:.1} ms, from {} until {} (first) – {} (last)",
        s.clients,
        s.longest_ms,
        at(s.first_from_unix_ms),
        at(s.first_to_unix_ms),
        at(s.last_to_unix_ms)
    )
}

/// A wall-clock time of day, `HH:MM:SS.mmm` UTC, from milliseconds since the Unix epoch.
fn clock(unix_ms: f64) -> String {
    let ms = unix_ms.max(0.0).round() as u64 % 86_400_000;
    format!(
        "{:02}:{:02}:{:02}.{:03} UTC",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::silence::Silences;

    fn received(per_node: &[(u64, u64)]) -> Received {
        let mut received = Received::new(per_node.len());
        for (node, &(expected, delivered)) in received.nodes.iter_mut().zip(per_node) {
            node.tally = Tally {
                expected,
                delivered,
                lost: expected - delivered,
                ..Tally::default()
            };
        }
        received
    }

    fn latencies(per_node: &[&[u64]]) -> Vec<Histogram> {
        per_node
            .iter()
            .map(|samples| {
                let mut histogram = Histogram::default();
                samples.iter().for_each(|&ns| histogram.record(ns));
                histogram
            })
            .collect()
    }

    fn three(ingest: usize) -> Nodes {
        let urls = ["http://a:1", "http://b:2", "http://c:3"];
        Nodes::new(urls.map(String::from).to_vec(), ingest).unwrap()
    }

    /// Node 1 takes the events: its clients are the same-node group, nodes 0 and 2 together
    /// the other-node group, each with its own tallies and latencies.
    #[test]
    fn the_ingest_node_is_set_against_the_others() {
        let received = received(&[(10, 10), (20, 20), (30, 27)]);
        let latencies = latencies(&[&[2_000_000], &[1_000_000, 1_000_000], &[3_000_000]]);
        let per_node = PerNode {
            connected: &[1, 2, 3],
            received: &received,
            latencies: &latencies,
        };
        let split = NodeSplit::of(&three(1), per_node, None).unwrap();
        let (same, other) = (&split.same_node, &split.other_node);
        assert_eq!(
            (same.nodes, same.clients, same.deliveries.delivered),
            (1, 2, 20)
        );
        assert_eq!((other.nodes, other.clients), (2, 4));
        assert_eq!((other.deliveries.expected, other.deliveries.lost), (40, 3));
        assert_eq!(same.latency_ms.samples, 2);
        assert!((same.latency_ms.p50 - 1.0).abs() < 0.01);
        assert_eq!(other.latency_ms.samples, 2);
        assert!((other.latency_ms.max - 3.0).abs() < 0.01);
        assert!(same.silences.is_none());
        let text = split.to_string();
        assert!(
            text.contains("same node  2 clients on node 1: deliveries 20/20, lost 0"),
            "{text}"
        );
        assert!(
            text.contains("other node 4 clients on 2 other nodes: deliveries 37/40, lost 3"),
            "{text}"
        );
    }

    #[test]
    fn one_node_has_no_split() {
        let received = received(&[(1, 1)]);
        let per_node = PerNode {
            connected: &[1],
            received: &received,
            latencies: &latencies(&[&[1]]),
        };
        assert!(NodeSplit::of(&Nodes::one("http://a:1"), per_node, None).is_none());
    }

    #[test]
    fn silences_are_reported_per_group_when_asked_for() {
        let mut received = received(&[(1, 1), (1, 1)]);
        received.nodes[1].silences = Silences {
            clients: 1,
            longest_ns: 3_000_000_000,
            first_from_ns: 1,
            first_to_ns: 3_000_000_001,
            last_to_ns: 3_000_000_001,
        };
        let latencies = latencies(&[&[], &[]]);
        let per_node = PerNode {
            connected: &[1, 1],
            received: &received,
            latencies: &latencies,
        };
        let nodes = Nodes::new(vec!["http://a:1".into(), "http://b:2".into()], 0).unwrap();
        let split = NodeSplit::of(&nodes, per_node, Some(250.0)).unwrap();
        assert_eq!(split.same_node.silences.as_ref().unwrap().clients, 0);
        assert_eq!(
            split.other_node.silences.as_ref().unwrap().longest_ms,
            3000.0
        );
        let all = received.silences().report(250.0);
        let line = silence_line(&all, Some(&split));
        assert!(
            line.starts_with("silence    ≥ 250 ms without an event: same node none; other node 1 clients, longest 3000.0 ms, from "),
            "{line}"
        );
        assert_eq!(clock(86_400_000.0 + 3_723_004.0), "01:02:03.004 UTC");
    }
}

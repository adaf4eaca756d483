//! What the clients of a run, or of one process's share, received, node by node: the tally of
//! their deliveries and their silences. Shares add up into the run's, the same way whether
//! they ran here or in a worker process.

use serde::{Deserialize, Serialize};

use crate::silence::Silences;
use crate::tally::{Tally, owed};

/// What the clients of one node received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reception {
    pub tally: Tally,
    /// Those whose longest silence reached the run's `--silence-ms` (none without it).
    pub silences: Silences,
}

/// What a share's clients received, added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// Per node, in the order of the run's URLs.
    pub nodes: Vec<Reception>,
    /// Connections that ended before the run stopped them.
    pub broken: u64,
    pub first_broken: Option<String>,
    /// Frames that could not be understood.
    pub malformed: u64,
}

impl Received {
    /// Nothing yet, from clients on `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        Received {
            nodes: vec![Reception::default(); nodes],
            ..Received::default()
        }
    }

    /// The deliveries of every node together.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for node in &self.nodes {
            tally.merge(node.tally);
        }
        tally
    }

    /// The silences of every node together.
    pub fn silences(&self) -> Silences {
        let mut silences = Silences::default();
        for node in &self.nodes {
            silences.merge(&node.silences);
        }
        silences
    }

    /// Adds `other`'s counts to these, node by node; the first reason for a broken connection
    /// stays.
    pub fn merge(&mut self, other: Received) {
        if self.nodes.len() < other.nodes.len() {
            self.nodes.resize(other.nodes.len(), Reception::default());
        }
        for (mine, theirs) in self.nodes.iter_mut().zip(other.nodes) {
            mine.tally.merge(theirs.tally);
            mine.silences.merge(&theirs.silences);
        }
        self.broken = self.broken.saturating_add(other.broken);
        self.malformed = self.malformed.saturating_add(other.malformed);
        if self.first_broken.is_none() {
            self.first_broken = other.first_broken;
        }
    }

    /// Clients that never reported: connected as counted in `connected` (per node, per
    /// channel), they are owed the events but count as having received none.
    pub fn unreported(connected: &[Vec<u64>], published: u64, reason: &str) -> Received {
        let mut received = Received::new(connected.len());
        for (node, channels) in received.nodes.iter_mut().zip(connected) {
            let count = channels.len() as u64;
            for (channel, &clients) in channels.iter().enumerate() {
                let owed = clients.saturating_mul(owed(published, count, channel as u64));
                node.tally.expected = node.tally.expected.saturating_add(owed);
                node.tally.lost = node.tally.lost.saturating_add(owed);
            }
            let clients = channels.iter().fold(0u64, |sum, &n| sum.saturating_add(n));
            received.broken = received.broken.saturating_add(clients);
        }
        if received.broken > 0 {
            received.first_broken = Some(reason.to_owned());
        }
        received
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreported_clients_are_owed_everything_and_count_as_broken() {
        // 2 channels, 5 events: channel 0 is owed 3, channel 1 is owed 2. Node 0 has two
        // clients on channel 0 and one on channel 1, node 1 one on channel 1.
        let received = Received::unreported(&[vec![2, 1], vec![0, 1]], 5, "worker gone");
        assert_eq!(received.nodes[0].tally.expected, 2 * 3 + 2);
        assert_eq!(received.nodes[1].tally.lost, 2);
        let tally = received.tally();
        assert_eq!((tally.expected, tally.lost, tally.delivered), (10, 10, 0));
        assert_eq!(received.broken, 4);
        assert_eq!(received.first_broken.as_deref(), Some("worker gone"));
        assert_eq!(
            Received::unreported(&[vec![0, 0]], 5, "x"),
            Received::new(1)
        );
        let many = Received::unreported(&[vec![u64::MAX]], 5, "x");
        assert_eq!(many.tally().lost, u64::MAX, "saturates rather than wraps");
    }

    #[test]
    fn merging_adds_counts_node_by_node_and_keeps_the_first_reason() {
        let mut total = Received {
            broken: 1,
            first_broken: Some("first".into()),
            malformed: 2,
            ..Received::new(2)
        };
        total.merge(Received {
            broken: 3,
            first_broken: Some("second".into()),
            malformed: 1,
            ..Received::unreported(&[vec![0], vec![1]], 4, "second")
        });
        assert_eq!((total.broken, total.malformed), (4, 3));
        assert_eq!(
            (total.nodes[0].tally.lost, total.nodes[1].tally.lost),
            (0, 4)
        );
        assert_eq!(total.first_broken.as_deref(), Some("first"));
        let mut empty = Received::default();
        empty.merge(total.clone());
        assert_eq!(empty, total, "nothing yet adds up to the other");
    }
}

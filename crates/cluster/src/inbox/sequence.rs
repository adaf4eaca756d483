//! The sequence numbers of what each node sends to every node: a message numbered at or
//! below the last one applied from its node was already applied (a batch sent again after a
//! failure), and numbers skipped over were sent but never arrived.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::InboxCounters;
use crate::envelope::Envelope;

/// Nodes remembered at most; past this, those not heard from for an hour are forgotten (node
/// ids are new at every start, so stopped nodes' numbers would pile up).
const REMEMBERED_NODES: usize = 1024;
const FORGOTTEN_AFTER: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub(super) struct Sequences {
    last: HashMap<String, (u64, Instant)>,
}

impl Sequences {
    /// Whether `envelope` is to be applied; counts the messages of its node skipped over.
    pub(super) fn is_new(&mut self, counters: &InboxCounters, envelope: &Envelope) -> bool {
        let Some(seq) = envelope.seq else {
            return true;
        };
        if self.last.len() >= REMEMBERED_NODES && !self.last.contains_key(&envelope.node) {
            self.last
                .retain(|_, (_, heard)| heard.elapsed() < FORGOTTEN_AFTER);
        }
        let (last, heard) = self
            .last
            .entry(envelope.node.clone())
            .or_insert((0, Instant::now()));
        *heard = Instant::now();
        if seq <= *last {
            return false;
        }
        if *last > 0 && seq > *last + 1 {
            let missed = seq - *last - 1;
            let total = counters.missed.fetch_add(missed, Ordering::Relaxed) + missed;
            if let Some(held_back) = counters.missed_log.check() {
                tracing::warn!(node = %envelope.node, missed, missed_since_start = total, gaps_like_this_since_last_line = held_back, "messages from another node never arrived");
            }
        }
        *last = seq;
        true
    }

    /// A node said goodbye: its numbers are not needed any more.
    pub(super) fn forget(&mut self, node: &str) {
        self.last.remove(node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Body, VERSION};

    fn numbered(node: &str, seq: u64) -> Envelope {
        Envelope {
            v: VERSION,
            node: node.into(),
            seq: Some(seq),
            ts: 0,
            body: Body::Bye {},
        }
    }

    #[test]
    fn repeats_are_skipped_and_gaps_counted() {
        let counters = InboxCounters::default();
        let mut sequences = Sequences::default();
        assert!(sequences.is_new(&counters, &numbered("a", 1)));
        assert!(sequences.is_new(&counters, &numbered("a", 2)));
        assert!(
            !sequences.is_new(&counters, &numbered("a", 2)),
            "sent again"
        );
        assert!(sequences.is_new(&counters, &numbered("a", 5)));
        assert_eq!(counters.missed.load(Ordering::Relaxed), 2);
        assert!(
            sequences.is_new(&counters, &numbered("b", 1)),
            "each node its own"
        );
        sequences.forget("a");
        assert!(sequences.is_new(&counters, &numbered("a", 1)));
    }
}

//! What client tasks report while the run goes on, read by the run to know when every client
//! is subscribed and when every expected delivery has arrived. Each client keeps its own
//! [`Ledger`](crate::tally::Ledger); only counters and the latency histograms (one per node)
//! are shared.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::crowd::Seat;
use crate::histogram::Histogram;

/// Latencies a client collects before taking the shared histogram's lock.
const LATENCY_BATCH: usize = 256;

#[derive(Debug)]
pub struct Board {
    /// Per channel: clients that received a probe, so are surely subscribed.
    probed: Vec<AtomicU64>,
    /// All channels together: tells at a glance whether any probe arrived since last looked.
    probed_total: AtomicU64,
    /// First copies of measured events, all clients together.
    delivered: AtomicU64,
    /// Per node: the latency of each first copy its clients received.
    latencies: Mutex<Vec<Histogram>>,
}

impl Board {
    pub fn new(channels: usize, nodes: usize) -> Self {
        Board {
            probed: (0..channels).map(|_| AtomicU64::new(0)).collect(),
            probed_total: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            latencies: Mutex::new(vec![Histogram::default(); nodes]),
        }
    }

    pub fn probed(&self, channel: usize) -> u64 {
        self.probed[channel].load(Ordering::Acquire)
    }

    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Acquire)
    }

    pub fn probed_total(&self) -> u64 {
        self.probed_total.load(Ordering::Acquire)
    }

    /// Clients of another process newly proved subscribed to `channel` (counts from
    /// elsewhere saturate rather than wrap).
    pub fn add_probed(&self, channel: usize, count: u64) {
        saturating_add(&self.probed[channel], count);
        saturating_add(&self.probed_total, count);
    }

    /// First copies another process's clients received.
    pub fn add_delivered(&self, count: u64) {
        saturating_add(&self.delivered, count);
    }

    /// Latencies another process measured, per node.
    pub fn add_latencies(&self, latencies: &[Histogram]) {
        let mut mine = self.latencies.lock().expect("no panic while recording");
        for (mine, theirs) in mine.iter_mut().zip(latencies) {
            mine.merge(theirs);
        }
    }

    /// The latencies so far, per node.
    pub fn latencies(&self) -> Vec<Histogram> {
        self.latencies
            .lock()
            .expect("no panic while recording")
            .clone()
    }
}

fn saturating_add(counter: &AtomicU64, count: u64) {
    let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
        Some(now.saturating_add(count))
    });
}

/// One client's reporting to the [`Board`].
#[derive(Debug)]
pub struct Reporter {
    board: Arc<Board>,
    seat: Seat,
    probed: bool,
    batch: Vec<u64>,
}

impl Reporter {
    pub fn new(board: Arc<Board>, seat: Seat) -> Self {
        Reporter {
            board,
            seat,
            probed: false,
            batch: Vec::with_capacity(LATENCY_BATCH),
        }
    }

    /// A probe arrived: the client is subscribed. Counted once per client.
    pub fn probe(&mut self) {
        if !self.probed {
            self.probed = true;
            self.board.probed[self.seat.channel].fetch_add(1, Ordering::AcqRel);
            self.board.probed_total.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The first copy of a measured event arrived after `latency_ns`.
    pub fn delivery(&mut self, latency_ns: u64) {
        self.batch.push(latency_ns);
        if self.batch.len() == LATENCY_BATCH {
            self.flush();
        }
        // Counted after the latency is in the batch: once the run sees every delivery
        // counted, a final flush of every client makes the histogram complete.
        self.board.delivered.fetch_add(1, Ordering::AcqRel);
    }

    /// Moves the collected latencies into the shared histogram.
    pub fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let mut latencies = self
            .board
            .latencies
            .lock()
            .expect("no panic while recording");
        let histogram = &mut latencies[self.seat.node];
        for latency in self.batch.drain(..) {
            histogram.record(latency);
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_count_once_per_client_and_latencies_arrive_on_flush() {
        let board = Arc::new(Board::new(2, 1));
        let seat = Seat {
            node: 0,
            channel: 1,
        };
        let mut first = Reporter::new(board.clone(), seat);
        first.probe();
        first.probe();
        let mut second = Reporter::new(board.clone(), seat);
        second.probe();
        assert_eq!((board.probed(0), board.probed(1)), (0, 2));
        assert_eq!(board.probed_total(), 2);

        for latency in 0..300 {
            first.delivery(latency);
        }
        assert_eq!(board.delivered(), 300);
        assert_eq!(board.latencies()[0].count(), LATENCY_BATCH as u64);
        drop(first);
        assert_eq!(board.latencies()[0].count(), 300);
    }

    #[test]
    fn latencies_are_kept_per_node() {
        let board = Arc::new(Board::new(1, 3));
        for node in [0, 2, 2] {
            Reporter::new(board.clone(), Seat { node, channel: 0 }).delivery(1_000);
        }
        let counts: Vec<u64> = board.latencies().iter().map(Histogram::count).collect();
        assert_eq!(counts, [1, 0, 2]);
        let mut theirs = vec![Histogram::default(); 3];
        theirs[1].record(5);
        board.add_latencies(&theirs);
        assert_eq!(board.latencies()[1].count(), 1);
    }

    #[test]
    fn another_process_adds_probes_and_deliveries_without_wrapping() {
        let board = Board::new(2, 1);
        board.add_probed(0, 3);
        assert_eq!((board.probed(0), board.probed_total()), (3, 3));
        board.add_delivered(u64::MAX);
        board.add_delivered(1);
        assert_eq!(board.delivered(), u64::MAX, "saturates rather than wraps");
    }
}

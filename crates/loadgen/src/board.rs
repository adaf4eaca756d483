//! What client tasks report while the run goes on, read by the run to know when every client
//! is subscribed and when every expected delivery has arrived. Each client keeps its own
//! [`Ledger`](crate::tally::Ledger); only counters and the latency histogram are shared.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    latencies: Mutex<Histogram>,
}

impl Board {
    pub fn new(channels: usize) -> Self {
        Board {
            probed: (0..channels).map(|_| AtomicU64::new(0)).collect(),
            probed_total: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            latencies: Mutex::new(Histogram::default()),
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

    /// Latencies another process measured.
    pub fn add_latencies(&self, latencies: &Histogram) {
        self.latencies
            .lock()
            .expect("no panic while recording")
            .merge(latencies);
    }

    pub fn latencies(&self) -> Histogram {
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
    channel: usize,
    probed: bool,
    batch: Vec<u64>,
}

impl Reporter {
    pub fn new(board: Arc<Board>, channel: usize) -> Self {
        Reporter {
            board,
            channel,
            probed: false,
            batch: Vec::with_capacity(LATENCY_BATCH),
        }
    }

    /// A probe arrived: the client is subscribed. Counted once per client.
    pub fn probe(&mut self) {
        if !self.probed {
            self.probed = true;
            self.board.probed[self.channel].fetch_add(1, Ordering::AcqRel);
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
        let mut histogram = self
            .board
            .latencies
            .lock()
            .expect("no panic while recording");
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
        let board = Arc::new(Board::new(2));
        let mut first = Reporter::new(board.clone(), 1);
        first.probe();
        first.probe();
        let mut second = Reporter::new(board.clone(), 1);
        second.probe();
        assert_eq!((board.probed(0), board.probed(1)), (0, 2));
        assert_eq!(board.probed_total(), 2);

        for latency in 0..300 {
            first.delivery(latency);
        }
        assert_eq!(board.delivered(), 300);
        assert_eq!(board.latencies().count(), LATENCY_BATCH as u64);
        drop(first);
        assert_eq!(board.latencies().count(), 300);
    }

    #[test]
    fn another_process_adds_probes_and_deliveries_without_wrapping() {
        let board = Board::new(2);
        board.add_probed(0, 3);
        assert_eq!((board.probed(0), board.probed_total()), (3, 3));
        board.add_delivered(u64::MAX);
        board.add_delivered(1);
        assert_eq!(board.delivered(), u64::MAX, "saturates rather than wraps");
    }
}

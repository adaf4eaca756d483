//! Who received what: every client's deliveries checked against what it should have got.
//!
//! Event `seq` goes to channel `seq % channels`, and client `i` listens on channel
//! `i % channels`, so each client knows exactly which sequence numbers it is owed. A
//! [`Ledger`] per client keeps one bit per owed event; [`Tally`] adds them up into delivered,
//! duplicated, foreign (an event of another channel, or one never published) and lost.

use serde::{Deserialize, Serialize};

/// What one client's copy of an event was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The first copy of an event this client is owed.
    First,
    /// A further copy of an event it already had.
    Duplicate,
    /// An event it is not owed: of another channel, or never published.
    Foreign,
}

/// The deliveries of one client.
#[derive(Debug, Clone)]
pub struct Ledger {
    channel: u64,
    channels: u64,
    events: u64,
    seen: Vec<u64>,
    pub delivered: u64,
    pub duplicates: u64,
    pub foreign: u64,
}

impl Ledger {
    /// A client on channel `channel` of `channels`, in a run that publishes at most `events`.
    pub fn new(channel: u64, channels: u64, events: u64) -> Self {
        let owed = events.div_ceil(channels);
        Ledger {
            channel,
            channels,
            events,
            seen: vec![0; owed.div_ceil(64) as usize],
            delivered: 0,
            duplicates: 0,
            foreign: 0,
        }
    }

    pub fn record(&mut self, seq: u64) -> Delivery {
        if seq >= self.events || seq % self.channels != self.channel {
            return self.record_foreign();
        }
        let slot = seq / self.channels;
        let (word, bit) = ((slot / 64) as usize, 1u64 << (slot % 64));
        if self.seen[word] & bit != 0 {
            self.duplicates += 1;
            return Delivery::Duplicate;
        }
        self.seen[word] |= bit;
        self.delivered += 1;
        Delivery::First
    }

    /// An event that arrived on a channel this client did not subscribe to.
    pub fn record_foreign(&mut self) -> Delivery {
        self.foreign += 1;
        Delivery::Foreign
    }
}

/// How many of the events `0..published` go to channel `channel` of `channels`.
pub fn owed(published: u64, channels: u64, channel: u64) -> u64 {
    (published + channels - 1 - channel) / channels
}

/// The run's deliveries, all clients together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Events published × the clients of their channel that were connected.
    pub expected: u64,
    /// First copies received.
    pub delivered: u64,
    /// Expected but never received.
    pub lost: u64,
    /// Further copies of an event already received.
    pub duplicates: u64,
    /// Events a client was not owed.
    pub foreign: u64,
}

impl Tally {
    /// Adds up `ledgers` of connected clients after `published` events.
    pub fn of<'a>(ledgers: impl IntoIterator<Item = &'a Ledger>, published: u64) -> Self {
        let mut tally = Tally::default();
        for ledger in ledgers {
            let expected = owed(published, ledger.channels, ledger.channel);
            tally.expected += expected;
            tally.delivered += ledger.delivered;
            tally.lost += expected.saturating_sub(ledger.delivered);
            tally.duplicates += ledger.duplicates;
            tally.foreign += ledger.foreign;
        }
        tally
    }

    /// Adds `other`'s counts, of other clients of the same run, to these.
    /// Counts from another process saturate rather than wrap.
    pub fn merge(&mut self, other: Tally) {
        self.expected = self.expected.saturating_add(other.expected);
        self.delivered = self.delivered.saturating_add(other.delivered);
        self.lost = self.lost.saturating_add(other.lost);
        self.duplicates = self.duplicates.saturating_add(other.duplicates);
        self.foreign = self.foreign.saturating_add(other.foreign);
    }

    /// Every expected delivery arrived, once, and nothing else did.
    pub fn exact(&self) -> bool {
        self.lost == 0
            && self.duplicates == 0
            && self.foreign == 0
            && self.delivered == self.expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_owed_round_robin() {
        assert_eq!(owed(10, 3, 0), 4); // 0 3 6 9
        assert_eq!(owed(10, 3, 1), 3); // 1 4 7
        assert_eq!(owed(10, 3, 2), 3); // 2 5 8
        assert_eq!(owed(0, 3, 0), 0);
        assert_eq!(owed(2, 3, 2), 0);
        assert_eq!(owed(7, 1, 0), 7);
    }

    #[test]
    fn first_copies_duplicates_and_foreign_events() {
        let mut ledger = Ledger::new(1, 2, 10);
        assert_eq!(ledger.record(1), Delivery::First);
        assert_eq!(ledger.record(3), Delivery::First);
        assert_eq!(ledger.record(1), Delivery::Duplicate);
        assert_eq!(ledger.record(2), Delivery::Foreign, "channel 0's event");
        assert_eq!(ledger.record(11), Delivery::Foreign, "never published");
        assert_eq!(
            (ledger.delivered, ledger.duplicates, ledger.foreign),
            (2, 1, 2)
        );
    }

    #[test]
    fn a_ledger_spans_more_than_one_word() {
        let mut ledger = Ledger::new(0, 1, 200);
        for seq in 0..200 {
            assert_eq!(ledger.record(seq), Delivery::First);
        }
        assert_eq!(ledger.record(199), Delivery::Duplicate);
        assert_eq!(ledger.record(200), Delivery::Foreign);
    }

    #[test]
    fn a_tally_counts_losses_per_client() {
        // Two channels, four events published (0 and 2 on channel 0, 1 and 3 on channel 1).
        let mut complete = Ledger::new(0, 2, 4);
        complete.record(0);
        complete.record(2);
        let mut missing_one = Ledger::new(1, 2, 4);
        missing_one.record(3);
        missing_one.record(3);
        let mut silent = Ledger::new(0, 2, 4);
        silent.record(1);

        let tally = Tally::of([&complete, &missing_one, &silent], 4);
        assert_eq!(
            tally,
            Tally {
                expected: 6,
                delivered: 3,
                lost: 3,
                duplicates: 1,
                foreign: 1,
            }
        );
        assert!(!tally.exact());
        assert!(Tally::of([&complete], 4).exact());
        assert!(!Tally::of([&complete], 5).exact(), "event 4 never arrived");

        let mut merged = Tally::of([&complete], 4);
        merged.merge(Tally::of([&missing_one, &silent], 4));
        assert_eq!(merged, tally, "adding up in parts gives the same tally");
    }
}

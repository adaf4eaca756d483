//! The events kept for `php artisan sidecast:listen`: numbered, held until the listener
//! confirms it has handled them, and bounded in count, bytes and age. An event dropped before
//! it was sent to a listener is counted, and the next event kept says how many went before it,
//! so the listener can say what was missed.
//!
//! One listener at a time holds the journal ([`Journal::attach`]); a listener that reconnects
//! gets again every event it has not confirmed, from the oldest. Another that connects
//! meanwhile is refused, and takes over when the first one goes. Events sent to the listener
//! and not confirmed yet are in its hands: they do not expire while it holds them, and if the
//! count or bytes bound pushes them out they are not counted as dropped (it has them).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::metrics::METRICS;

/// How much the journal keeps while no listener confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffer {
    /// An event older than this is dropped.
    pub max_age: Duration,
    /// Events kept at most; past it the oldest is dropped.
    pub max_events: usize,
}

/// The events' bytes kept at most, whatever the count: 10,000 client events of 16 KB would be
/// 160 MB.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// While the oldest events are in a listener's hands (they do not expire), how often expiry
/// looks again.
const EXPIRY_RECHECK: Duration = Duration::from_secs(1);

/// One event, as the listener receives it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub time_ms: u64,
    /// Events dropped unconfirmed right before this one.
    pub missed: u32,
    pub json: Arc<[u8]>,
    at: Instant,
}

#[derive(Debug)]
pub struct Journal {
    limits: Buffer,
    state: Mutex<State>,
    /// Woken when an event is kept or the journal closes.
    changed: Notify,
    /// Woken when the listener lets go.
    detached: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Unconfirmed events, oldest first.
    entries: VecDeque<Entry>,
    bytes: usize,
    last_seq: u64,
    /// Dropped events not yet told: carried by the next event kept.
    missed: u32,
    /// No more events: the sidecar is stopping.
    closed: bool,
    /// The attached listener's progress, when one is attached.
    listener: Option<Progress>,
}

/// How far the attached listener got.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    /// The last sequence number sent to it.
    sent: u64,
    /// The last one it confirmed.
    confirmed: u64,
}

impl Journal {
    pub fn new(limits: Buffer) -> Self {
        Journal {
            limits,
            state: Mutex::default(),
            changed: Notify::new(),
            detached: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps one event (its webhook JSON) that happened at `time_ms`.
    pub fn record(&self, json: Vec<u8>, time_ms: u64) {
        let mut state = self.state();
        if state.closed {
            return;
        }
        state.last_seq += 1;
        let entry = Entry {
            seq: state.last_seq,
            time_ms,
            missed: std::mem::take(&mut state.missed),
            json: json.into(),
            at: Instant::now(),
        };
        state.bytes += entry.json.len();
        state.entries.push_back(entry);
        METRICS.listener_kept();
        while state.entries.len() > self.limits.max_events || state.bytes > MAX_BYTES {
            state.drop_oldest();
        }
        drop(state);
        self.changed.notify_one();
    }

    /// Drops the events older than the buffer's age, but those in a listener's hands; when to
    /// look again, if anything is kept.
    pub fn expire(&self, now: Instant) -> Option<Instant> {
        let mut state = self.state();
        while let Some(oldest) = state.entries.front() {
            if state.in_flight(oldest.seq) {
                return Some(now + EXPIRY_RECHECK);
            }
            if oldest.at + self.limits.max_age > now {
                return Some(oldest.at + self.limits.max_age);
            }
            state.drop_oldest();
        }
        None
    }

    /// Events kept now, unconfirmed.
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the journal for one listener, unless another holds it or the sidecar stops.
    pub fn attach(self: &Arc<Self>) -> Result<Listening, &'static str> {
        let mut state = self.state();
        if state.closed {
            return Err("the sidecar is stopping");
        }
        if state.listener.is_some() {
            return Err(
                "another listener is connected (php artisan sidecast:listen); this one takes over when it stops",
            );
        }
        // Whatever is kept was never confirmed: it is all to send, from the oldest.
        let before = state
            .entries
            .front()
            .map_or(state.last_seq, |oldest| oldest.seq - 1);
        state.listener = Some(Progress {
            sent: before,
            confirmed: before,
        });
        METRICS.listener_attached(true);
        Ok(Listening {
            journal: self.clone(),
        })
    }

    /// No more events will be kept; the listener is sent what is left.
    pub fn close(&self) {
        self.state().closed = true;
        self.changed.notify_one();
    }

    /// Waits until no listener holds the journal.
    pub async fn detached(&self) {
        loop {
            let notified = self.detached.notified();
            if self.state().listener.is_none() {
                return;
            }
            notified.await;
        }
    }
}

impl State {
    /// Whether the event numbered `seq` was sent to the attached listener.
    fn in_flight(&self, seq: u64) -> bool {
        self.listener.is_some_and(|progress| seq <= progress.sent)
    }

    fn drop_oldest(&mut self) {
        let Some(dropped) = self.entries.pop_front() else {
            return;
        };
        self.bytes -= dropped.json.len();
        if self.in_flight(dropped.seq) {
            // The listener has it; it just cannot be sent again.
            return;
        }
        METRICS.listener_dropped();
        let carried = dropped.missed.saturating_add(1);
        match self.entries.front_mut() {
            Some(next) => next.missed = next.missed.saturating_add(carried),
            None => self.missed = self.missed.saturating_add(carried),
        }
    }
}

/// The journal, held by one listener.
#[derive(Debug)]
pub struct Listening {
    journal: Arc<Journal>,
}

/// What the listener is to do next.
#[derive(Debug)]
pub enum Next {
    /// Send these.
    Send(Vec<Entry>),
    /// Everything is sent, or as much as may be ahead of the confirmations; wait.
    Wait,
    /// The journal is closed and every event confirmed.
    Done,
}

impl Listening {
    /// Up to `most` events not sent yet, leaving at most `window` unconfirmed on the way.
    pub fn next(&mut self, most: usize, window: usize) -> Next {
        let mut state = self.journal.state();
        let progress = state.listener.unwrap_or_default();
        let in_flight = usize::try_from(progress.sent - progress.confirmed).unwrap_or(usize::MAX);
        let room = window.saturating_sub(in_flight).min(most);
        let batch: Vec<Entry> = state
            .entries
            .iter()
            .skip_while(|entry| entry.seq <= progress.sent)
            .take(room)
            .cloned()
            .collect();
        match batch.last() {
            Some(last) => {
                if let Some(progress) = &mut state.listener {
                    progress.sent = last.seq;
                }
                Next::Send(batch)
            }
            None if state.closed && state.entries.is_empty() => Next::Done,
            None => Next::Wait,
        }
    }

    /// The listener has handled every event up to `seq` (never more than it was sent).
    pub fn confirm(&mut self, seq: u64) {
        let mut state = self.journal.state();
        let Some(progress) = &mut state.listener else {
            return;
        };
        let upto = seq.min(progress.sent);
        progress.confirmed = progress.confirmed.max(upto);
        let mut confirmed = 0;
        while state.entries.front().is_some_and(|entry| entry.seq <= upto) {
            if let Some(entry) = state.entries.pop_front() {
                state.bytes -= entry.json.len();
                confirmed += 1;
            }
        }
        METRICS.listener_confirmed(confirmed);
    }

    /// Waits until an event is kept or the journal closes.
    pub async fn changed(&self) {
        self.journal.changed.notified().await;
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.journal.state().listener = None;
        METRICS.listener_attached(false);
        self.journal.detached.notify_waiters();
    }
}

#[cfg(test)]
mod tests;

//! What came in through PHP's Unix socket and Laravel's Redis broadcaster, for the server's
//! census: events taken and refused, frames refused by reason, publisher connections, and the
//! state of the Redis subscription.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use sidecast_core::metrics::{Counter, Gauge};
use sidecast_wire::DecodeError;

/// This process's ingest figures, every app's socket together.
pub static METRICS: IngestMetrics = IngestMetrics::new();

#[derive(Debug)]
pub struct IngestMetrics {
    pub(crate) publishers_open: Gauge,
    pub(crate) publishers_accepted: Counter,
    pub(crate) publishers_refused: Counter,
    pub(crate) events: Counter,
    pub(crate) events_refused: Counter,
    pub(crate) questions: Counter,
    frames_too_large: Counter,
    frames_malformed: Counter,
    frames_wrong_direction: Counter,
    pub(crate) frames_incomplete: Counter,
    /// Kept in every build, whatever the `census` feature: readiness decides on it.
    redis_connected: AtomicBool,
    pub(crate) redis_connection_losses: Counter,
    pub(crate) redis_failed_attempts: Counter,
    pub(crate) redis_events: Counter,
    pub(crate) redis_too_large: Counter,
    pub(crate) redis_malformed: Counter,
}

impl IngestMetrics {
    const fn new() -> Self {
        IngestMetrics {
            publishers_open: Gauge::new(),
            publishers_accepted: Counter::new(),
            publishers_refused: Counter::new(),
            events: Counter::new(),
            events_refused: Counter::new(),
            questions: Counter::new(),
            frames_too_large: Counter::new(),
            frames_malformed: Counter::new(),
            frames_wrong_direction: Counter::new(),
            frames_incomplete: Counter::new(),
            redis_connected: AtomicBool::new(false),
            redis_connection_losses: Counter::new(),
            redis_failed_attempts: Counter::new(),
            redis_events: Counter::new(),
            redis_too_large: Counter::new(),
            redis_malformed: Counter::new(),
        }
    }

    pub(crate) fn redis_subscribed(&self, subscribed: bool) {
        self.redis_connected.store(subscribed, Ordering::Relaxed);
    }

    /// Whether Laravel's Redis broadcaster is subscribed to now.
    pub fn redis_is_subscribed(&self) -> bool {
        self.redis_connected.load(Ordering::Relaxed)
    }

    /// Counts a frame that closed its connection.
    pub(crate) fn frame_refused(&self, error: Option<&DecodeError>) {
        match error {
            Some(DecodeError::TooLarge { .. }) => self.frames_too_large.inc(),
            Some(_) => self.frames_malformed.inc(),
            None => self.frames_wrong_direction.inc(),
        }
    }

    pub fn snapshot(&self) -> IngestFigures {
        IngestFigures {
            unix: UnixFigures {
                publishers_open: self.publishers_open.get(),
                publishers_accepted: self.publishers_accepted.get(),
                publishers_refused: self.publishers_refused.get(),
                events: self.events.get(),
                events_refused: self.events_refused.get(),
                questions: self.questions.get(),
                frames_refused: FramesRefused {
                    too_large: self.frames_too_large.get(),
                    malformed: self.frames_malformed.get(),
                    wrong_direction: self.frames_wrong_direction.get(),
                    incomplete: self.frames_incomplete.get(),
                },
            },
            redis: RedisFigures {
                connected: self.redis_is_subscribed(),
                connection_losses: self.redis_connection_losses.get(),
                failed_attempts: self.redis_failed_attempts.get(),
                events: self.redis_events.get(),
                skipped_too_large: self.redis_too_large.get(),
                skipped_malformed: self.redis_malformed.get(),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct IngestFigures {
    pub unix: UnixFigures,
    pub redis: RedisFigures,
}

/// PHP's Unix socket (every app's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct UnixFigures {
    /// Publisher connections open now.
    pub publishers_open: u64,
    pub publishers_accepted: u64,
    /// Turned away because `--max-publishers` were open.
    pub publishers_refused: u64,
    /// Events published.
    pub events: u64,
    /// Events refused for a bad field (the connection stays open).
    pub events_refused: u64,
    /// Questions answered (`Sidecast::channels()` and the like).
    pub questions: u64,
    pub frames_refused: FramesRefused,
}

/// Frames that closed their publisher's connection, by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FramesRefused {
    /// Over `--max-frame-bytes`.
    pub too_large: u64,
    /// Not a frame of the wire protocol.
    pub malformed: u64,
    /// An answer frame, which only the sidecar sends.
    pub wrong_direction: u64,
    /// Cut off: the publisher went away or stalled in the middle of a frame.
    pub incomplete: u64,
}

/// Laravel's `redis` broadcaster, when subscribed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RedisFigures {
    /// Subscribed now.
    pub connected: bool,
    /// Subscriptions lost after they had worked.
    pub connection_losses: u64,
    /// Attempts to connect and subscribe that failed.
    pub failed_attempts: u64,
    /// Events published.
    pub events: u64,
    /// Messages skipped: over `--max-frame-bytes`.
    pub skipped_too_large: u64,
    /// Messages skipped: not an event Laravel's broadcaster writes.
    pub skipped_malformed: u64,
}

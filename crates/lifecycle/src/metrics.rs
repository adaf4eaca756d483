//! What the lifecycle events did, for the server's census.

use serde::Serialize;
use sidecast_core::metrics::{Counter, Gauge};

/// This process's lifecycle figures.
pub static METRICS: LifecycleMetrics = LifecycleMetrics::new();

#[derive(Debug)]
pub struct LifecycleMetrics {
    absorbed: Counter,
    queue_full: Counter,
    sent: Counter,
    failed_attempts: Counter,
    given_up: Counter,
    listener_connected: Gauge,
    listener_kept: Counter,
    listener_confirmed: Counter,
    listener_dropped: Counter,
}

impl LifecycleMetrics {
    const fn new() -> Self {
        LifecycleMetrics {
            absorbed: Counter::new(),
            queue_full: Counter::new(),
            sent: Counter::new(),
            failed_attempts: Counter::new(),
            given_up: Counter::new(),
            listener_connected: Gauge::new(),
            listener_kept: Counter::new(),
            listener_confirmed: Counter::new(),
            listener_dropped: Counter::new(),
        }
    }

    pub(crate) fn absorbed(&self) {
        self.absorbed.add(2);
    }

    pub(crate) fn queue_full(&self) {
        self.queue_full.inc();
    }

    pub(crate) fn sent(&self, events: usize) {
        self.sent.add(events as u64);
    }

    pub(crate) fn failed_attempt(&self) {
        self.failed_attempts.inc();
    }

    pub(crate) fn given_up(&self, events: usize) {
        self.given_up.add(events as u64);
    }

    pub(crate) fn listener_attached(&self, attached: bool) {
        self.listener_connected.set(i64::from(attached));
    }

    pub(crate) fn listener_kept(&self) {
        self.listener_kept.inc();
    }

    pub(crate) fn listener_confirmed(&self, events: u64) {
        self.listener_confirmed.add(events);
    }

    pub(crate) fn listener_dropped(&self) {
        self.listener_dropped.inc();
    }

    /// The listener's figures; `buffered` is what the journal holds now.
    pub fn listener(&self, buffered: usize) -> ListenerFigures {
        ListenerFigures {
            connected: self.listener_connected.get() > 0,
            events_kept: self.listener_kept.get(),
            events_confirmed: self.listener_confirmed.get(),
            events_dropped: self.listener_dropped.get(),
            events_buffered: buffered as u64,
        }
    }

    pub fn snapshot(&self) -> WebhookFigures {
        WebhookFigures {
            events_sent: self.sent.get(),
            events_absorbed: self.absorbed.get(),
            events_dropped: self.queue_full.get() + self.given_up.get(),
            failed_requests: self.failed_attempts.get(),
        }
    }
}

/// Webhooks since start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WebhookFigures {
    /// Events delivered (an endpoint answered 2xx), counted once per endpoint.
    pub events_sent: u64,
    /// Leaves and returns within the grace period, which cancel each other and are not sent.
    pub events_absorbed: u64,
    /// Events lost: queues full, or an endpoint that kept failing.
    pub events_dropped: u64,
    /// Requests that failed (each retry counts).
    pub failed_requests: u64,
}

/// The events kept for `php artisan sidecast:listen`, since start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ListenerFigures {
    /// Whether a listener is connected now.
    pub connected: bool,
    /// Events kept for the listener.
    pub events_kept: u64,
    /// Events the listener confirmed it handled.
    pub events_confirmed: u64,
    /// Events dropped before any listener confirmed them: too old or too many.
    pub events_dropped: u64,
    /// Events waiting for the listener now.
    pub events_buffered: u64,
}

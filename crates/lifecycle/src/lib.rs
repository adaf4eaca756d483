//! What happens on the channels, told to the app as Pusher's webhooks: channels occupied and
//! vacated, members added and removed, and the client events of the channels chosen.
//!
//! On the data path this sits beside the front ends: the hub tells a [`Lifecycle`] (its
//! [`Observer`]) of each transition under its lock; the lifecycle only queues it (bounded;
//! a full queue drops and counts), and a task of its own waits out the grace period (`grace`),
//! batches what passes for 50 ms, and hands the batches to one sender per URL (`webhook`),
//! which signs, posts and retries. Nothing here can slow delivery to clients.
//!
//! # Layout
//! - this file: the settings, the observer and the task between them.
//! - `grace`: leaves held back, and returns that cancel them.
//! - [`webhook`]: the request Pusher's receivers expect, and its delivery.
//! - [`metrics`]: sent, absorbed, dropped, failed, for the server's census.

mod grace;
pub mod metrics;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sidecast_core::{Observer, Transition};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::grace::Grace;
use crate::metrics::METRICS;
pub use crate::webhook::Endpoint;

/// Transitions waiting for the lifecycle task: a burst of joins after a deploy fits many times.
pub const QUEUE: usize = 10_000;
/// Batches waiting for one endpoint; past that a batch is dropped and counted.
pub const BATCHES_QUEUED: usize = 1_000;
/// Events in one request at most, and how long the first of a batch waits for others.
const BATCH_MOST: usize = 50;
const BATCH_WAIT: Duration = Duration::from_millis(50);

/// Which transitions are sent, and where.
#[derive(Debug, Clone)]
pub struct Config {
    pub endpoints: Vec<Endpoint>,
    /// How long `member_removed` and `channel_vacated` wait for a return (Pusher: a few
    /// seconds).
    pub grace: Duration,
    /// Pusher's names of the transitions sent: `channel_occupied`, `channel_vacated`,
    /// `member_added`, `member_removed`.
    pub events: Vec<String>,
    /// Channels (by prefix) whose client events are sent; none by default.
    pub client_event_channels: Vec<String>,
    /// Only channels starting with one of these, when any is given.
    pub channel_prefixes: Vec<String>,
}

/// The names `Config::events` takes.
pub const EVENT_NAMES: [&str; 4] = [
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
];

/// The hub's observer: filters and queues, never waits.
#[derive(Debug)]
pub struct Lifecycle {
    queue: mpsc::Sender<(Instant, Transition)>,
    config: Config,
}

impl Observer for Lifecycle {
    fn observe(&self, transition: Transition) {
        if !self.wanted(&transition) {
            return;
        }
        if self.queue.try_send((Instant::now(), transition)).is_err() {
            METRICS.queue_full();
        }
    }
}

impl Lifecycle {
    /// The observer to give the hub, and the tasks that deliver (stopped by dropping the set).
    pub fn start(config: Config) -> (Arc<Self>, JoinSet<()>) {
        let (queue, queued) = mpsc::channel(QUEUE);
        let mut tasks = JoinSet::new();
        let senders = config
            .endpoints
            .iter()
            .map(|endpoint| {
                let (sender, batches) = mpsc::channel(BATCHES_QUEUED);
                tasks.spawn(webhook::deliver(endpoint.clone(), batches));
                sender
            })
            .collect();
        tasks.spawn(run(queued, Grace::new(config.grace), senders));
        (Arc::new(Lifecycle { queue, config }), tasks)
    }

    fn wanted(&self, transition: &Transition) -> bool {
        let channel = transition.channel().as_str();
        let prefixes = &self.config.channel_prefixes;
        if !prefixes.is_empty() && !prefixes.iter().any(|p| channel.starts_with(p.as_str())) {
            return false;
        }
        let name = match transition {
            Transition::ClientEvent { .. } => {
                return self
                    .config
                    .client_event_channels
                    .iter()
                    .any(|p| channel.starts_with(p.as_str()));
            }
            Transition::ChannelOccupied { .. } => "channel_occupied",
            Transition::ChannelVacated { .. } => "channel_vacated",
            Transition::MemberAdded { .. } => "member_added",
            Transition::MemberRemoved { .. } => "member_removed",
        };
        self.config.events.iter().any(|wanted| wanted == name)
    }
}

/// Between the hub and the senders: the grace period, then batches.
async fn run(
    mut queued: mpsc::Receiver<(Instant, Transition)>,
    mut grace: Grace,
    senders: Vec<mpsc::Sender<Vec<Value>>>,
) {
    let mut batch = Batch::default();
    loop {
        let held_due = grace.next_due();
        let batch_due = batch.due;
        tokio::select! {
            received = queued.recv() => match received {
                Some((at, transition)) => {
                    let was_waiting = grace.waiting();
                    match grace.take(transition, at) {
                        Some(passed) => batch.push(&passed),
                        // A return that cancelled a leave: neither is told.
                        None if grace.waiting() < was_waiting => METRICS.absorbed(),
                        None => {}
                    }
                }
                None => break,
            },
            () = sleep_until(held_due), if held_due.is_some() => {
                for transition in grace.due(Instant::now()) {
                    batch.push(&transition);
                }
            }
            () = sleep_until(batch_due), if batch_due.is_some() => batch.flush(&senders),
        }
        if batch.events.len() >= BATCH_MOST {
            batch.flush(&senders);
        }
    }
    batch.flush(&senders);
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Events waiting to be sent together.
#[derive(Default)]
struct Batch {
    events: Vec<Value>,
    /// When the batch goes, whatever it holds: its first event's arrival and [`BATCH_WAIT`].
    due: Option<Instant>,
}

impl Batch {
    fn push(&mut self, transition: &Transition) {
        self.events.push(webhook::event(transition));
        self.due.get_or_insert_with(|| Instant::now() + BATCH_WAIT);
    }

    fn flush(&mut self, senders: &[mpsc::Sender<Vec<Value>>]) {
        self.due = None;
        if self.events.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.events);
        for sender in senders {
            if sender.try_send(events.clone()).is_err() {
                METRICS.given_up(events.len());
            }
        }
    }
}

//! What happens on the channels, told to the app: channels occupied and vacated, members
//! added and removed, and the client events of the channels chosen, as Pusher's webhooks and
//! to `php artisan sidecast:listen` over the Unix socket.
//!
//! On the data path this sits beside the front ends: the hub tells a [`Lifecycle`] (its
//! [`Observer`]) of each transition under its lock; the lifecycle only queues it (bounded;
//! a full queue drops and counts), and a task of its own waits out the grace period (`grace`),
//! then batches what passes for 50 ms for one sender per URL (`webhook`), which signs, posts
//! and retries, and keeps it in the journal the listener reads (`journal`, `listener`).
//! Nothing here can slow delivery to clients.
//!
//! # Layout
//! - this file: the settings, the observer, the task between them, and finishing at shutdown.
//! - `grace`: leaves held back, and returns that cancel them.
//! - [`webhook`]: the request Pusher's receivers expect, and its delivery.
//! - [`journal`]: the events kept for the listener until it confirms them, bounded.
//! - [`listener`]: the listener's connection, handed over by the Unix socket's reader.
//! - [`metrics`]: sent, absorbed, dropped, failed, for the server's census.

mod grace;
pub mod journal;
pub mod listener;
pub mod metrics;
pub mod webhook;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use sidecast_core::{ChannelName, Observer, Transition};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::grace::{Grace, Taken};
pub use crate::journal::Buffer;
use crate::journal::Journal;
use crate::metrics::METRICS;
pub use crate::webhook::Endpoint;
use crate::webhook::{Batch as Request, Queue};

/// Transitions waiting for the lifecycle task: a burst of joins after a deploy fits many times.
pub const QUEUE: usize = 10_000;
/// …and the client events' data it holds, in bytes: 10,000 client events of 16 KB would be
/// 160 MB.
pub const QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// Requests waiting for one endpoint, and their bytes: past either, a request is dropped and
/// counted rather than held in memory for an endpoint that is down.
pub const REQUESTS_QUEUED: usize = 1_000;
pub const BYTES_QUEUED: usize = 8 * 1024 * 1024;
/// Events in one request at most, and how long the first of a batch waits for others.
const BATCH_MOST: usize = 50;
const BATCH_WAIT: Duration = Duration::from_millis(50);

/// Which transitions are told, and where.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where webhooks go; none for no webhooks.
    pub endpoints: Vec<Endpoint>,
    /// What is kept for `php artisan sidecast:listen`, when it is on.
    pub listener: Option<Buffer>,
    /// How long `member_removed`, `channel_vacated` and `user_disconnected` wait for a return
    /// (Pusher: a few seconds).
    pub grace: Duration,
    /// The names of the transitions sent, among `EVENT_NAMES`.
    pub events: Vec<String>,
    /// Channels (by prefix) whose client events are sent; none by default.
    pub client_event_channels: Vec<String>,
    /// Only channels starting with one of these, when any is given.
    pub channel_prefixes: Vec<String>,
}

impl Config {
    /// Whether subscription counts are told.
    pub fn tells_counts(&self) -> bool {
        self.tells(&["subscription_count"])
    }

    /// Whether either of a signed-in user's events is told.
    pub fn tells_users(&self) -> bool {
        self.tells(&["user_connected", "user_disconnected"])
    }

    fn tells(&self, names: &[&str]) -> bool {
        self.events
            .iter()
            .any(|event| names.contains(&event.as_str()))
    }
}

/// The names `Config::events` takes: Pusher's four, then the subscription count (every change,
/// the last of each 50 ms) and a signed-in user's first connection and last.
pub const EVENT_NAMES: [&str; 7] = [
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
    "subscription_count",
    "user_connected",
    "user_disconnected",
];

/// What is told when no choice is made: Pusher's four.
pub const DEFAULT_EVENTS: [&str; 4] = [
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
];

/// The hub's observer: filters by channel and queues, never waits. Which kinds are sent is
/// decided after the grace period: a leave must meet its return there even when only one of
/// them is sent.
#[derive(Debug)]
pub struct Lifecycle {
    queue: mpsc::Sender<(Instant, Transition)>,
    /// Bytes of client events' data in `queue`.
    queued_bytes: Arc<AtomicUsize>,
    client_event_channels: Vec<String>,
    channel_prefixes: Vec<String>,
    /// Whether subscription counts are told: chosen before the grace period, as nothing
    /// cancels them and each join and leave makes one.
    counts: bool,
    /// Whether either user event is told: the other is still needed for the grace period.
    users: bool,
}

/// The lifecycle's tasks, to be finished when the sidecar stops.
#[derive(Debug)]
pub struct Running {
    stop: oneshot::Sender<()>,
    tasks: JoinSet<()>,
    journal: Option<Arc<Journal>>,
}

impl Observer for Lifecycle {
    fn observe(&self, transition: Transition) {
        if !self.wanted(&transition) {
            return;
        }
        let size = data_bytes(&transition);
        if self.queued_bytes.load(Ordering::Relaxed) + size > QUEUE_BYTES {
            METRICS.queue_full();
            return;
        }
        self.queued_bytes.fetch_add(size, Ordering::Relaxed);
        if self.queue.try_send((Instant::now(), transition)).is_err() {
            self.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            METRICS.queue_full();
        }
    }
}

impl Lifecycle {
    /// The observer to give the hub, and its tasks.
    pub fn start(config: Config) -> (Arc<Self>, Running) {
        let (queue, queued) = mpsc::channel(QUEUE);
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = oneshot::channel();
        let mut tasks = JoinSet::new();
        let queues = config
            .endpoints
            .iter()
            .map(|endpoint| {
                let (sender, requests) = mpsc::channel(REQUESTS_QUEUED);
                let bytes = Arc::new(AtomicUsize::new(0));
                tasks.spawn(webhook::deliver(endpoint.clone(), requests, bytes.clone()));
                Queue { sender, bytes }
            })
            .collect();
        let journal = config.listener.map(|buffer| Arc::new(Journal::new(buffer)));
        let told = Told {
            kinds: config.events.clone(),
            batches: Batches {
                queues,
                pending: Vec::new(),
                due: None,
            },
            journal: journal.clone(),
            counts: BTreeMap::new(),
            counts_due: None,
        };
        let incoming = Incoming {
            queued,
            bytes: queued_bytes.clone(),
        };
        tasks.spawn(run(incoming, stopped, Grace::new(config.grace), told));
        let lifecycle = Lifecycle {
            queue,
            queued_bytes,
            counts: config.tells_counts(),
            users: config.tells_users(),
            client_event_channels: config.client_event_channels,
            channel_prefixes: config.channel_prefixes,
        };
        let running = Running {
            stop,
            tasks,
            journal,
        };
        (Arc::new(lifecycle), running)
    }

    fn wanted(&self, transition: &Transition) -> bool {
        let channel = transition.channel().map_or("", |channel| channel.as_str());
        let starts = |prefixes: &[String]| prefixes.iter().any(|p| channel.starts_with(p.as_str()));
        if transition.channel().is_some()
            && !self.channel_prefixes.is_empty()
            && !starts(&self.channel_prefixes)
        {
            return false;
        }
        match transition {
            Transition::ClientEvent { .. } => starts(&self.client_event_channels),
            Transition::SubscriptionCount { .. } => self.counts,
            Transition::UserConnected { .. } | Transition::UserDisconnected { .. } => self.users,
            _ => true,
        }
    }
}

impl Running {
    /// The journal `php artisan sidecast:listen` reads, when the listener is on.
    pub fn journal(&self) -> Option<Arc<Journal>> {
        self.journal.clone()
    }

    /// At shutdown, once every client is gone: the leaves still held are told at once (nobody
    /// can come back to this process), and the senders and the listener get `within` to
    /// deliver what is queued.
    pub async fn finish(mut self, within: Duration) {
        let _ = self.stop.send(());
        let finished = tokio::time::timeout(within, async {
            while self.tasks.join_next().await.is_some() {}
            if let Some(journal) = &self.journal {
                journal.detached().await;
            }
        })
        .await;
        if finished.is_err() {
            let unconfirmed = self.journal.as_ref().map_or(0, |journal| journal.len());
            tracing::warn!(
                ?within,
                unconfirmed,
                "lifecycle events still unsent at shutdown were dropped"
            );
        }
    }
}

/// The size a transition counts for in the queue's byte bound: its client event's data.
fn data_bytes(transition: &Transition) -> usize {
    match transition {
        Transition::ClientEvent { payload, .. } => payload.as_str().len(),
        _ => 0,
    }
}

/// The queue's receiving end, which gives back the bytes it takes out.
struct Incoming {
    queued: mpsc::Receiver<(Instant, Transition)>,
    bytes: Arc<AtomicUsize>,
}

impl Incoming {
    async fn recv(&mut self) -> Option<(Instant, Transition)> {
        let received = self.queued.recv().await;
        self.release(received.as_ref());
        received
    }

    fn try_recv(&mut self) -> Option<(Instant, Transition)> {
        let received = self.queued.try_recv().ok();
        self.release(received.as_ref());
        received
    }

    fn release(&self, received: Option<&(Instant, Transition)>) {
        if let Some((_, transition)) = received {
            self.bytes
                .fetch_sub(data_bytes(transition), Ordering::Relaxed);
        }
    }
}

/// Between the hub and the app: the grace period, then webhooks and the listener's journal.
async fn run(
    mut queued: Incoming,
    mut stopped: oneshot::Receiver<()>,
    mut grace: Grace,
    mut told: Told,
) {
    loop {
        let held_due = grace.next_due();
        let batch_due = told.due();
        let expiry_due = told.expire();
        tokio::select! {
            received = queued.recv() => match received {
                Some((at, transition)) => match grace.take(transition, at) {
                    Taken::Passed(transition) => told.push(&transition),
                    Taken::Held => {}
                    Taken::Absorbed => METRICS.absorbed(),
                },
                None => break,
            },
            () = sleep_until(held_due), if held_due.is_some() => {
                for transition in grace.due(Instant::now()) {
                    told.push(&transition);
                }
            }
            () = sleep_until(batch_due), if batch_due.is_some() => told.flush(),
            () = sleep_until(expiry_due), if expiry_due.is_some() => {}
            _ = &mut stopped => {
                // Transitions already queued are taken first, then whatever is still held.
                while let Some((at, transition)) = queued.try_recv() {
                    if let Taken::Passed(transition) = grace.take(transition, at) {
                        told.push(&transition);
                    }
                }
                for transition in grace.release_all() {
                    told.push(&transition);
                }
                break;
            }
        }
    }
    told.flush();
    if let Some(journal) = &told.journal {
        journal.close();
    }
    // Dropping the queues ends each sender once it has sent what they hold.
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Where the transitions that passed the grace period go.
struct Told {
    /// The kinds told (client events were chosen by channel already).
    kinds: Vec<String>,
    batches: Batches,
    journal: Option<Arc<Journal>>,
    /// Channels whose subscription count changed, and their latest count: a burst of joins
    /// tells where it ended, not each step.
    counts: BTreeMap<ChannelName, usize>,
    counts_due: Option<Instant>,
}

impl Told {
    fn push(&mut self, transition: &Transition) {
        if let Transition::SubscriptionCount { channel, count } = transition {
            self.counts.insert(channel.clone(), *count);
            self.counts_due
                .get_or_insert_with(|| Instant::now() + BATCH_WAIT);
            return;
        }
        self.tell(webhook::event(transition));
    }

    fn tell(&mut self, event: Value) {
        let kind = event["name"].as_str().unwrap_or_default();
        if kind != "client_event" && !self.kinds.iter().any(|wanted| wanted == kind) {
            return;
        }
        if let Some(journal) = &self.journal {
            journal.record(event.to_string().into_bytes(), webhook::now_ms());
        }
        if !self.batches.queues.is_empty() {
            self.batches.push(event);
        }
    }

    /// When the pending counts and batch go.
    fn due(&self) -> Option<Instant> {
        match (self.batches.due, self.counts_due) {
            (Some(batch), Some(counts)) => Some(batch.min(counts)),
            (batch, counts) => batch.or(counts),
        }
    }

    /// Tells the pending counts, and sends the batch.
    fn flush(&mut self) {
        self.counts_due = None;
        for (channel, count) in std::mem::take(&mut self.counts) {
            self.tell(webhook::event(&Transition::SubscriptionCount {
                channel,
                count,
            }));
        }
        self.batches.flush();
    }

    /// Drops the journal's events that are too old; when the next one is due.
    fn expire(&self) -> Option<Instant> {
        self.journal.as_ref()?.expire(Instant::now())
    }
}

/// Events waiting to be sent together, and the endpoints' queues.
struct Batches {
    queues: Vec<Queue>,
    pending: Vec<Value>,
    /// When the batch goes, whatever it holds: its first event's arrival and [`BATCH_WAIT`].
    due: Option<Instant>,
}

impl Batches {
    fn push(&mut self, event: Value) {
        self.pending.push(event);
        self.due.get_or_insert_with(|| Instant::now() + BATCH_WAIT);
        if self.pending.len() >= BATCH_MOST {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.due = None;
        if self.pending.is_empty() {
            return;
        }
        let request = Request::new(std::mem::take(&mut self.pending));
        for queue in &self.queues {
            queue.offer(request.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use sidecast_core::{EventName, Payload, SocketId};

    use super::*;

    #[test]
    fn the_queue_holds_a_bounded_number_of_bytes_of_client_events() {
        let (queue, queued) = mpsc::channel(QUEUE);
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let lifecycle = Lifecycle {
            queue,
            queued_bytes: queued_bytes.clone(),
            client_event_channels: vec!["private-".to_owned()],
            channel_prefixes: Vec::new(),
            counts: false,
            users: false,
        };
        let data = format!("\"{}\"", "x".repeat(1024 * 1024 - 2));
        let whisper = || Transition::ClientEvent {
            channel: ChannelName::new("private-chat").unwrap(),
            event: EventName::new("client-big").unwrap(),
            payload: Payload::from_json(data.as_bytes()).unwrap(),
            socket_id: SocketId::new("1.2").unwrap(),
            user_id: None,
        };
        for _ in 0..10 {
            lifecycle.observe(whisper());
        }
        assert_eq!(
            queued.len(),
            QUEUE_BYTES / data.len(),
            "8 of 1 MiB each, the rest dropped"
        );
        let mut incoming = Incoming {
            queued,
            bytes: queued_bytes.clone(),
        };
        while incoming.try_recv().is_some() {}
        assert_eq!(
            queued_bytes.load(Ordering::Relaxed),
            0,
            "taking them out gives the bytes back"
        );
        lifecycle.observe(whisper());
        assert_eq!(incoming.queued.len(), 1, "room again");
    }

    fn member(user: usize, left: bool) -> Transition {
        let channel = ChannelName::new("presence-room").unwrap();
        let user_id = user.to_string();
        match left {
            true => Transition::MemberRemoved { channel, user_id },
            false => Transition::MemberAdded { channel, user_id },
        }
    }

    /// Telling `kind` to one endpoint, whose requests come out of the receiver.
    fn told_to_one_endpoint(kind: &str) -> (Told, mpsc::Receiver<Request>) {
        let (sender, requests) = mpsc::channel(10);
        let told = Told {
            kinds: vec![kind.to_owned()],
            batches: Batches {
                queues: vec![Queue {
                    sender,
                    bytes: Arc::new(AtomicUsize::new(0)),
                }],
                pending: Vec::new(),
                due: None,
            },
            journal: None,
            counts: BTreeMap::new(),
            counts_due: None,
        };
        (told, requests)
    }

    #[test]
    fn a_request_holds_fifty_events_at_most_and_only_the_kinds_sent() {
        let (mut told, mut requests) = told_to_one_endpoint("member_removed");
        // A mass leave, the joins around it not asked for.
        for user in 0..120 {
            told.push(&member(user, false));
            told.push(&member(user, true));
        }
        told.batches.flush();
        let sizes: Vec<usize> = std::iter::from_fn(|| requests.try_recv().ok())
            .map(|request| request.events)
            .collect();
        assert_eq!(sizes, [50, 50, 20]);
    }

    #[test]
    fn subscription_counts_tell_each_channels_latest_once_a_batch() {
        let (mut told, mut requests) = told_to_one_endpoint("subscription_count");
        let count = |name: &str, count| Transition::SubscriptionCount {
            channel: ChannelName::new(name).unwrap(),
            count,
        };
        for n in 1..=500 {
            told.push(&count("orders", n));
        }
        told.push(&count("chat", 3));
        told.push(&count("orders", 499));
        assert!(told.due().is_some(), "a flush is due");
        told.flush();
        let request = requests.try_recv().unwrap();
        assert_eq!(request.events, 2, "one count a channel");
        let sent: Value = serde_json::from_str(&request.body).unwrap();
        let counts: Vec<(String, u64)> = sent["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| {
                (
                    event["channel"].as_str().unwrap().to_owned(),
                    event["subscription_count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(counts, [("chat".to_owned(), 3), ("orders".to_owned(), 499)]);
        assert!(told.due().is_none());
    }
}

//! What the other nodes send: read from the bus, and applied to this node's hub.
//!
//! The reader only reads: messages go to the applier through a queue bounded in bytes, so a
//! long fan-out never stops the reading (Redis disconnects a subscriber whose backlog passes
//! its output-buffer limit, and everything in it is lost). A connection that stops answering
//! pings, or that is to another server than commands now go to (a Sentinel failover), is
//! replaced; after every (re)subscription the presence rosters this node mirrors are
//! read again, since changes may have been missed meanwhile.

mod apply;
mod sequence;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use sidecast_core::{Hub, LogLimit};
use tokio::sync::mpsc;
use tokio::time::Instant;

pub(crate) use apply::apply;

use crate::Shared;
use crate::link::Heard;
use crate::presence::Op;

/// Bytes of messages read and not yet applied, past which new ones are dropped (and counted).
const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
/// What a queued message costs beside its bytes, so that a flood of empty ones is bounded too.
const MESSAGE_OVERHEAD: usize = 256;
/// A subscription that lasted this long was healthy: the next loss starts the backoff again.
const HEALTHY: Duration = Duration::from_secs(10);
/// How often the subscription is checked with a ping, and how long the answer may take.
const PING_EVERY: Duration = Duration::from_secs(3);

/// Counts of what arrived, for logs and status.
#[derive(Debug, Default)]
pub(crate) struct InboxCounters {
    /// Messages from other nodes applied.
    pub(crate) applied: AtomicU64,
    /// Messages that could not be read, or were dropped because the queue was full.
    pub(crate) skipped: AtomicU64,
    /// Messages another node sent that never arrived, by its sequence numbers.
    pub(crate) missed: AtomicU64,
    /// Drops, skips and gaps come in runs (a flood, a Redis outage): each kind is logged at
    /// most once in a while.
    dropped_log: LogLimit,
    pub(crate) skipped_log: LogLimit,
    pub(crate) missed_log: LogLimit,
    queued_bytes: AtomicUsize,
    /// A reading of every mirrored roster is already scheduled.
    resync_scheduled: AtomicBool,
}

/// Subscribes to the bus and this node's own channel, for as long as the node runs,
/// reconnecting whenever the subscription is lost.
pub(crate) async fn read(
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    queue: mpsc::UnboundedSender<Vec<u8>>,
) {
    let channels = shared.keys.listened(&shared.id);
    let mut backoff = Duration::from_millis(100);
    let mut subscribed_before = false;
    loop {
        let (mut subscription, server) = match shared.link.subscribe(&channels).await {
            Ok(subscribed) => subscribed,
            Err(error) => {
                tracing::debug!(%error, retry_in = ?backoff, "cannot subscribe to the cluster's bus");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        let subscribed_at = Instant::now();
        tracing::info!(bus = %channels[0], "listening to the other nodes");
        if subscribed_before {
            shared.resync_later(&hub);
        }
        subscribed_before = true;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                heard = subscription.next() => match heard {
                    Heard::Message(bytes) => enqueue(&shared, &queue, bytes),
                    Heard::Resubscribed => {
                        tracing::info!("subscribed to the cluster's bus again");
                        shared.resync_later(&hub);
                    }
                    Heard::Lost => break,
                },
                _ = ping.tick() => {
                    if !subscription.ping().await {
                        break;
                    }
                    // After a Sentinel failover commands go to the new master: follow them.
                    let current = shared.link.server();
                    if !current.is_empty() && current != server {
                        tracing::info!(from = %server, to = %current, "the cluster's Redis master changed");
                        break;
                    }
                }
            }
        }
        tracing::warn!("lost the subscription to the cluster's bus; subscribing again");
        // A subscription that keeps breaking is not made again in a tight loop.
        if subscribed_at.elapsed() >= HEALTHY {
            backoff = Duration::from_millis(100);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

fn enqueue(shared: &Shared, queue: &mpsc::UnboundedSender<Vec<u8>>, bytes: Vec<u8>) {
    let counters = &shared.counters;
    let queued = counters.queued_bytes.load(Ordering::Relaxed);
    let cost = bytes.len() + MESSAGE_OVERHEAD;
    if bytes.len() > shared.max_message_bytes || queued + cost > MAX_QUEUED_BYTES {
        let skipped = counters.skipped.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(held_back) = counters.dropped_log.check() {
            tracing::warn!(
                bytes = bytes.len(),
                queued,
                skipped_since_start = skipped,
                like_this_since_last_line = held_back,
                "a message from the bus was dropped: too large, or too much waiting to be applied"
            );
        }
        return;
    }
    counters.queued_bytes.fetch_add(cost, Ordering::Relaxed);
    let _ = queue.send(bytes);
}

impl Shared {
    /// Reads every mirrored roster again, once the other nodes had time to repair theirs
    /// (after a Redis restart every node reconciles at its next heartbeat).
    fn resync_later(self: &Arc<Self>, hub: &Arc<Hub>) {
        if self.counters.resync_scheduled.swap(true, Ordering::Relaxed) {
            return;
        }
        let (shared, hub) = (self.clone(), hub.clone());
        tokio::spawn(async move {
            tokio::time::sleep(shared.heartbeat + shared.heartbeat / 2).await;
            shared
                .counters
                .resync_scheduled
                .store(false, Ordering::Relaxed);
            let channels = hub
                .mirrored_channels()
                .into_iter()
                .map(|(channel, _)| channel)
                .collect();
            let _ = shared.presence.ops.send(Op::Resync(channels));
        });
    }
}

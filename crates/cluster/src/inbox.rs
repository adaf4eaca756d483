//! What the other nodes send: read from the bus, and applied to this node's hub.
//!
//! The reader only reads: messages go to the applier through a queue bounded in bytes, so a
//! long fan-out never stops the reading (Redis disconnects a subscriber whose backlog passes
//! its output-buffer limit, and everything in it is lost). A connection that stops answering
//! pings, or that is to another server than commands now go to (a Sentinel failover), is
//! replaced; after every (re)subscription the presence rosters this node mirrors are
//! read again, since changes may have been missed meanwhile.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use sidecast_core::{Hub, Origin, Publication, RosterChange, Whisper};
use tokio::sync::mpsc;

use crate::Shared;
use crate::envelope::{self, Body, Change, Envelope};
use crate::link::Heard;
use crate::presence::Op;
use crate::survey;

/// Bytes of messages read and not yet applied, past which new ones are dropped (and counted).
const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
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
    queued_bytes: AtomicUsize,
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
        backoff = Duration::from_millis(100);
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
    }
}

fn enqueue(shared: &Shared, queue: &mpsc::UnboundedSender<Vec<u8>>, bytes: Vec<u8>) {
    let counters = &shared.counters;
    let queued = counters.queued_bytes.load(Ordering::Relaxed);
    if bytes.len() > shared.max_message_bytes || queued + bytes.len() > MAX_QUEUED_BYTES {
        let skipped = counters.skipped.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(
            bytes = bytes.len(),
            queued,
            skipped_since_start = skipped,
            "a message from the bus was dropped: too large, or too much waiting to be applied"
        );
        return;
    }
    counters
        .queued_bytes
        .fetch_add(bytes.len(), Ordering::Relaxed);
    let _ = queue.send(bytes);
}

/// Applies what the reader queued, in order.
pub(crate) async fn apply(
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    mut queue: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let mut last_seq: HashMap<String, u64> = HashMap::new();
    while let Some(bytes) = queue.recv().await {
        shared
            .counters
            .queued_bytes
            .fetch_sub(bytes.len(), Ordering::Relaxed);
        let envelope = match Envelope::decode(&bytes) {
            Ok(envelope) => envelope,
            Err(reason) => {
                shared.counters.skipped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%reason, "a message on the cluster's bus was skipped");
                continue;
            }
        };
        if envelope.node == shared.id || !is_new(&shared, &mut last_seq, &envelope) {
            continue;
        }
        if let Err(reason) = dispatch(&shared, &hub, envelope) {
            shared.counters.skipped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%reason, "a message on the cluster's bus was skipped");
        } else {
            shared.counters.applied.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Whether a numbered message is one not applied yet; counts the numbers skipped over.
fn is_new(shared: &Shared, last_seq: &mut HashMap<String, u64>, envelope: &Envelope) -> bool {
    let Some(seq) = envelope.seq else {
        return true;
    };
    let last = last_seq.entry(envelope.node.clone()).or_insert(0);
    if seq <= *last {
        return false;
    }
    if *last > 0 && seq > *last + 1 {
        let missed = seq - *last - 1;
        let total = shared.counters.missed.fetch_add(missed, Ordering::Relaxed) + missed;
        tracing::warn!(node = %envelope.node, missed, missed_since_start = total, "messages from another node never arrived");
    }
    *last = seq;
    true
}

fn dispatch(shared: &Arc<Shared>, hub: &Arc<Hub>, envelope: Envelope) -> Result<(), String> {
    match envelope.body {
        Body::Publish {
            channels,
            event,
            data,
            except,
        } => {
            let publication = Publication {
                channels: channels
                    .iter()
                    .map(|name| envelope::channel(name))
                    .collect::<Result<_, _>>()?,
                event: envelope::event(&event)?,
                payload: envelope::payload(data),
                except: except.as_deref().map(envelope::socket).transpose()?,
                origin: Origin::OtherNode,
            };
            hub.publish(&publication);
        }
        Body::Whisper {
            channel,
            event,
            data,
            sender,
            ..
        } => {
            let whisper = Whisper {
                channel: envelope::channel(&channel)?,
                event: envelope::event(&event)?,
                payload: envelope::payload(data),
            };
            let sender = sender.map(|wire| wire.into_member()).transpose()?;
            hub.relay_whisper(&whisper, sender.as_ref());
        }
        Body::Presence {
            channel,
            ver,
            change,
        } => {
            let channel = envelope::channel(&channel)?;
            let change = match change {
                Change::Joined { member } => RosterChange::Joined(member.into_member()?),
                Change::Left { user } => RosterChange::Left { user },
            };
            shared.presence.apply(hub, &channel, ver, change);
        }
        Body::Survey { id, question } => {
            let answer = survey::answer(hub, &question);
            shared
                .outbox
                .send_to(&shared.keys, &envelope.node, Body::Reply { id, answer });
        }
        Body::Reply { id, answer } => shared.surveys.answered(id, &envelope.node, answer),
        Body::Bye {} => {
            tracing::info!(node = %envelope.node, "a node stopped");
            shared.surveys.gone(&envelope.node);
        }
    }
    Ok(())
}

impl Shared {
    /// Reads every mirrored roster again, once the other nodes had time to repair theirs
    /// (after a Redis restart every node reconciles at its next heartbeat).
    fn resync_later(self: &Arc<Self>, hub: &Arc<Hub>) {
        let (shared, hub) = (self.clone(), hub.clone());
        tokio::spawn(async move {
            tokio::time::sleep(shared.heartbeat + shared.heartbeat / 2).await;
            let channels = hub
                .mirrored_channels()
                .into_iter()
                .map(|(channel, _)| channel)
                .collect();
            let _ = shared.presence.ops.send(Op::Resync {
                channels,
                replace: true,
            });
        });
    }
}

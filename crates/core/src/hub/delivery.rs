//! The fan-out: publications and whispers handed to the subscribers of their channels, under
//! the registry's read lock, then passed on to the other nodes of a cluster when they
//! entered here.

use std::collections::HashSet;

use thiserror::Error;

use super::{Channel, Hub};
use crate::lifecycle::Transition;
use crate::message::{Message, Origin, Publication, SharedFrame, Whisper};
use crate::metrics::Stopwatch;
use crate::names::{ChannelKind, ChannelName, EventName, SocketId};
use crate::presence::Member;
use crate::stats::DropCounts;
use crate::subscriber::Undelivered;

/// What one publication did on this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryReport {
    /// Messages handed to subscribers.
    pub delivered: u64,
    /// Messages subscribers could not take; see [`Undelivered`].
    pub dropped: u64,
}

/// Why a whisper was not relayed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WhisperRefused {
    #[error("client events are only relayed on private and presence channels, not on {0}")]
    PublicChannel(ChannelName),
    #[error("client event names start with \"client-\", \"{0}\" does not")]
    NotAClientEvent(EventName),
    #[error("the sender is not subscribed to {0}")]
    NotSubscribed(ChannelName),
}

/// What a fan-out did: the report, the drops by reason, and the first subscriber that could
/// not take the message, for the log line.
#[derive(Default)]
struct Tally {
    report: DeliveryReport,
    drops: DropCounts,
    first_failure: Option<(SocketId, ChannelName, Undelivered)>,
}

impl Hub {
    /// Hands the publication to every subscriber of each of its channels on this node, except
    /// the excluded connection, then — if it entered at this node — to the other nodes. A
    /// connection in several of the channels receives it once per channel, with that
    /// channel's name, as Echo expects.
    pub fn publish(&self, publication: &Publication) -> DeliveryReport {
        let started = Stopwatch::start();
        let mut tally = Tally::default();
        {
            let registry = self.read();
            self.last_events.keep(publication);
            // A frame may name up to 65,535 channels, so duplicates are found by hashing, and
            // only when there is more than one channel (the common case costs nothing).
            let mut seen = HashSet::new();
            for channel in &publication.channels {
                if publication.channels.len() > 1 && !seen.insert(channel) {
                    continue;
                }
                let Some(entry) = registry.channels.get(channel) else {
                    continue;
                };
                let message = Message {
                    channel,
                    event: &publication.event,
                    payload: &publication.payload,
                    sender: None,
                    shared: &SharedFrame::default(),
                };
                fan_out(entry, message, publication.except.as_ref(), &mut tally);
            }
        }
        self.stats.fan_out.observe_since(started);
        self.recent.record(
            &publication.channels,
            &publication.event,
            &publication.payload,
            false,
        );
        if publication.origin == Origin::ThisNode
            && let Some(cluster) = &self.cluster
        {
            cluster.publish(publication);
        }
        let report = self.record(&publication.event, tally);
        // Dev mode's line per event (`--dev`): names and counts, never the payload.
        tracing::debug!(
            event = %publication.event,
            first_channel = %publication.channels.first().map_or("", |c| c.as_str()),
            channels = publication.channels.len(),
            delivered = report.delivered,
            dropped = report.dropped,
            "event published"
        );
        report
    }

    /// Relays a client event from `from` to the other subscribers of its channel, here and on
    /// the other nodes, if the channel is private or presence and `from` is subscribed to it.
    pub fn whisper(
        &self,
        from: &SocketId,
        whisper: &Whisper,
    ) -> Result<DeliveryReport, WhisperRefused> {
        if whisper.channel.kind() == ChannelKind::Public {
            return Err(WhisperRefused::PublicChannel(whisper.channel.clone()));
        }
        if !whisper.event.as_str().starts_with("client-") {
            return Err(WhisperRefused::NotAClientEvent(whisper.event.clone()));
        }
        let mut tally = Tally::default();
        {
            let registry = self.read();
            let entry = registry
                .channels
                .get(&whisper.channel)
                .filter(|entry| entry.subscribers.contains_key(from))
                .ok_or_else(|| WhisperRefused::NotSubscribed(whisper.channel.clone()))?;
            let subscription = &entry.subscribers[from];
            let sender = subscription
                .user
                .as_deref()
                .and_then(|user| entry.member(user));
            let message = Message {
                channel: &whisper.channel,
                event: &whisper.event,
                payload: &whisper.payload,
                sender,
                shared: &SharedFrame::default(),
            };
            fan_out(entry, message, Some(from), &mut tally);
            if let Some(cluster) = &self.cluster {
                cluster.whisper(whisper, from, sender);
            }
            // The presence member; else the user a private channel's authorization named;
            // else the user the connection signed in as.
            let user_id = || {
                sender
                    .map(Member::user_id_text)
                    .or_else(|| subscription.named.clone())
                    .or_else(|| registry.connections.get(from)?.user.clone())
            };
            self.tell(|| Transition::ClientEvent {
                channel: whisper.channel.clone(),
                event: whisper.event.clone(),
                payload: whisper.payload.clone(),
                socket_id: from.clone(),
                user_id: user_id(),
            });
        }
        self.stats.client_events.inc();
        self.recent.record(
            std::slice::from_ref(&whisper.channel),
            &whisper.event,
            &whisper.payload,
            true,
        );
        Ok(self.record(&whisper.event, tally))
    }

    /// Hands a client event that a socket of another node sent to this node's subscribers of
    /// its channel. The sending node checked it.
    pub fn relay_whisper(&self, whisper: &Whisper, sender: Option<&Member>) -> DeliveryReport {
        let mut tally = Tally::default();
        {
            let registry = self.read();
            if let Some(entry) = registry.channels.get(&whisper.channel) {
                let message = Message {
                    channel: &whisper.channel,
                    event: &whisper.event,
                    payload: &whisper.payload,
                    sender,
                    shared: &SharedFrame::default(),
                };
                fan_out(entry, message, None, &mut tally);
            }
        }
        // Counted as a client event by the node its sender is on only.
        self.record(&whisper.event, tally)
    }

    fn record(&self, event: &EventName, tally: Tally) -> DeliveryReport {
        let Tally {
            report,
            drops,
            first_failure,
        } = tally;
        self.stats.published();
        self.stats.deliveries.add(report.delivered);
        if let Some((socket, channel, reason)) = first_failure {
            let total = self.stats.add_drops(&drops);
            if let Some(held_back) = self.dropped_log.check() {
                tracing::warn!(
                    %event,
                    first_channel = %channel,
                    first_socket = %socket,
                    ?reason,
                    dropped = report.dropped,
                    delivered = report.delivered,
                    dropped_since_start = total,
                    events_like_this_since_last_line = held_back,
                    "some subscribers did not receive an event",
                );
            }
        }
        report
    }
}

/// Hands `message` to every subscriber of `entry` but `except`.
fn fan_out(entry: &Channel, message: Message<'_>, except: Option<&SocketId>, tally: &mut Tally) {
    for (id, subscription) in &entry.subscribers {
        if except == Some(id) {
            continue;
        }
        match subscription.subscriber.deliver(message) {
            Ok(()) => tally.report.delivered += 1,
            Err(reason) => {
                tally.report.dropped += 1;
                tally.drops.count(reason);
                tally
                    .first_failure
                    .get_or_insert((id.clone(), message.channel.clone(), reason));
            }
        }
    }
}

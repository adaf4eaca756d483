//! The registry of connections and their channels, and the fan-out of publications.
//!
//! One `RwLock` guards the whole registry. Publishing, the hot path, takes the read lock, so
//! publications from several ingest connections fan out in parallel; subscribing and
//! disconnecting take the write lock briefly. A std lock rather than an async one: nothing
//! awaits while holding it, and [`Subscriber::deliver`] never blocks.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use thiserror::Error;

use crate::message::{Message, Publication};
use crate::names::{ChannelKind, ChannelName, SocketId};
use crate::stats::{Stats, StatsSnapshot};
use crate::subscriber::{Subscriber, Undelivered};

/// Shared by every ingest path and front end; clone the `Arc` it lives in.
#[derive(Default)]
pub struct Hub {
    registry: RwLock<Registry>,
    stats: Stats,
}

#[derive(Default)]
struct Registry {
    /// Channel → its members. A channel is removed with its last member.
    channels: HashMap<ChannelName, HashMap<SocketId, Arc<dyn Subscriber>>>,
    /// Connection → the channels it is in, so a disconnect leaves them all.
    connections: HashMap<SocketId, Connection>,
}

struct Connection {
    subscriber: Arc<dyn Subscriber>,
    channels: HashSet<ChannelName>,
}

/// The outcome of a successful subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    Joined,
    /// The connection was already a member; clients resend `subscribe` after a reconnect.
    AlreadyMember,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubscribeError {
    #[error("connection {0} is not connected")]
    UnknownConnection(SocketId),
    #[error("{channel} is a {kind:?} channel; joining it needs authorization by the Laravel app")]
    NeedsAuthorization {
        channel: ChannelName,
        kind: ChannelKind,
    },
}

/// What one publication did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryReport {
    /// Messages handed to subscribers.
    pub delivered: u64,
    /// Messages subscribers could not take; see [`Undelivered`].
    pub dropped: u64,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let registry = self.read();
        f.debug_struct("Hub")
            .field("connections", &registry.connections.len())
            .field("channels", &registry.channels.len())
            .field("stats", &self.stats.snapshot())
            .finish()
    }
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a new connection. A connection already registered under `id` keeps its
    /// channels but delivers to the new `subscriber` from now on.
    pub fn connect(&self, id: SocketId, subscriber: Arc<dyn Subscriber>) {
        let mut registry = self.write();
        let connection = registry
            .connections
            .entry(id.clone())
            .or_insert_with(|| Connection {
                subscriber: subscriber.clone(),
                channels: HashSet::new(),
            });
        connection.subscriber = subscriber.clone();
        let channels: Vec<ChannelName> = connection.channels.iter().cloned().collect();
        for channel in channels {
            if let Some(members) = registry.channels.get_mut(&channel) {
                members.insert(id.clone(), subscriber.clone());
            }
        }
    }

    /// Adds a connection to a public channel.
    pub fn subscribe(
        &self,
        id: &SocketId,
        channel: ChannelName,
    ) -> Result<Subscribed, SubscribeError> {
        let kind = channel.kind();
        if kind != ChannelKind::Public {
            return Err(SubscribeError::NeedsAuthorization { channel, kind });
        }
        let mut registry = self.write();
        let Registry {
            channels,
            connections,
        } = &mut *registry;
        let connection = connections
            .get_mut(id)
            .ok_or_else(|| SubscribeError::UnknownConnection(id.clone()))?;
        if !connection.channels.insert(channel.clone()) {
            return Ok(Subscribed::AlreadyMember);
        }
        channels
            .entry(channel)
            .or_default()
            .insert(id.clone(), connection.subscriber.clone());
        Ok(Subscribed::Joined)
    }

    /// Removes a connection from a channel. Returns whether it was a member.
    pub fn unsubscribe(&self, id: &SocketId, channel: &ChannelName) -> bool {
        let mut registry = self.write();
        let was_member = registry
            .connections
            .get_mut(id)
            .is_some_and(|connection| connection.channels.remove(channel));
        if was_member {
            registry.remove_member(channel, id);
        }
        was_member
    }

    /// Forgets a connection and leaves every channel it was in. Returns how many that was.
    pub fn disconnect(&self, id: &SocketId) -> usize {
        let mut registry = self.write();
        let Some(connection) = registry.connections.remove(id) else {
            return 0;
        };
        for channel in &connection.channels {
            registry.remove_member(channel, id);
        }
        connection.channels.len()
    }

    /// Hands the publication to every member of each of its channels, except the excluded
    /// connection. A connection in several of the channels receives it once per channel, with
    /// that channel's name, as Echo expects.
    pub fn publish(&self, publication: &Publication) -> DeliveryReport {
        let mut report = DeliveryReport::default();
        let mut first_failure = None;
        {
            let registry = self.read();
            // A frame may name up to 65,535 channels, so duplicates are found by hashing, and
            // only when there is more than one channel (the common case costs nothing).
            let mut seen = HashSet::new();
            for channel in &publication.channels {
                if publication.channels.len() > 1 && !seen.insert(channel) {
                    continue;
                }
                let Some(members) = registry.channels.get(channel) else {
                    continue;
                };
                let message = Message {
                    channel,
                    event: &publication.event,
                    payload: &publication.payload,
                };
                for (id, subscriber) in members {
                    if publication.except.as_ref() == Some(id) {
                        continue;
                    }
                    match subscriber.deliver(message) {
                        Ok(()) => report.delivered += 1,
                        Err(reason) => {
                            report.dropped += 1;
                            first_failure.get_or_insert((id.clone(), channel.clone(), reason));
                        }
                    }
                }
            }
        }
        Stats::add(&self.stats.publications, 1);
        Stats::add(&self.stats.deliveries, report.delivered);
        if let Some((socket, channel, reason)) = first_failure {
            let total = Stats::add(&self.stats.dropped, report.dropped);
            log_dropped(&publication.event, &channel, &socket, reason, report, total);
        }
        report
    }

    /// Connections currently subscribed to `channel`.
    pub fn subscription_count(&self, channel: &ChannelName) -> usize {
        self.read().channels.get(channel).map_or(0, HashMap::len)
    }

    /// Connections currently registered.
    pub fn connection_count(&self) -> usize {
        self.read().connections.len()
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    // A panic while the lock is held cannot leave the maps half-updated in a way that matters
    // more than stopping delivery would, so a poisoned lock is used as is.
    fn read(&self) -> RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Registry> {
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Registry {
    fn remove_member(&mut self, channel: &ChannelName, id: &SocketId) {
        if let Some(members) = self.channels.get_mut(channel) {
            members.remove(id);
            if members.is_empty() {
                self.channels.remove(channel);
            }
        }
    }
}

fn log_dropped(
    event: &crate::EventName,
    channel: &ChannelName,
    socket: &SocketId,
    reason: Undelivered,
    report: DeliveryReport,
    total: u64,
) {
    tracing::warn!(
        %event,
        first_channel = %channel,
        first_socket = %socket,
        ?reason,
        dropped = report.dropped,
        delivered = report.delivered,
        dropped_since_start = total,
        "some subscribers did not receive an event",
    );
}

#[cfg(test)]
mod tests;

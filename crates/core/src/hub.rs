//! The registry of connections and their channels, and the fan-out of publications.
//!
//! One `RwLock` guards the whole registry. Publishing and whispers, the hot path, take the read
//! lock, so publications from several ingest connections fan out in parallel; subscribing and
//! disconnecting take the write lock briefly. Presence changes happen under that same write
//! lock, together with the subscriber lists, and the notices about them are queued to the
//! subscribers before it is released: every socket sees joins and leaves in one consistent
//! order. A std lock rather than an async one: nothing awaits while holding it, and
//! [`Subscriber`] methods never block.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use thiserror::Error;

use crate::auth::Access;
use crate::message::{Message, Publication, Whisper};
use crate::names::{ChannelKind, ChannelName, SocketId};
use crate::presence::{Member, Roster};
use crate::stats::{Stats, StatsSnapshot};
use crate::subscriber::{Notice, Subscriber, Undelivered};

/// Shared by every ingest path and front end; clone the `Arc` it lives in.
#[derive(Default)]
pub struct Hub {
    registry: RwLock<Registry>,
    stats: Stats,
}

#[derive(Default)]
struct Registry {
    /// Channel → its subscribers. A channel is removed with its last subscriber.
    channels: HashMap<ChannelName, Channel>,
    /// Connection → the channels it is in, so a disconnect leaves them all.
    connections: HashMap<SocketId, Connection>,
}

struct Connection {
    subscriber: Arc<dyn Subscriber>,
    channels: HashSet<ChannelName>,
}

#[derive(Default)]
struct Channel {
    subscribers: HashMap<SocketId, Subscription>,
    /// Present for presence channels only.
    roster: Option<Roster>,
}

struct Subscription {
    subscriber: Arc<dyn Subscriber>,
    /// The roster key of the user this socket is present as, in a presence channel.
    user: Option<String>,
}

/// The outcome of a successful subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    Joined,
    /// The connection was already subscribed; clients resend `subscribe` after a reconnect.
    /// In a presence channel it is sent the member list again.
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
    #[error("{channel} is a {kind:?} channel, but the subscription was granted {granted} access")]
    WrongAccess {
        channel: ChannelName,
        kind: ChannelKind,
        granted: &'static str,
    },
}

/// Why a whisper was not relayed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WhisperRefused {
    #[error("client events are only relayed on private and presence channels, not on {0}")]
    PublicChannel(ChannelName),
    #[error("client event names start with \"client-\", \"{0}\" does not")]
    NotAClientEvent(crate::EventName),
    #[error("the sender is not subscribed to {0}")]
    NotSubscribed(ChannelName),
}

/// What is known of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelInfo {
    /// Connections subscribed to it.
    pub subscription_count: usize,
    /// Distinct users present, for a presence channel.
    pub user_count: Option<usize>,
}

impl Channel {
    fn info(&self) -> ChannelInfo {
        ChannelInfo {
            subscription_count: self.subscribers.len(),
            user_count: self.roster.as_ref().map(|roster| roster.members().len()),
        }
    }
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

    /// Registers a new connection. Returns `false`, changing nothing, if `id` is taken.
    pub fn connect(&self, id: SocketId, subscriber: Arc<dyn Subscriber>) -> bool {
        let mut registry = self.write();
        if registry.connections.contains_key(&id) {
            return false;
        }
        registry.connections.insert(
            id,
            Connection {
                subscriber,
                channels: HashSet::new(),
            },
        );
        true
    }

    /// Adds a connection to a channel with the access its kind requires: [`Access::Public`]
    /// for public channels, what the app granted for private and presence ones. Joining a
    /// presence channel sends the socket the member list and, if its user was not present yet,
    /// tells the others.
    pub fn subscribe(
        &self,
        id: &SocketId,
        channel: ChannelName,
        access: Access,
    ) -> Result<Subscribed, SubscribeError> {
        let member = check_access(&channel, access)?;
        let mut registry = self.write();
        let Registry {
            channels,
            connections,
        } = &mut *registry;
        let connection = connections
            .get_mut(id)
            .ok_or_else(|| SubscribeError::UnknownConnection(id.clone()))?;
        let subscriber = connection.subscriber.clone();
        let entry = channels.entry(channel.clone()).or_default();
        if !connection.channels.insert(channel.clone()) {
            if let Some(roster) = &entry.roster {
                self.count(subscriber.notify(Notice::Here {
                    channel: &channel,
                    members: &roster.members(),
                }));
            }
            return Ok(Subscribed::AlreadyMember);
        }

        let user = member.as_ref().map(|m| m.key().to_owned());
        entry.subscribers.insert(
            id.clone(),
            Subscription {
                subscriber: subscriber.clone(),
                user,
            },
        );
        if let Some(member) = member {
            let roster = entry.roster.get_or_insert_with(Roster::default);
            if let Some(joined) = roster.join(id.clone(), member) {
                for (other, subscription) in &entry.subscribers {
                    if other != id {
                        self.count(subscription.subscriber.notify(Notice::Joining {
                            channel: &channel,
                            member: joined,
                        }));
                    }
                }
            }
            self.count(subscriber.notify(Notice::Here {
                channel: &channel,
                members: &roster.members(),
            }));
        }
        Ok(Subscribed::Joined)
    }

    /// Removes a connection from a channel. Returns whether it was subscribed.
    pub fn unsubscribe(&self, id: &SocketId, channel: &ChannelName) -> bool {
        let mut registry = self.write();
        let was_member = registry
            .connections
            .get_mut(id)
            .is_some_and(|connection| connection.channels.remove(channel));
        if was_member {
            self.leave(&mut registry, channel, id);
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
            self.leave(&mut registry, channel, id);
        }
        connection.channels.len()
    }

    /// Hands the publication to every subscriber of each of its channels, except the excluded
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
                let Some(entry) = registry.channels.get(channel) else {
                    continue;
                };
                let message = Message {
                    channel,
                    event: &publication.event,
                    payload: &publication.payload,
                };
                fan_out(
                    entry,
                    message,
                    publication.except.as_ref(),
                    &mut report,
                    &mut first_failure,
                );
            }
        }
        self.record(&publication.event, report, first_failure);
        report
    }

    /// Relays a client event from `from` to the other subscribers of its channel, if the
    /// channel is private or presence and `from` is subscribed to it.
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
        let mut report = DeliveryReport::default();
        let mut first_failure = None;
        {
            let registry = self.read();
            let entry = registry
                .channels
                .get(&whisper.channel)
                .filter(|entry| entry.subscribers.contains_key(from))
                .ok_or_else(|| WhisperRefused::NotSubscribed(whisper.channel.clone()))?;
            let message = Message {
                channel: &whisper.channel,
                event: &whisper.event,
                payload: &whisper.payload,
            };
            fan_out(entry, message, Some(from), &mut report, &mut first_failure);
        }
        self.record(&whisper.event, report, first_failure);
        Ok(report)
    }

    /// Connections currently subscribed to `channel`.
    pub fn subscription_count(&self, channel: &ChannelName) -> usize {
        self.read()
            .channels
            .get(channel)
            .map_or(0, |entry| entry.subscribers.len())
    }

    /// Subscriber and user counts of one channel; zero for a channel nobody is in.
    pub fn channel(&self, channel: &ChannelName) -> ChannelInfo {
        self.read()
            .channels
            .get(channel)
            .map_or_else(ChannelInfo::default, Channel::info)
    }

    /// Every occupied channel whose name starts with `prefix`, by name.
    pub fn channels(&self, prefix: &str) -> Vec<(ChannelName, ChannelInfo)> {
        let registry = self.read();
        let mut channels: Vec<_> = registry
            .channels
            .iter()
            .filter(|(name, _)| name.as_str().starts_with(prefix))
            .map(|(name, entry)| (name.clone(), entry.info()))
            .collect();
        channels.sort_by(|a, b| a.0.cmp(&b.0));
        channels
    }

    /// The users present in a presence channel, in joining order.
    pub fn members(&self, channel: &ChannelName) -> Vec<Member> {
        self.read()
            .channels
            .get(channel)
            .and_then(|entry| entry.roster.as_ref())
            .map_or_else(Vec::new, |roster| {
                roster.members().into_iter().cloned().collect()
            })
    }

    /// Connections currently registered.
    pub fn connection_count(&self) -> usize {
        self.read().connections.len()
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Takes `id` out of `channel`, telling the others if its user is gone from a presence
    /// channel, and forgets the channel with its last subscriber.
    fn leave(&self, registry: &mut Registry, channel: &ChannelName, id: &SocketId) {
        let Some(entry) = registry.channels.get_mut(channel) else {
            return;
        };
        let Some(subscription) = entry.subscribers.remove(id) else {
            return;
        };
        if let (Some(roster), Some(user)) = (&mut entry.roster, &subscription.user)
            && let Some(gone) = roster.leave(id, user)
        {
            for remaining in entry.subscribers.values() {
                self.count(remaining.subscriber.notify(Notice::Leaving {
                    channel,
                    member: &gone,
                }));
            }
        }
        if entry.subscribers.is_empty() {
            registry.channels.remove(channel);
        }
    }

    /// Counts a notice that could not be queued.
    fn count(&self, result: Result<(), Undelivered>) {
        if let Err(reason) = result {
            let total = Stats::add(&self.stats.dropped, 1);
            tracing::warn!(
                ?reason,
                dropped_since_start = total,
                "a presence notice was not delivered"
            );
        }
    }

    fn record(
        &self,
        event: &crate::EventName,
        report: DeliveryReport,
        first_failure: Option<(SocketId, ChannelName, Undelivered)>,
    ) {
        Stats::add(&self.stats.publications, 1);
        Stats::add(&self.stats.deliveries, report.delivered);
        if let Some((socket, channel, reason)) = first_failure {
            let total = Stats::add(&self.stats.dropped, report.dropped);
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

/// Checks that `access` is what `channel`'s kind requires; returns the presence member.
fn check_access(channel: &ChannelName, access: Access) -> Result<Option<Member>, SubscribeError> {
    let kind = channel.kind();
    let granted = match (kind, access) {
        (ChannelKind::Public, Access::Public) | (ChannelKind::Private, Access::Private) => {
            return Ok(None);
        }
        (ChannelKind::Presence, Access::Presence(member)) => return Ok(Some(member)),
        (ChannelKind::Private | ChannelKind::Presence, Access::Public) => {
            return Err(SubscribeError::NeedsAuthorization {
                channel: channel.clone(),
                kind,
            });
        }
        (_, Access::Private) => "private",
        (_, Access::Presence(_)) => "presence",
    };
    Err(SubscribeError::WrongAccess {
        channel: channel.clone(),
        kind,
        granted,
    })
}

/// Hands `message` to every subscriber of `entry` but `except`.
fn fan_out(
    entry: &Channel,
    message: Message<'_>,
    except: Option<&SocketId>,
    report: &mut DeliveryReport,
    first_failure: &mut Option<(SocketId, ChannelName, Undelivered)>,
) {
    for (id, subscription) in &entry.subscribers {
        if except == Some(id) {
            continue;
        }
        match subscription.subscriber.deliver(message) {
            Ok(()) => report.delivered += 1,
            Err(reason) => {
                report.dropped += 1;
                first_failure.get_or_insert((id.clone(), message.channel.clone(), reason));
            }
        }
    }
}

#[cfg(test)]
mod tests;

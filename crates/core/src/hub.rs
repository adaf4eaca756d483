//! The registry of connections and their channels: who is subscribed to what, and presence.
//!
//! One `RwLock` guards the whole registry. Publishing and whispers, the hot path
//! (`delivery`), take the read lock, so publications from several ingest connections fan out
//! in parallel; subscribing and disconnecting take the write lock briefly. Presence changes
//! happen under that same write lock, together with the subscriber lists, and the notices
//! about them are queued to the subscribers before it is released: every socket sees joins
//! and leaves in one consistent order. A std lock rather than an async one: nothing awaits
//! while holding it, and [`Subscriber`] and [`Cluster`] methods never block.
//!
//! On a single node the roster of a presence channel is decided here ([`Roster`]). In a
//! cluster it is decided by the [`Cluster`]; a join awaits its answer (outside the lock) and
//! the channel keeps a [`Mirror`] that the other nodes' changes are applied to (`peers`).
//!
//! # Layout
//! - this file: the registry, connections, leaving.
//! - `joining`: subscribing, on a single node and through the cluster.
//! - `delivery`: publications and whispers, the fan-out.
//! - `peers`: what other nodes of a cluster send in.
//! - `census`: questions about channels, members and connections.
//! - `last_events`: the last event of each cache channel, replayed to new subscribers.
//! - `counts`: subscription counts announced to subscribers; `node_counts`: those of the other
//!   nodes of a cluster, added in.
//! - `sign_ins`: closing the connections signed in as a user.
//! - `recent`: the last events, kept while the operator's dashboard watches.

mod census;
mod counts;
mod delivery;
mod joining;
mod last_events;
mod node_counts;
mod peers;
mod recent;
mod sign_ins;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::cluster::Cluster;
use crate::lifecycle::{Observer, Transition};
use crate::log_limit::LogLimit;
use crate::metrics::HistogramSnapshot;
use crate::mirror::{Effect, Effects, Mirror};
use crate::names::{ChannelName, SocketId};
use crate::presence::{Member, Roster};
use crate::stats::{Stats, StatsSnapshot};
use crate::subscriber::{Notice, Subscriber, Undelivered};

pub use census::{ByKind, ChannelInfo, Occupancy};
pub use delivery::{DeliveryReport, WhisperRefused};
pub use joining::{MAX_CHANNELS_PER_CONNECTION, SubscribeError, Subscribed};
pub use last_events::{CachedEvent, LAST_EVENT_TTL, MAX_CACHE_CHANNELS};
pub use peers::Applied;
pub use recent::{KEPT as RECENT_KEPT, RecentEvent};

/// Shared by every ingest path and front end; clone the `Arc` it lives in.
#[derive(Default)]
pub struct Hub {
    registry: RwLock<Registry>,
    stats: Stats,
    /// The other nodes, when this one is part of a cluster.
    cluster: Option<Arc<dyn Cluster>>,
    last_events: last_events::LastEvents,
    node_counts: node_counts::NodeCounts,
    /// The warnings about events and notices not delivered, which every publication to a
    /// slow subscriber would repeat.
    dropped_log: LogLimit,
    undelivered_log: LogLimit,
    recent: recent::Recent,
    /// Told of channels occupied and vacated, members added and removed, client events.
    observer: Option<Arc<dyn Observer>>,
}

#[derive(Default)]
struct Registry {
    /// Channel → its subscribers. A channel is removed with its last subscriber.
    channels: HashMap<ChannelName, Channel>,
    /// Connection → the channels it is in, so a disconnect leaves them all.
    connections: HashMap<SocketId, Connection>,
    /// Signed-in user → how many of its connections are open, for the observer.
    users: HashMap<String, usize>,
}

struct Connection {
    subscriber: Arc<dyn Subscriber>,
    channels: HashSet<ChannelName>,
    /// The user it signed in as (`pusher:signin`), once the front end said so.
    user: Option<String>,
}

#[derive(Default)]
struct Channel {
    subscribers: HashMap<SocketId, Subscription>,
    /// Present for presence channels only.
    presence: Option<Presence>,
    /// Joins waiting for the cluster's answer: the channel (and the changes its mirror holds)
    /// is kept for them even while it has no subscriber.
    joining: usize,
    /// The subscription count last announced (`counts`), and whether a subscriber joined
    /// since; atomic, so that announcing takes only the read lock.
    announced_count: AtomicUsize,
    untold_subscribers: AtomicBool,
    /// In a cluster: this node told the cluster it has sockets here (`Cluster::occupancy`),
    /// from the first join's arrival (before its member is recorded) to the channel's end.
    occupancy_told: bool,
}

/// Who is present in a channel: decided here, or mirrored from the cluster.
enum Presence {
    Local(Roster),
    Mirror(Mirror),
}

struct Subscription {
    subscriber: Arc<dyn Subscriber>,
    /// The roster key of the user this socket is present as, in a presence channel.
    user: Option<String>,
    /// The user a private channel's authorization named (`Access::PrivateAs`).
    named: Option<String>,
    /// Whether this socket was told the channel's subscription count (`counts`).
    count_told: AtomicBool,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let registry = self.read();
        f.debug_struct("Hub")
            .field("connections", &registry.connections.len())
            .field("channels", &registry.channels.len())
            .field("stats", &self.stats.snapshot())
            .field("clustered", &self.cluster.is_some())
            .finish()
    }
}

impl Hub {
    /// A hub for a single node.
    pub fn new() -> Self {
        Self::default()
    }

    /// A hub for one node of a cluster.
    pub fn clustered(cluster: Arc<dyn Cluster>) -> Self {
        Hub {
            cluster: Some(cluster),
            ..Self::default()
        }
    }

    /// This hub, telling `observer` of every transition (see [`crate::lifecycle`]).
    pub fn observed_by(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    fn tell(&self, transition: impl FnOnce() -> Transition) {
        if let Some(observer) = &self.observer {
            observer.observe(transition());
        }
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
                user: None,
            },
        );
        true
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
        if let Some(user) = connection.user {
            self.signed_out(&mut registry, user);
        }
        connection.channels.len()
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// How long publications took to reach every subscriber's queue on this node.
    pub fn fan_out_latency(&self) -> HistogramSnapshot {
        self.stats.fan_out()
    }

    /// Takes `id` out of `channel`, and forgets the channel with its last subscriber. On a
    /// single node, the others are told if its user is gone from a presence channel; in a
    /// cluster, the cluster records the leave and announces it when it is the user's last
    /// socket anywhere.
    fn leave(&self, registry: &mut Registry, channel: &ChannelName, id: &SocketId) {
        let Some(entry) = registry.channels.get_mut(channel) else {
            return;
        };
        let Some(subscription) = entry.subscribers.remove(id) else {
            return;
        };
        self.count_changed(channel, entry.subscribers.len());
        match (&mut entry.presence, &subscription.user) {
            (Some(Presence::Local(roster)), Some(user)) => {
                if let Some(gone) = roster.leave(id, user) {
                    self.tell(|| Transition::MemberRemoved {
                        channel: channel.clone(),
                        user_id: gone.user_id_text(),
                    });
                    self.tell_effects(channel, entry, &vec![Effect::Left(gone)]);
                }
            }
            (Some(Presence::Mirror(_)), Some(_)) => {
                if let Some(cluster) = &self.cluster {
                    cluster.leave(channel, id);
                }
            }
            _ => {}
        }
        if entry.subscribers.is_empty() && self.cluster.is_none() {
            self.tell(|| Transition::ChannelVacated {
                channel: channel.clone(),
            });
        }
        self.forget_if_unused(&mut registry.channels, channel);
    }

    /// A channel's subscriptions on this node are `count` now: told to the observer on a single
    /// node, to the cluster (which adds the nodes up) in a cluster.
    fn count_changed(&self, channel: &ChannelName, count: usize) {
        match &self.cluster {
            Some(cluster) => cluster.counted(channel, count),
            None => self.tell(|| Transition::SubscriptionCount {
                channel: channel.clone(),
                count,
            }),
        }
    }

    /// The channels this node told the cluster it has sockets in (`Cluster::occupancy`), for
    /// the cluster to record again after its store was unreachable.
    pub fn occupied_here(&self) -> Vec<ChannelName> {
        self.read()
            .channels
            .iter()
            .filter(|(_, entry)| entry.occupancy_told)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Forgets a channel nobody is in or joining; in a cluster, the cluster is told this
    /// node has no socket there any more.
    fn forget_if_unused(
        &self,
        channels: &mut HashMap<ChannelName, Channel>,
        channel: &ChannelName,
    ) {
        let Some(entry) = channels.get(channel) else {
            return;
        };
        if !entry.is_unused() {
            return;
        }
        if entry.occupancy_told
            && let Some(cluster) = &self.cluster
        {
            cluster.occupancy(channel, false);
        }
        channels.remove(channel);
    }

    /// Tells a socket that its subscription to `channel` took effect, and gives it the last
    /// event of a cache channel.
    fn tell_subscribed(&self, subscriber: &dyn Subscriber, channel: &ChannelName, entry: &Channel) {
        let members = entry.members();
        self.count(subscriber.notify(Notice::Subscribed {
            channel,
            members: members.as_deref(),
        }));
        if channel.is_cache() {
            self.count(self.last_events.replay(subscriber, channel));
        }
    }

    /// Tells every subscriber of `channel` who joined and left.
    fn tell_effects(&self, channel: &ChannelName, entry: &Channel, effects: &Effects) {
        for effect in effects {
            for subscription in entry.subscribers.values() {
                let notice = match effect {
                    Effect::Joined(member) => Notice::Joining { channel, member },
                    Effect::Left(member) => Notice::Leaving { channel, member },
                };
                self.count(subscription.subscriber.notify(notice));
            }
        }
    }

    /// The last event published on a cache channel that is still kept (on this node).
    pub fn cached_event(&self, channel: &ChannelName) -> Option<CachedEvent> {
        self.last_events.get(channel)
    }

    /// Counts a notice that could not be queued.
    fn count(&self, result: Result<(), Undelivered>) {
        if let Err(reason) = result {
            let total = self.stats.drop_one(reason);
            if let Some(held_back) = self.undelivered_log.check() {
                tracing::warn!(
                    ?reason,
                    dropped_since_start = total,
                    like_this_since_last_line = held_back,
                    "a notice was not delivered"
                );
            }
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

impl Channel {
    /// Nobody subscribed and nobody about to be: the channel can be forgotten.
    fn is_unused(&self) -> bool {
        self.subscribers.is_empty() && self.joining == 0
    }

    /// Everyone present, for a presence channel.
    fn members(&self) -> Option<Vec<&Member>> {
        self.presence.as_ref().map(|presence| match presence {
            Presence::Local(roster) => roster.members(),
            Presence::Mirror(mirror) => mirror.members(),
        })
    }

    /// Users present, for a presence channel.
    fn member_count(&self) -> Option<usize> {
        self.presence.as_ref().map(|presence| match presence {
            Presence::Local(roster) => roster.len(),
            Presence::Mirror(mirror) => mirror.len(),
        })
    }

    /// The member a user is present as.
    fn member(&self, user: &str) -> Option<&Member> {
        match self.presence.as_ref()? {
            Presence::Local(roster) => roster.member(user),
            Presence::Mirror(mirror) => mirror.member(user),
        }
    }
}

#[cfg(test)]
mod tests;

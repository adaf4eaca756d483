//! Questions about this node's channels, members and connections. In a cluster these are
//! one node's part of an answer; the cluster gathers the others'.

use serde::Serialize;

use super::{Channel, Hub};
use crate::census::{Census, Gathered, Gathering, Totals};
use crate::names::{ChannelKind, ChannelName};
use crate::presence::Member;

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
            user_count: self.member_count(),
        }
    }
}

impl Hub {
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
            .filter(|entry| !entry.subscribers.is_empty())
            .map_or_else(ChannelInfo::default, Channel::info)
    }

    /// Every occupied channel whose name starts with `prefix`, by name.
    pub fn channels(&self, prefix: &str) -> Vec<(ChannelName, ChannelInfo)> {
        let registry = self.read();
        let mut channels: Vec<_> = registry
            .channels
            .iter()
            .filter(|(name, entry)| {
                name.as_str().starts_with(prefix) && !entry.subscribers.is_empty()
            })
            .map(|(name, entry)| (name.clone(), entry.info()))
            .collect();
        channels.sort_by(|a, b| a.0.cmp(&b.0));
        channels
    }

    /// The users present in a presence channel: in joining order on a single node; as this
    /// node mirrors the cluster's roster otherwise.
    pub fn members(&self, channel: &ChannelName) -> Vec<Member> {
        self.read()
            .channels
            .get(channel)
            .and_then(Channel::members)
            .map_or_else(Vec::new, |members| members.into_iter().cloned().collect())
    }

    /// Connections currently registered.
    pub fn connection_count(&self) -> usize {
        self.read().connections.len()
    }

    /// This node's totals.
    pub fn totals(&self) -> Totals {
        let registry = self.read();
        Totals {
            connections: registry.connections.len(),
            channels: registry
                .channels
                .values()
                .filter(|entry| !entry.subscribers.is_empty())
                .count(),
            stats: self.stats.snapshot(),
            nodes: 1,
            cluster: None,
        }
    }
}

/// How many connections, channels, subscriptions and presence members a hub holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Occupancy {
    pub connections: usize,
    /// Occupied channels, by kind.
    pub channels: ByKind,
    /// Subscriptions (a connection in a channel), by the channel's kind.
    pub subscriptions: ByKind,
    /// Users present, added up over the presence channels (a user in two counts twice).
    pub presence_members: usize,
}

/// A count for each kind of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ByKind {
    pub public: usize,
    pub private: usize,
    pub presence: usize,
}

impl ByKind {
    fn of(&mut self, kind: ChannelKind) -> &mut usize {
        match kind {
            ChannelKind::Public => &mut self.public,
            ChannelKind::Private => &mut self.private,
            ChannelKind::Presence => &mut self.presence,
        }
    }

    pub fn get(&self, kind: ChannelKind) -> usize {
        match kind {
            ChannelKind::Public => self.public,
            ChannelKind::Private => self.private,
            ChannelKind::Presence => self.presence,
        }
    }

    pub fn total(&self) -> usize {
        self.public + self.private + self.presence
    }
}

impl Occupancy {
    /// Adds another hub's figures to these.
    pub fn add(&mut self, other: &Occupancy) {
        self.connections += other.connections;
        for kind in [
            ChannelKind::Public,
            ChannelKind::Private,
            ChannelKind::Presence,
        ] {
            *self.channels.of(kind) += other.channels.get(kind);
            *self.subscriptions.of(kind) += other.subscriptions.get(kind);
        }
        self.presence_members += other.presence_members;
    }
}

impl Hub {
    /// This node's connections, channels, subscriptions and members now: one pass over the
    /// channels under the read lock, allocating nothing.
    pub fn occupancy(&self) -> Occupancy {
        let registry = self.read();
        let mut occupancy = Occupancy {
            connections: registry.connections.len(),
            ..Occupancy::default()
        };
        for (name, channel) in &registry.channels {
            if channel.subscribers.is_empty() {
                continue;
            }
            let kind = name.kind();
            *occupancy.channels.of(kind) += 1;
            *occupancy.subscriptions.of(kind) += channel.subscribers.len();
            occupancy.presence_members += channel.member_count().unwrap_or(0);
        }
        occupancy
    }
}

/// A single node answers from its own registry, at once.
impl Census for Hub {
    fn channels(&self, prefix: &str) -> Gathering<Vec<(ChannelName, ChannelInfo)>> {
        ready(Hub::channels(self, prefix))
    }

    fn channel(&self, channel: &ChannelName) -> Gathering<ChannelInfo> {
        ready(Hub::channel(self, channel))
    }

    fn members(&self, channel: &ChannelName) -> Gathering<Vec<Member>> {
        ready(Hub::members(self, channel))
    }

    fn totals(&self) -> Gathering<Totals> {
        ready(Hub::totals(self))
    }
}

fn ready<T: Send + 'static>(value: T) -> Gathering<T> {
    Box::pin(std::future::ready(Gathered::complete(value)))
}

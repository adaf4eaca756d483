//! Lifecycle decisions for the whole cluster (only when lifecycle events are on): which
//! node's change makes a channel occupied or vacated (a signed-in user connected or
//! disconnected), and whether a leave or a vacating is still to be told once its grace period
//! is over. Each node tells only its own 0 ↔ 1 changes (the hub counts its sockets in a
//! channel, its connections of a user); Redis adds the nodes up.

use std::time::Duration;

use redis::Cmd;
use sidecast_core::ChannelName;

use super::{Arrival, Store};
use crate::keys::{Keys, OccupancyKeys};
use crate::link::{Link, LinkError};

/// What the lifecycle follows across nodes: a channel, occupied while any node has a socket
/// in it, or a signed-in user, connected while any node has a connection of it. Both are
/// decided by the same scripts, each in keys of its own (`Keys::channel_occupancy`,
/// `Keys::user_occupancy`) and indexed by node for the sweep.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Tracked {
    Channel(ChannelName),
    User(String),
}

impl Tracked {
    fn name(&self) -> &str {
        match self {
            Tracked::Channel(channel) => channel.as_str(),
            Tracked::User(user) => user,
        }
    }

    fn keys(&self, keys: &Keys) -> OccupancyKeys {
        match self {
            Tracked::Channel(channel) => keys.channel_occupancy(channel.as_str()),
            Tracked::User(user) => keys.user_occupancy(user),
        }
    }

    /// The SET of what `node` has, where this is kept.
    fn index(&self, keys: &Keys, node: &str) -> String {
        match self {
            Tracked::Channel(_) => keys.node_occupied(node),
            Tracked::User(_) => keys.node_users(node),
        }
    }
}

/// What a node's last socket leaving a channel (last connection of a user) made of it; also
/// what a member's leave Redis did not confirm turns out to be (`leave_unconfirmed`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Vacated {
    /// The node had no socket there (connection of the user): nothing was decided.
    Absent,
    /// Other nodes still have sockets there (connections of the user).
    No,
    /// Vacated, to be told at once.
    Now,
    /// Vacated, to be told after the grace period if nothing came back: the marker to
    /// confirm.
    Later(String),
}

impl Vacated {
    /// As the scripts say it: 'none', '' (no), 'now', or the marker.
    fn of(outcome: String) -> Self {
        match outcome.as_str() {
            "none" => Vacated::Absent,
            "" => Vacated::No,
            "now" => Vacated::Now,
            _ => Vacated::Later(outcome),
        }
    }
}

impl Store {
    /// This node's first socket came to a channel (first connection of a user): what the app
    /// is told.
    pub(crate) async fn occupy(
        &self,
        link: &Link,
        tracked: &Tracked,
    ) -> Result<Arrival, LinkError> {
        let index = Cmd::sadd(tracked.index(&self.keys, &self.node), tracked.name());
        link.run(|mut connection| async move { index.query_async::<()>(&mut connection).await })
            .await?;
        let keys = tracked.keys(&self.keys);
        let mut invocation = self.occupy.prepare_invoke();
        invocation
            .key(&keys.nodes)
            .key(&keys.vacating)
            .arg(&self.node);
        let arrival: i64 = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        // 0 is nothing to tell, whether another node was there or it came back.
        Ok(Arrival::of(arrival > 0, arrival))
    }

    /// `node`'s last socket left a channel (last connection of a user closed), or `node` died:
    /// whether it is vacated (disconnected), and when that is told. `unconfirmed`: an earlier
    /// try may have been recorded, or lost with Redis' data; vacated then if no node has it.
    /// The node's index is the caller's to update then (`unindex_occupied`).
    pub(crate) async fn vacate(
        &self,
        link: &Link,
        node: &str,
        tracked: &Tracked,
        (grace, unconfirmed): (Duration, bool),
    ) -> Result<Vacated, LinkError> {
        let keys = tracked.keys(&self.keys);
        let mut invocation = self.vacate.prepare_invoke();
        invocation
            .key(&keys.nodes)
            .key(&keys.vacating)
            .arg(node)
            .arg(grace.as_millis() as u64)
            .arg(if unconfirmed { "1" } else { "" });
        let outcome: String = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(Vacated::of(outcome))
    }

    /// Whether Redis has `node` among those with sockets in a channel (connections of a user).
    pub(crate) async fn occupied_by(
        &self,
        link: &Link,
        node: &str,
        tracked: &Tracked,
    ) -> Result<bool, LinkError> {
        let member = Cmd::sismember(tracked.keys(&self.keys).nodes, node);
        link.run(|mut connection| async move { member.query_async(&mut connection).await })
            .await
    }

    /// Takes `tracked` out of `node`'s index, after `vacate`: a node dying in between leaves
    /// the index ahead, which its sweep then finds vacated already.
    pub(crate) async fn unindex_occupied(
        &self,
        link: &Link,
        node: &str,
        tracked: &Tracked,
    ) -> Result<(), LinkError> {
        let index = Cmd::srem(tracked.index(&self.keys, node), tracked.name());
        link.run(|mut connection| async move { index.query_async::<()>(&mut connection).await })
            .await
    }

    /// `node`'s subscriptions to `channel` are `here` now: the channel's count across the
    /// cluster.
    pub(crate) async fn count(
        &self,
        link: &Link,
        node: &str,
        channel: &ChannelName,
        here: usize,
    ) -> Result<usize, LinkError> {
        let mut invocation = self.count.prepare_invoke();
        invocation
            .key(self.keys.subscriptions(channel.as_str()))
            .arg(node)
            .arg(here);
        link.run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await
    }

    /// The channels where `node` has (or had) sockets and the users it has (or had)
    /// connections of, by the lifecycle's indexes.
    pub(crate) async fn node_occupied(
        &self,
        link: &Link,
        node: &str,
    ) -> Result<Vec<Tracked>, LinkError> {
        let channels = self
            .channel_set(link, self.keys.node_occupied(node))
            .await?;
        let users = Cmd::smembers(self.keys.node_users(node));
        let users: Vec<String> = link
            .run(|mut connection| async move { users.query_async(&mut connection).await })
            .await?;
        Ok(channels
            .into_iter()
            .map(Tracked::Channel)
            .chain(users.into_iter().map(Tracked::User))
            .collect())
    }

    /// A leave of `user` (a member key) from `channel` that Redis did not confirm, once this
    /// node's entries there are reconciled: gone (to be told) if no node has the user there.
    pub(crate) async fn leave_unconfirmed(
        &self,
        link: &Link,
        channel: &ChannelName,
        user: &str,
        grace: Duration,
    ) -> Result<Vacated, LinkError> {
        let keys = self.keys.roster(channel.as_str());
        let mut invocation = self.unconfirmed.prepare_invoke();
        invocation
            .key(&keys.members)
            .key(&keys.gone)
            .arg(user)
            .arg(grace.as_millis() as u64);
        let outcome: String = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(Vacated::of(outcome))
    }

    /// After its grace period: whether the leave of `user` (a member key) from `channel` is
    /// still to be told; it is then forgotten.
    pub(crate) async fn confirm_gone(
        &self,
        link: &Link,
        channel: &ChannelName,
        user: &str,
        marker: &str,
    ) -> Result<bool, LinkError> {
        let key = self.keys.roster(channel.as_str()).gone;
        self.confirm_marker(link, key, user, marker).await
    }

    /// After its grace period: whether a channel's vacating (a user's disconnection) is
    /// still to be told.
    pub(crate) async fn confirm_vacated(
        &self,
        link: &Link,
        tracked: &Tracked,
        marker: &str,
    ) -> Result<bool, LinkError> {
        let key = tracked.keys(&self.keys).vacating;
        self.confirm_marker(link, key, "", marker).await
    }

    async fn confirm_marker(
        &self,
        link: &Link,
        key: String,
        field: &str,
        marker: &str,
    ) -> Result<bool, LinkError> {
        let mut invocation = self.confirm.prepare_invoke();
        invocation.key(key).arg(field).arg(marker);
        let told: i64 = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(told == 1)
    }
}

//! Lifecycle decisions for the whole cluster (only when lifecycle events are on): which
//! node's change makes a channel occupied or vacated, and whether a leave or a vacating is
//! still to be told once its grace period is over. Each node tells only its own channel's
//! 0 ↔ 1 changes (the hub counts its sockets); Redis adds the nodes up.

use std::time::Duration;

use redis::Cmd;
use sidecast_core::ChannelName;

use super::{Arrival, Store};
use crate::link::{Link, LinkError};

/// What a node's last socket leaving a channel made of it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Vacated {
    /// Other nodes still have sockets there.
    No,
    /// Vacated, to be told at once.
    Now,
    /// Vacated, to be told after the grace period if nothing came back: the marker to
    /// confirm.
    Later(String),
}

impl Store {
    /// This node's first socket came to `channel`: what the app is told.
    pub(crate) async fn occupy(
        &self,
        link: &Link,
        channel: &ChannelName,
    ) -> Result<Arrival, LinkError> {
        let index = Cmd::sadd(self.keys.node_occupied(&self.node), channel.as_str());
        link.run(|mut connection| async move { index.query_async::<()>(&mut connection).await })
            .await?;
        let keys = self.keys.occupancy(channel.as_str());
        let mut invocation = self.occupy.prepare_invoke();
        invocation
            .key(&keys.nodes)
            .key(&keys.vacating)
            .arg(&self.node);
        let arrival: i64 = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        // 0 is nothing to tell, whether another node was there or the channel came back.
        Ok(Arrival::of(arrival > 0, arrival))
    }

    /// `node`'s last socket left `channel` (or `node` died): whether it is vacated, and when
    /// that is told. The node's index is the caller's to update then (`unindex_occupied`).
    pub(crate) async fn vacate(
        &self,
        link: &Link,
        node: &str,
        channel: &ChannelName,
        grace: Duration,
    ) -> Result<Vacated, LinkError> {
        let keys = self.keys.occupancy(channel.as_str());
        let mut invocation = self.vacate.prepare_invoke();
        invocation
            .key(&keys.nodes)
            .key(&keys.vacating)
            .arg(node)
            .arg(grace.as_millis() as u64);
        let outcome: String = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(match outcome.as_str() {
            "" => Vacated::No,
            "now" => Vacated::Now,
            _ => Vacated::Later(outcome),
        })
    }

    /// Takes `channel` out of `node`'s index, after `vacate`: a node dying in between leaves
    /// the index ahead, which its sweep then finds vacated already.
    pub(crate) async fn unindex_occupied(
        &self,
        link: &Link,
        node: &str,
        channel: &ChannelName,
    ) -> Result<(), LinkError> {
        let index = Cmd::srem(self.keys.node_occupied(node), channel.as_str());
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
            .key(self.keys.occupancy(channel.as_str()).subs)
            .arg(node)
            .arg(here);
        link.run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await
    }

    /// The channels where `node` has (or had) sockets, by the lifecycle's index.
    pub(crate) async fn node_occupied(
        &self,
        link: &Link,
        node: &str,
    ) -> Result<Vec<ChannelName>, LinkError> {
        self.channel_set(link, self.keys.node_occupied(node)).await
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

    /// After its grace period: whether `channel`'s vacating is still to be told.
    pub(crate) async fn confirm_vacated(
        &self,
        link: &Link,
        channel: &ChannelName,
        marker: &str,
    ) -> Result<bool, LinkError> {
        let key = self.keys.occupancy(channel.as_str()).vacating;
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

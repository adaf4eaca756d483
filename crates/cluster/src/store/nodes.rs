//! The registry of nodes: heartbeats by Redis' clock, the claim to sweep a dead node, the
//! index of the presence channels where each node has members, and forgetting a node.

use redis::Cmd;
use sidecast_core::ChannelName;

use super::Store;
use crate::link::{Link, LinkError};

/// How long what a sweep decided for a node is kept for it: longer than a node cut off from
/// Redis stays away.
const SWEPT_KEPT_SECONDS: i64 = 86_400;

/// What one heartbeat learnt.
pub(crate) struct Beat {
    /// This node was not registered: its first beat, or it was taken for dead meanwhile.
    pub(crate) anew: bool,
    pub(crate) live: Vec<String>,
}

impl Store {
    /// Says this node is alive; learns who else is.
    pub(crate) async fn heartbeat(
        &self,
        link: &Link,
        dead_after_ms: u64,
    ) -> Result<Beat, LinkError> {
        let mut invocation = self.heartbeat.prepare_invoke();
        invocation
            .key(self.keys.nodes())
            .arg(&self.node)
            .arg(dead_after_ms);
        let (anew, live): (i64, Vec<String>) = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(Beat {
            anew: anew == 1,
            live,
        })
    }

    /// The nodes dead now: asked at sweep time, so that a death is acted on within one sweep
    /// interval of the node going silent for `dead_after`.
    pub(crate) async fn dead_nodes(
        &self,
        link: &Link,
        dead_after_ms: u64,
    ) -> Result<Vec<String>, LinkError> {
        let mut invocation = self.dead.prepare_invoke();
        invocation.key(self.keys.nodes()).arg(dead_after_ms);
        link.run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await
    }

    /// Takes the right to remove a dead node's members, for a minute: only if it is still
    /// dead now and no other node has taken it.
    pub(crate) async fn claim_sweep(
        &self,
        link: &Link,
        dead: &str,
        dead_after_ms: u64,
    ) -> Result<bool, LinkError> {
        let mut invocation = self.claim.prepare_invoke();
        invocation
            .key(self.keys.nodes())
            .key(self.keys.sweep_lock(dead))
            .arg(dead)
            .arg(&self.node)
            .arg(dead_after_ms);
        let claimed: i64 = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(claimed == 1)
    }

    /// Adds `channel` to this node's index of channels where it has members: before the
    /// roster entry, so that a node dying in between leaves the index ahead of the roster
    /// (harmless), never behind it (a member no sweep would find).
    pub(crate) async fn index_channel(
        &self,
        link: &Link,
        channel: &ChannelName,
    ) -> Result<(), LinkError> {
        let command = Cmd::sadd(self.keys.node_channels(&self.node), channel.as_str());
        link.run(|mut connection| async move { command.query_async(&mut connection).await })
            .await
    }

    /// Takes `channel` out of this node's index: it has no socket left there.
    pub(crate) async fn unindex_channel(
        &self,
        link: &Link,
        channel: &ChannelName,
    ) -> Result<(), LinkError> {
        let command = Cmd::srem(self.keys.node_channels(&self.node), channel.as_str());
        link.run(|mut connection| async move { command.query_async(&mut connection).await })
            .await
    }

    /// The channels where `node` has (or had) members.
    pub(crate) async fn node_channels(
        &self,
        link: &Link,
        node: &str,
    ) -> Result<Vec<ChannelName>, LinkError> {
        self.channel_set(link, self.keys.node_channels(node)).await
    }

    /// The channel names in the SET at `key`; one that is not a channel name (written by
    /// something else) is left out.
    pub(super) async fn channel_set(
        &self,
        link: &Link,
        key: String,
    ) -> Result<Vec<ChannelName>, LinkError> {
        let command = Cmd::smembers(key);
        let names: Vec<String> = link
            .run(|mut connection| async move { command.query_async(&mut connection).await })
            .await?;
        Ok(names
            .iter()
            .filter_map(|name| ChannelName::new(name).ok())
            .collect())
    }

    /// Replaces this node's index of channels with `channels`.
    pub(crate) async fn set_node_channels(
        &self,
        link: &Link,
        channels: &[ChannelName],
    ) -> Result<(), LinkError> {
        let key = self.keys.node_channels(&self.node);
        let mut pipeline = redis::pipe();
        pipeline.atomic().del(&key).ignore();
        if !channels.is_empty() {
            let names: Vec<&str> = channels.iter().map(ChannelName::as_str).collect();
            pipeline.sadd(&key, names).ignore();
        }
        link.run(|mut connection| async move { pipeline.query_async::<()>(&mut connection).await })
            .await
    }

    /// Forgets a node that is gone: its registry entry, its indexes of channels and users,
    /// its description.
    pub(crate) async fn forget(&self, link: &Link, node: &str) -> Result<(), LinkError> {
        // Other slots on a Redis Cluster: separate commands.
        let commands = vec![
            Cmd::zrem(self.keys.nodes(), node),
            Cmd::del(self.keys.node_channels(node)),
            Cmd::del(self.keys.node_occupied(node)),
            Cmd::del(self.keys.node_users(node)),
            Cmd::del(self.keys.node_meta(node)),
        ];
        link.each::<redis::Value>(commands).await.map(drop)
    }

    /// Keeps for dead `node` what its sweep decided (`decided`, as the presence worker
    /// writes it), for the node to find if it was only cut off from Redis.
    pub(crate) async fn record_sweep(
        &self,
        link: &Link,
        node: &str,
        decided: &[String],
    ) -> Result<(), LinkError> {
        if decided.is_empty() {
            return Ok(());
        }
        let key = self.keys.node_swept(node);
        let mut pipeline = redis::pipe();
        pipeline
            .atomic()
            .sadd(&key, decided)
            .ignore()
            .expire(&key, SWEPT_KEPT_SECONDS)
            .ignore();
        link.run(|mut connection| async move { pipeline.query_async::<()>(&mut connection).await })
            .await
    }

    /// What sweeps of this node decided for it since it last asked, taken.
    pub(crate) async fn take_swept(&self, link: &Link) -> Result<Vec<String>, LinkError> {
        let key = self.keys.node_swept(&self.node);
        let mut pipeline = redis::pipe();
        pipeline.atomic().smembers(&key).del(&key).ignore();
        let (decided,): (Vec<String>,) = link
            .run(|mut connection| async move { pipeline.query_async(&mut connection).await })
            .await?;
        Ok(decided)
    }
}

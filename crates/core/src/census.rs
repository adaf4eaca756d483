//! Questions about channels, members and connections, as PHP (the `Sidecast` facade) and the
//! HTTP API ask them. A single node answers from its hub at once; a cluster gathers every
//! live node's part, waiting a bounded time, and says how many nodes did not answer rather
//! than silently under-counting.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::hub::{ChannelInfo, Hub};
use crate::names::ChannelName;
use crate::presence::Member;
use crate::stats::StatsSnapshot;

/// One app's channels as the ways in reach them: the hub takes events, the census answers
/// questions (the hub itself on a single node, the cluster's nodes gathered otherwise).
#[derive(Clone)]
pub struct Core {
    pub hub: Arc<Hub>,
    pub census: Arc<dyn Census>,
}

impl Core {
    /// A single node: the hub answers questions too.
    pub fn single(hub: Arc<Hub>) -> Self {
        Core {
            census: hub.clone(),
            hub,
        }
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("hub", &self.hub)
            .finish_non_exhaustive()
    }
}

/// Who answers questions about channels: the hub of a single node, or the cluster.
pub trait Census: Send + Sync + 'static {
    /// Occupied channels whose names start with `prefix`, by name, with their counts.
    fn channels(&self, prefix: &str) -> Gathering<Vec<(ChannelName, ChannelInfo)>>;

    /// Subscriber and user counts of one channel; zero for a channel nobody is in.
    fn channel(&self, channel: &ChannelName) -> Gathering<ChannelInfo>;

    /// The users present in a presence channel, one entry per user.
    fn members(&self, channel: &ChannelName) -> Gathering<Vec<Member>>;

    /// Connections, channels and the delivery counters.
    fn totals(&self) -> Gathering<Totals>;
}

/// The future a [`Census`] question returns.
pub type Gathering<T> = Pin<Box<dyn Future<Output = Gathered<T>> + Send>>;

/// An answer, and how complete it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gathered<T> {
    pub value: T,
    /// Nodes that were expected to answer and did not in time: their part is missing.
    pub missing_nodes: usize,
}

impl<T> Gathered<T> {
    /// An answer with nothing missing.
    pub fn complete(value: T) -> Self {
        Gathered {
            value,
            missing_nodes: 0,
        }
    }
}

/// The counts behind the `stats` question and the API's status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Client connections.
    pub connections: usize,
    /// Occupied channels.
    pub channels: usize,
    /// What the hubs delivered since they started, added up.
    pub stats: StatsSnapshot,
    /// Nodes whose counts are included.
    pub nodes: usize,
    /// How this node's cluster is doing; `None` on a single node.
    pub cluster: Option<ClusterHealth>,
}

/// One node's view of its cluster, for operators (serialized as the `cluster` part of status
/// answers).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ClusterHealth {
    /// This node's id, new at every start.
    pub node: String,
    /// Whether the cluster's store (Redis) answered the last time it was asked.
    pub reachable: bool,
    /// Other nodes alive at the last heartbeat.
    pub other_nodes: usize,
    /// Messages this node sent to all the others (numbered, so gaps show at theirs).
    pub sent: u64,
    /// Messages from other nodes applied.
    pub applied: u64,
    /// Messages from other nodes that were sent but never arrived (by their numbers).
    pub missed: u64,
    /// Messages from other nodes that could not be read or were over a limit.
    pub skipped: u64,
    /// Messages for other nodes dropped while the store could not be reached.
    pub dropped: u64,
}

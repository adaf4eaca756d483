//! The seam between one node's hub and the other nodes of a cluster.
//!
//! A single sidecar has no cluster: its hub decides presence alone, under its lock. Several
//! sidecars sharing a Redis (`sidecast-cluster`) behave as one server through this trait: the
//! hub hands the cluster what entered at this node after delivering it locally, and asks it
//! to record presence joins, whose truth then lives outside this process. What other nodes
//! send comes back in through the hub's entry points for peers (`Hub::publish` with
//! [`Origin::OtherNode`](crate::Origin), `Hub::relay_whisper`, `Hub::apply_presence`,
//! `Hub::sync_roster`).
//!
//! One implementation is chosen at start-up and held as `Arc<dyn Cluster>`: the hub stays
//! free of any bus or store type.

use std::future::Future;
use std::pin::Pin;

use crate::message::{Publication, Whisper};
use crate::names::{ChannelName, SocketId};
use crate::presence::Member;

/// The other nodes, as the hub sees them. The hub may call `publish`, `whisper` and `leave`
/// while it holds its registry lock (`whisper` and `leave` always do), so they must return
/// without waiting (queue the work) and must not call back into the hub.
pub trait Cluster: Send + Sync + 'static {
    /// An event that entered at this node, already delivered to this node's subscribers.
    fn publish(&self, publication: &Publication);

    /// A client event from a socket of this node, already relayed to this node's subscribers.
    /// `sender` is the whispering user, in a presence channel.
    fn whisper(&self, whisper: &Whisper, from: &SocketId, sender: Option<&Member>);

    /// A socket of this node joins a presence channel as `member`. Resolves to the channel's
    /// roster across the cluster, this join included, or to `None` when the cluster could not
    /// be reached in time (the socket then joins with what this node knows, and the cluster
    /// is repaired when it can be reached again). Must resolve within a bounded time.
    fn join(&self, channel: &ChannelName, socket: &SocketId, member: &Member) -> Joining;

    /// A socket of this node left a presence channel it had joined. Applied after that join,
    /// and before any later join of the same socket.
    fn leave(&self, channel: &ChannelName, socket: &SocketId);

    /// The connections signed in as `user` are to be closed on every node; this node's
    /// already were.
    fn terminate_user(&self, user: &str);

    /// This node's subscription counts, for the other nodes to add to theirs (they apply it
    /// with `Hub::apply_subscription_counts`).
    fn subscription_counts(&self, report: CountReport<'_>);

    /// This node's first socket came to `channel` (`occupied`), or its last one went: the
    /// cluster decides whether the channel is occupied or vacated for all nodes, and tells
    /// the lifecycle observer once. Applied in order with the presence joins and leaves.
    fn occupancy(&self, channel: &ChannelName, occupied: bool);

    /// Whether this node has a connection signed in as `user` (Pusher's user authentication)
    /// now: `true` for its first, `false` once its last closed. The cluster decides whether the
    /// user connected or disconnected for all nodes, and tells the lifecycle observer once.
    /// Applied in order with [`occupancy`](Self::occupancy).
    fn signed_in(&self, user: &str, here: bool);

    /// This node's subscriptions to `channel` are `here` now: the cluster adds the nodes up
    /// and tells the lifecycle observer the channel's count. Applied in order with
    /// [`occupancy`](Self::occupancy).
    fn counted(&self, channel: &ChannelName, here: usize);
}

/// A node's report of the connections subscribed to its channels (presence channels left out).
#[derive(Debug, Clone, Copy)]
pub struct CountReport<'a> {
    /// The channels whose count changed since the last report, 0 for those it has none left
    /// in; or, when `whole`, every channel it has.
    pub counts: &'a [(ChannelName, usize)],
    /// Replaces everything the node reported before.
    pub whole: bool,
    /// The node is new: every other node is to make its next report whole.
    pub ask_whole: bool,
}

/// The future [`Cluster::join`] returns.
pub type Joining = Pin<Box<dyn Future<Output = Option<RosterSnapshot>> + Send>>;

/// A presence channel's members across the cluster, as of one version of its roster.
#[derive(Debug, Clone)]
pub struct RosterSnapshot {
    pub stamp: Stamp,
    pub members: Vec<Member>,
}

/// Which version of a presence channel's roster: versions count membership changes of the
/// channel (a higher one includes every change up to it), within an epoch that is new when
/// the roster is created anew (the store restarted empty, or forgot an emptied roster).
/// Versions of different epochs do not compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub epoch: u64,
    pub version: u64,
}

/// One membership change of a presence channel, as another node (or the store) announces
/// it, with the stamp of the roster version it produced.
#[derive(Debug, Clone)]
pub enum RosterChange {
    /// A user's first socket anywhere joined.
    Joined(Member),
    /// A user's last socket anywhere left; the user is named by [`Member::key`].
    Left { user: String },
}

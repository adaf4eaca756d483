//! What happens on the channels, as the app may want to hear it (Pusher's webhook events):
//! a channel occupied or vacated, its subscription count changed, a user added to or removed
//! from a presence channel, a client event sent; and a signed-in user's first connection opened
//! and last one closed. The hub tells its [`Observer`] at the moment of each transition, under its
//! registry lock, so the observer only queues; waiting out a grace period, batching and
//! delivering (webhooks, Laravel's listener) happen elsewhere (`sidecast-lifecycle`).
//!
//! On a single node these are exact: each transition is told once, in order. In a cluster the
//! hub tells only what its node alone knows (client events: only the sender's node sees one);
//! members and channels' occupancy are decided once for all nodes by the cluster, which tells
//! the observer itself (`sidecast-cluster`).

use crate::message::Payload;
use crate::names::{ChannelName, EventName, SocketId};

/// One transition.
#[derive(Debug, Clone)]
pub enum Transition {
    /// The channel's first subscriber came.
    ChannelOccupied { channel: ChannelName },
    /// Its last one left.
    ChannelVacated { channel: ChannelName },
    /// A user's first socket joined a presence channel.
    MemberAdded {
        channel: ChannelName,
        user_id: String,
    },
    /// A user's last socket left it.
    MemberRemoved {
        channel: ChannelName,
        user_id: String,
    },
    /// A client event (whisper) was relayed: the sender's socket and, on a presence channel,
    /// its user.
    ClientEvent {
        channel: ChannelName,
        event: EventName,
        payload: Payload,
        socket_id: SocketId,
        user_id: Option<String>,
    },
    /// A socket subscribed to the channel or left it: how many are subscribed now.
    SubscriptionCount { channel: ChannelName, count: usize },
    /// A user's first connection signed in (Pusher's user authentication, Echo's `signin()`).
    UserConnected { user_id: String },
    /// The last connection signed in as the user closed.
    UserDisconnected { user_id: String },
}

impl Transition {
    /// The channel it happened on; none for a user's connections.
    pub fn channel(&self) -> Option<&ChannelName> {
        match self {
            Transition::ChannelOccupied { channel }
            | Transition::ChannelVacated { channel }
            | Transition::MemberAdded { channel, .. }
            | Transition::MemberRemoved { channel, .. }
            | Transition::ClientEvent { channel, .. }
            | Transition::SubscriptionCount { channel, .. } => Some(channel),
            Transition::UserConnected { .. } | Transition::UserDisconnected { .. } => None,
        }
    }
}

/// Told of every transition, under the hub's lock: must return at once (queue the work) and
/// must not call back into the hub.
pub trait Observer: Send + Sync + 'static {
    fn observe(&self, transition: Transition);
}

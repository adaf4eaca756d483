//! What happens on the channels, as the app may want to hear it (Pusher's webhook events):
//! a channel occupied or vacated, a user added to or removed from a presence channel, a client
//! event sent. The hub tells its [`Observer`] at the moment of each transition, under its
//! registry lock, so the observer only queues; waiting out a grace period, batching and
//! delivering (webhooks, Laravel's listener) happen elsewhere (`sidecast-lifecycle`).
//!
//! On a single node these are exact: each transition is told once, in order. A node of a
//! cluster would tell channels occupied and vacated by its own sockets only, and no member
//! transitions (the cluster's roster decides those): the sidecar observes a single node's hub
//! only, until the cluster decides each transition once.

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
}

impl Transition {
    pub fn channel(&self) -> &ChannelName {
        match self {
            Transition::ChannelOccupied { channel }
            | Transition::ChannelVacated { channel }
            | Transition::MemberAdded { channel, .. }
            | Transition::MemberRemoved { channel, .. }
            | Transition::ClientEvent { channel, .. } => channel,
        }
    }
}

/// Told of every transition, under the hub's lock: must return at once (queue the work) and
/// must not call back into the hub.
pub trait Observer: Send + Sync + 'static {
    fn observe(&self, transition: Transition);
}

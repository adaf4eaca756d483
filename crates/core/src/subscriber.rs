//! The one seam between the core and the front ends.

use crate::message::{Message, SharedFrame};
use crate::names::ChannelName;
use crate::presence::Member;

/// A client connection, as the hub sees it. Each front end implements this for its own socket
/// type and encodes what it receives in its own protocol.
///
/// The hub calls these methods while it holds its registry lock (all but subscription counts),
/// so an implementation must return without waiting (queue the message, or report it
/// undelivered) and must not call back into the hub.
pub trait Subscriber: Send + Sync + 'static {
    /// An event on a channel the connection is subscribed to.
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered>;

    /// A subscription that took effect, or a change in a presence channel the connection is in.
    fn notify(&self, notice: Notice<'_>) -> Result<(), Undelivered>;

    /// Closes the connection if it is signed in as `user` (Pusher's `pusher:signin`), as the
    /// HTTP API's `terminate_connections` asks; returns whether it was. A connection that
    /// cannot sign in keeps this default.
    fn terminate_if_signed_in_as(&self, _user: &str) -> bool {
        false
    }
}

/// What subscribers are told beside events: that their subscription took effect, and who
/// comes and goes in presence channels.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    /// To a socket whose subscription took effect (again, for a repeated subscribe), on any
    /// kind of channel. In a presence channel, `members` is everyone present, one entry per
    /// user, itself included; on other channels it is `None`.
    Subscribed {
        channel: &'a ChannelName,
        members: Option<&'a [&'a Member]>,
    },
    /// To the others, when a user's first socket joined.
    Joining {
        channel: &'a ChannelName,
        member: &'a Member,
    },
    /// To those who remain, when a user's last socket left.
    Leaving {
        channel: &'a ChannelName,
        member: &'a Member,
    },
    /// To a socket that subscribed to a cache channel, after `Subscribed`: no event was
    /// published on it within the last hour. (When one was, the socket receives it instead.)
    CacheMiss { channel: &'a ChannelName },
    /// To every subscriber of a channel other than a presence channel, when its number of
    /// subscribed connections changed, as a front end asks for it
    /// ([`Hub::announce_subscription_counts`](crate::Hub::announce_subscription_counts)).
    SubscriptionCount {
        channel: &'a ChannelName,
        count: usize,
        /// One encoding for all the channel's subscribers, as [`Message::shared`] is.
        shared: &'a SharedFrame,
    },
}

/// Why a message did not reach a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// The connection's outgoing queue is full: the client reads slower than events arrive.
    QueueFull,
    /// The connection is closing; the front end will disconnect it from the hub.
    Closed,
    /// The front end could not encode the message.
    Encoding,
}

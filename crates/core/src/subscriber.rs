//! The one seam between the core and the front ends.

use crate::message::Message;

/// A client connection, as the hub sees it. Each front end implements this for its own socket
/// type and encodes the message in its own protocol.
///
/// The hub calls [`Subscriber::deliver`] while it holds its registry lock, so an implementation
/// must return without waiting (queue the message, or report it undelivered) and must not call
/// back into the hub.
pub trait Subscriber: Send + Sync + 'static {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered>;
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

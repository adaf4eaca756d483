//! The life of one Echo socket: set-up, registration with the hub, delivery, disconnect.
//!
//! All per-socket set-up happens in [`prepare_socket`], a connect middleware, because Echo sends
//! `subscribe` before the connection is confirmed and socket.io-client flushes it the moment it
//! is: handlers registered later, in the connect handler, can miss it (it happened in about 1 of
//! 8,000 connections in a prototype). The hub learns of the socket in [`on_connect`], which runs
//! only once the connection is really established, and forgets it on disconnect.

use std::sync::Arc;

use sidecast_core::{Message, Notice, SocketId, Subscriber, Undelivered};
use socketioxide::extract::{SocketRef, State};
use socketioxide::socket::DisconnectReason;
use socketioxide::{SendError, SocketError};

use crate::FrontEnd;
use crate::channels::{on_subscribe, on_unsubscribe};
use crate::ordering::{Arrivals, Ticket};
use crate::whisper::on_client_event;

/// A page from an origin that is not allowed tried to connect.
#[derive(Debug, thiserror::Error)]
#[error("origin not allowed")]
pub(crate) struct OriginNotAllowed;

/// Connect middleware: refuses pages from origins that are not allowed (they would otherwise
/// use their visitor's session cookie to join private channels), then registers the socket's
/// handlers, arrival counters and whisper budget before the client is told it is connected.
pub(crate) async fn prepare_socket(
    socket: SocketRef,
    State(front_end): State<Arc<FrontEnd>>,
) -> Result<(), OriginNotAllowed> {
    let config = &front_end.config;
    let origin = socket
        .req_parts()
        .headers
        .get("origin")
        .map(|value| value.to_str().unwrap_or("(not text)"));
    if !config.origins.allows(origin) {
        tracing::info!(socket = %socket.id, ?origin, "connection refused: origin not allowed");
        return Err(OriginNotAllowed);
    }
    socket.extensions.insert(Arrivals::new());
    socket
        .extensions
        .insert(Arc::new(config.client_events.limiter()));
    socket.on("subscribe", on_subscribe);
    socket.on("unsubscribe", on_unsubscribe);
    socket.on("client event", on_client_event);
    socket.on_disconnect(on_disconnect);
    Ok(())
}

/// Connect handler: the socket now exists for the hub. Runs before any of the socket's events
/// are applied (it holds the socket's first turn).
pub(crate) async fn on_connect(socket: SocketRef, State(front_end): State<Arc<FrontEnd>>) {
    let Some(arrivals) = socket.extensions.get::<Arrivals>() else {
        return;
    };
    let _turn = arrivals.connect_turn();
    let Some(id) = socket_id(&socket) else {
        return;
    };
    tracing::debug!(socket = %id, protocol = ?socket.protocol(), transport = ?socket.transport_type(), "client connected");
    front_end.hub.connect(id, Arc::new(EchoSocket(socket)));
}

async fn on_disconnect(
    socket: SocketRef,
    State(front_end): State<Arc<FrontEnd>>,
    reason: DisconnectReason,
    ticket: Ticket,
) {
    let _turn = ticket.wait().await;
    if let Some(id) = socket_id(&socket) {
        let left = front_end.hub.disconnect(&id);
        tracing::debug!(socket = %id, ?reason, channels_left = left, "client disconnected");
    }
}

/// The hub's id for a socket: the socket.io id, which is also what Echo's `socketId()` returns
/// and what Laravel sends back for `toOthers()`.
pub(crate) fn socket_id(socket: &SocketRef) -> Option<SocketId> {
    SocketId::new(&socket.id.to_string())
        .inspect_err(|error| tracing::error!(%error, "socket id not usable"))
        .ok()
}

/// A socket as the hub sees it: an event is one `emit` of `(event, channel, data)`, a presence
/// change one `emit` of laravel-echo-server's `presence:*` events. Echo's socket.io protocol
/// has no confirmation of other subscriptions, and no sender of a whisper.
struct EchoSocket(SocketRef);

impl Subscriber for EchoSocket {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
        let arguments = (message.channel.as_str(), message.payload.as_raw());
        self.0
            .emit(message.event.as_str(), &arguments)
            .map_err(undelivered)
    }

    fn notify(&self, notice: Notice<'_>) -> Result<(), Undelivered> {
        let sent = match notice {
            Notice::Subscribed {
                channel,
                members: Some(members),
            } => self
                .0
                .emit("presence:subscribed", &(channel.as_str(), members)),
            // Echo's socket.io protocol has none of these, and laravel-echo-server had no
            // cache channels; a cache channel's last event is still delivered.
            Notice::Subscribed { members: None, .. }
            | Notice::CacheMiss { .. }
            | Notice::SubscriptionCount { .. } => return Ok(()),
            Notice::Joining { channel, member } => {
                self.0.emit("presence:joining", &(channel.as_str(), member))
            }
            Notice::Leaving { channel, member } => {
                self.0.emit("presence:leaving", &(channel.as_str(), member))
            }
        };
        sent.map_err(undelivered)
    }
}

fn undelivered(error: SendError) -> Undelivered {
    match error {
        SendError::Socket(SocketError::InternalChannelFull) => Undelivered::QueueFull,
        SendError::Socket(SocketError::Closed) => Undelivered::Closed,
        SendError::Serialize(_) => Undelivered::Encoding,
    }
}

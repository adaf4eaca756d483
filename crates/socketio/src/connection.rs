//! The life of one Echo socket.
//!
//! All per-socket set-up happens in [`prepare_socket`], a connect middleware, because Echo sends
//! `subscribe` before the connection is confirmed and socket.io-client flushes it the moment it
//! is: handlers registered later, in the connect handler, can miss it (it happened in about 1 of
//! 8,000 connections in a prototype). The hub learns of the socket in [`on_connect`], which runs
//! only once the connection is really established, and forgets it on disconnect.

use std::sync::Arc;

use serde::Deserialize;
use sidecast_core::{
    ChannelName, Hub, Message, SocketId, SubscribeError, Subscribed, Subscriber, Undelivered,
};
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::socket::DisconnectReason;
use socketioxide::{SendError, SocketError};

use crate::ordering::{Arrivals, Ticket};

/// What Echo sends with `subscribe` and `unsubscribe`: `{channel, auth: {headers}}`. The
/// `auth` part matters only to private and presence channels.
#[derive(Debug, Deserialize)]
pub struct ChannelRequest {
    pub channel: String,
}

/// Connect middleware: registers the socket's handlers and arrival counters before the client
/// is told it is connected.
pub async fn prepare_socket(socket: SocketRef) -> Result<(), std::convert::Infallible> {
    socket.extensions.insert(Arrivals::new());
    socket.on("subscribe", on_subscribe);
    socket.on("unsubscribe", on_unsubscribe);
    socket.on_disconnect(on_disconnect);
    Ok(())
}

/// Connect handler: the socket now exists for the hub. Runs before any of the socket's events
/// are applied (it holds the socket's first turn).
pub async fn on_connect(socket: SocketRef, State(hub): State<Arc<Hub>>) {
    let Some(arrivals) = socket.extensions.get::<Arrivals>() else {
        return;
    };
    let _turn = arrivals.connect_turn();
    let Some(id) = socket_id(&socket) else {
        return;
    };
    tracing::debug!(socket = %id, protocol = ?socket.protocol(), transport = ?socket.transport_type(), "client connected");
    hub.connect(id, Arc::new(EchoSocket(socket)));
}

async fn on_subscribe(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(request): TryData<ChannelRequest>,
    ticket: Ticket,
) {
    let _turn = ticket.wait().await;
    let (Some(id), Some(channel)) = (
        socket_id(&socket),
        channel_of("subscribe", &socket, request),
    ) else {
        return;
    };
    match hub.subscribe(&id, channel.clone()) {
        Ok(Subscribed::Joined) => tracing::debug!(socket = %id, %channel, "subscribed"),
        Ok(Subscribed::AlreadyMember) => {
            tracing::debug!(socket = %id, %channel, "already subscribed")
        }
        Err(error @ SubscribeError::NeedsAuthorization { .. }) => tracing::warn!(
            socket = %id,
            %error,
            "subscription refused: private and presence channels are not supported by this version",
        ),
        Err(error) => tracing::debug!(socket = %id, %error, "subscription ignored"),
    }
}

async fn on_unsubscribe(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    TryData(request): TryData<ChannelRequest>,
    ticket: Ticket,
) {
    let _turn = ticket.wait().await;
    let (Some(id), Some(channel)) = (
        socket_id(&socket),
        channel_of("unsubscribe", &socket, request),
    ) else {
        return;
    };
    let was_member = hub.unsubscribe(&id, &channel);
    tracing::debug!(socket = %id, %channel, was_member, "unsubscribed");
}

async fn on_disconnect(
    socket: SocketRef,
    State(hub): State<Arc<Hub>>,
    reason: DisconnectReason,
    ticket: Ticket,
) {
    let _turn = ticket.wait().await;
    if let Some(id) = socket_id(&socket) {
        let left = hub.disconnect(&id);
        tracing::debug!(socket = %id, ?reason, channels_left = left, "client disconnected");
    }
}

/// The hub's id for a socket: the socket.io id, which is also what Echo's `socketId()` returns
/// and what Laravel sends back for `toOthers()`.
fn socket_id(socket: &SocketRef) -> Option<SocketId> {
    SocketId::new(&socket.id.to_string())
        .inspect_err(|error| tracing::error!(%error, "socket id not usable"))
        .ok()
}

/// The channel a `subscribe` or `unsubscribe` names, if it is a valid one. Anything else is
/// the client's mistake: logged at debug level and ignored, as laravel-echo-server did.
fn channel_of(
    event: &'static str,
    socket: &SocketRef,
    request: Result<ChannelRequest, socketioxide::ParserError>,
) -> Option<ChannelName> {
    let request = request
        .inspect_err(|error| tracing::debug!(socket = %socket.id, event, %error, "malformed request ignored"))
        .ok()?;
    ChannelName::new(&request.channel)
        .inspect_err(
            |error| tracing::debug!(socket = %socket.id, event, %error, "invalid channel ignored"),
        )
        .ok()
}

/// A socket as the hub sees it: delivery is one `emit` of `(event, channel, data)`.
struct EchoSocket(SocketRef);

impl Subscriber for EchoSocket {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
        let arguments = (message.channel.as_str(), message.payload.as_raw());
        self.0
            .emit(message.event.as_str(), &arguments)
            .map_err(|error| match error {
                SendError::Socket(SocketError::InternalChannelFull) => Undelivered::QueueFull,
                SendError::Socket(SocketError::Closed) => Undelivered::Closed,
                SendError::Serialize(_) => Undelivered::Encoding,
            })
    }
}

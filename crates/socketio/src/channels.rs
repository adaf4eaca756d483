//! `subscribe` and `unsubscribe`, with the Laravel app's authorization for private and
//! presence channels.
//!
//! Authorization is asynchronous, but a socket's events still take effect in the order it sent
//! them: the subscribe handler holds the socket's turn while the app is asked, so a quick
//! subscribe-then-unsubscribe cannot leave the socket in the channel, and a disconnect is
//! applied only after the pending subscription. A socket that disconnected while its request
//! was in flight is not subscribed at all.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};
use sidecast_core::{
    Access, AuthRequest, ChannelKind, ChannelName, Credentials, SubscribeError, Subscribed,
};
use socketioxide::extract::{SocketRef, State, TryData};

use crate::FrontEnd;
use crate::connection::socket_id;
use crate::ordering::Place;

/// What Echo sends with `subscribe` and `unsubscribe`: `{channel, auth: {headers}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ChannelRequest {
    channel: String,
    #[serde(default)]
    auth: Option<AuthOption>,
}

/// Echo's `auth` option: headers to send to the app's auth endpoint (`X-CSRF-TOKEN`,
/// `Authorization`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuthOption {
    #[serde(default)]
    headers: Option<Map<String, Value>>,
}

/// What Echo gets, as the status of `subscription_error`, for a subscription refused because
/// the client asked for too much: too many events waiting, or too many channels.
const TOO_MANY: u16 = 429;

pub(crate) async fn on_subscribe(
    socket: SocketRef,
    State(front_end): State<Arc<FrontEnd>>,
    TryData(request): TryData<ChannelRequest>,
    place: Place,
) {
    let Some(ticket) = front_end
        .refusals
        .ticket(place, &socket.id.to_string(), "subscribe")
    else {
        if let Ok(request) = &request {
            let _ = socket.emit("subscription_error", &(request.channel.as_str(), TOO_MANY));
        }
        return;
    };
    let _turn = ticket.wait().await;
    // Queued subscribes of a socket that has gone are not worth asking the app about.
    if !socket.connected() {
        tracing::debug!(socket = %socket.id, "disconnected before its subscription was handled; not subscribed");
        return;
    }
    let Some(id) = socket_id(&socket) else {
        return;
    };
    let Some((channel, auth)) = parse("subscribe", &socket, request) else {
        return;
    };
    let access = match channel.kind() {
        ChannelKind::Public => Access::Public,
        ChannelKind::Private | ChannelKind::Presence => {
            let request = auth_request(&socket, id.clone(), channel.clone(), auth);
            let answer = front_end.authorizer.authorize(request).await;
            if !socket.connected() {
                tracing::debug!(socket = %id, %channel, "disconnected while being authorized; not subscribed");
                return;
            }
            match answer {
                Ok(access) => access,
                Err(denied) => {
                    tracing::info!(socket = %id, %channel, reason = %denied, "subscription not authorized");
                    let _ = socket.emit("subscription_error", &(channel.as_str(), denied.status()));
                    return;
                }
            }
        }
    };
    match front_end.hub.subscribe(&id, channel.clone(), access).await {
        Ok(Subscribed::Joined) => tracing::debug!(socket = %id, %channel, "subscribed"),
        Ok(Subscribed::AlreadyMember) => {
            tracing::debug!(socket = %id, %channel, "already subscribed")
        }
        Err(error @ SubscribeError::UnknownConnection(_)) => {
            tracing::debug!(socket = %id, %error, "subscription ignored")
        }
        Err(error @ SubscribeError::TooManyChannels { .. }) => {
            front_end.refusals.record(id.as_str(), "subscribe", &error);
            let _ = socket.emit("subscription_error", &(channel.as_str(), TOO_MANY));
        }
        Err(error) => tracing::warn!(socket = %id, %error, "subscription refused"),
    }
}

pub(crate) async fn on_unsubscribe(
    socket: SocketRef,
    State(front_end): State<Arc<FrontEnd>>,
    TryData(request): TryData<ChannelRequest>,
    place: Place,
) {
    let Some(ticket) = front_end
        .refusals
        .ticket(place, &socket.id.to_string(), "unsubscribe")
    else {
        return;
    };
    let _turn = ticket.wait().await;
    let (Some(id), Some((channel, _))) =
        (socket_id(&socket), parse("unsubscribe", &socket, request))
    else {
        return;
    };
    let was_member = front_end.hub.unsubscribe(&id, &channel);
    tracing::debug!(socket = %id, %channel, was_member, "unsubscribed");
}

/// The channel a request names, if it is a valid one, and its auth option. Anything else is
/// the client's mistake: logged at debug level and ignored, as laravel-echo-server did.
fn parse(
    event: &'static str,
    socket: &SocketRef,
    request: Result<ChannelRequest, socketioxide::ParserError>,
) -> Option<(ChannelName, AuthOption)> {
    let request = request
        .inspect_err(|error| tracing::debug!(socket = %socket.id, event, %error, "malformed request ignored"))
        .ok()?;
    let channel = ChannelName::new(&request.channel)
        .inspect_err(
            |error| tracing::debug!(socket = %socket.id, event, %error, "invalid channel ignored"),
        )
        .ok()?;
    // `#server-to-user-<id>` carries one user's events to their signed-in Pusher connections;
    // socket.io has no sign-in, so no socket.io client may listen to it.
    if channel.is_reserved() {
        tracing::debug!(socket = %socket.id, event, %channel, "reserved channel name ignored");
        return None;
    }
    Some((channel, request.auth.unwrap_or_default()))
}

/// What the app's auth endpoint is asked: Echo's `auth.headers` (string values only), and the
/// `Cookie` and `Referer` the client connected with.
fn auth_request(
    socket: &SocketRef,
    socket_id: sidecast_core::SocketId,
    channel: ChannelName,
    auth: AuthOption,
) -> AuthRequest {
    let handshake = &socket.req_parts().headers;
    let text = |name: &str| {
        handshake
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let headers = auth
        .headers
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, value)| match value {
            Value::String(value) => Some((name, value)),
            _ => None,
        })
        .collect();
    AuthRequest {
        channel,
        socket_id,
        credentials: Credentials::Forwarded {
            headers,
            cookie: text("cookie"),
            referer: text("referer"),
        },
    }
}

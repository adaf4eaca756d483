//! `subscribe` and `unsubscribe`, with the Laravel app's authorization for private and
//! presence channels.
//!
//! Authorization is asynchronous, but a session's requests still take effect in the order it
//! sent them (see `inbox`). A session that ended while its request was in flight is not
//! subscribed at all.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};
use sidecast_core::{
    Access, AuthRequest, ChannelKind, ChannelName, Credentials, SubscribeError, Subscribed,
};

use crate::session::Session;
use crate::{FrontEnd, packet};

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
/// the client asked for too much: too many requests waiting, or too many channels.
pub(crate) const TOO_MANY: u16 = 429;

/// Tells the client its subscription to `channel` was refused, with an HTTP status.
pub(crate) fn refuse(session: &Session, channel: &str, status: u16) {
    session.send(packet::emit(&("subscription_error", channel, status)));
}

/// The channel a request names, if it can be read, for a refusal made before handling it.
pub(crate) fn channel_of(request: &Value) -> Option<&str> {
    request.get("channel").and_then(Value::as_str)
}

pub(crate) async fn subscribe(front_end: &FrontEnd, session: &Arc<Session>, request: Value) {
    // Queued subscribes of a session that has gone are not worth asking the app about.
    if session.is_closing() {
        tracing::debug!(socket = %session.socket_id, "disconnected before its subscription was handled; not subscribed");
        return;
    }
    let Some((channel, auth)) = parse("subscribe", session, request) else {
        return;
    };
    let id = &session.socket_id;
    let access = match channel.kind() {
        ChannelKind::Public => Access::Public,
        ChannelKind::Private | ChannelKind::Presence => {
            let request = auth_request(session, channel.clone(), auth);
            let answer = front_end.authorizer.authorize(request).await;
            if session.is_closing() {
                tracing::debug!(socket = %id, %channel, "disconnected while being authorized; not subscribed");
                return;
            }
            match answer {
                Ok(access) => access,
                Err(denied) => {
                    tracing::info!(socket = %id, %channel, reason = %denied, "subscription not authorized");
                    refuse(session, channel.as_str(), denied.status());
                    return;
                }
            }
        }
    };
    match front_end.hub.subscribe(id, channel.clone(), access).await {
        Ok(Subscribed::Joined) => tracing::debug!(socket = %id, %channel, "subscribed"),
        Ok(Subscribed::AlreadyMember) => {
            tracing::debug!(socket = %id, %channel, "already subscribed")
        }
        Err(error @ SubscribeError::UnknownConnection(_)) => {
            tracing::debug!(socket = %id, %error, "subscription ignored")
        }
        Err(error @ SubscribeError::TooManyChannels { .. }) => {
            front_end.refusals.record(id.as_str(), "subscribe", &error);
            refuse(session, channel.as_str(), TOO_MANY);
        }
        Err(error) => tracing::warn!(socket = %id, %error, "subscription refused"),
    }
}

pub(crate) fn unsubscribe(front_end: &FrontEnd, session: &Session, request: Value) {
    let Some((channel, _)) = parse("unsubscribe", session, request) else {
        return;
    };
    let was_member = front_end.hub.unsubscribe(&session.socket_id, &channel);
    tracing::debug!(socket = %session.socket_id, %channel, was_member, "unsubscribed");
}

/// The channel a request names, if it is a valid one, and its auth option. Anything else is
/// the client's mistake: logged at debug level and ignored, as laravel-echo-server did.
fn parse(
    event: &'static str,
    session: &Session,
    request: Value,
) -> Option<(ChannelName, AuthOption)> {
    let socket = &session.socket_id;
    let request = serde_json::from_value::<ChannelRequest>(request)
        .inspect_err(|error| tracing::debug!(%socket, event, %error, "malformed request ignored"))
        .ok()?;
    let channel = ChannelName::new(&request.channel)
        .inspect_err(|error| tracing::debug!(%socket, event, %error, "invalid channel ignored"))
        .ok()?;
    // `#server-to-user-<id>` carries one user's events to their signed-in Pusher connections;
    // socket.io has no sign-in, so no socket.io client may listen to it.
    if channel.is_reserved() {
        tracing::debug!(%socket, event, %channel, "reserved channel name ignored");
        return None;
    }
    Some((channel, request.auth.unwrap_or_default()))
}

/// What the app's auth endpoint is asked: Echo's `auth.headers` (string values only), and the
/// `Cookie` and `Referer` the client connected with.
fn auth_request(session: &Session, channel: ChannelName, auth: AuthOption) -> AuthRequest {
    let handshake = &session.handshake;
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
        socket_id: session.socket_id.clone(),
        credentials: Credentials::Forwarded {
            headers,
            cookie: handshake.cookie.as_deref().map(str::to_owned),
            referer: handshake.referer.as_deref().map(str::to_owned),
            address: handshake.address,
        },
    }
}

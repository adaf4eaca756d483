//! What a client asks, one message at a time: subscribe (public, private, presence, its own
//! user channel), unsubscribe, ping, sign in, and client events. Refusals are answered in the
//! Pusher protocol's terms and leave the connection open.

use serde_json::value::RawValue;
use sidecast_core::{
    Access, AuthRequest, ChannelKind, ChannelName, Credentials, EventName, Payload, SubscribeError,
    Whisper, WhisperRefused,
};

use crate::FrontEnd;
use crate::protocol::{self, ClientMessage, SignedInUser, SigninData, SubscribeData, data_as};
use crate::socket::Socket;

pub async fn handle(front_end: &FrontEnd, socket: &Socket, text: &str) {
    let message: ClientMessage = match serde_json::from_str(text) {
        Ok(message) => message,
        Err(error) => {
            let error = error.to_string();
            let error = clipped(&error);
            tracing::debug!(socket = %socket.id, error, "malformed message refused");
            socket.send(protocol::error(
                None,
                &format!("Invalid message format: {error}"),
            ));
            return;
        }
    };
    let data = message.data.as_deref();
    match message.event.as_str() {
        "pusher:ping" => socket.send(protocol::pong()),
        "pusher:pong" => {}
        "pusher:subscribe" => match data_as::<SubscribeData>(data) {
            Ok(request) => subscribe(front_end, socket, request).await,
            Err(error) => malformed(socket, "pusher:subscribe", &error),
        },
        "pusher:unsubscribe" => match data_as::<SubscribeData>(data) {
            Ok(request) => unsubscribe(front_end, socket, &request.channel),
            Err(error) => malformed(socket, "pusher:unsubscribe", &error),
        },
        "pusher:signin" => match data_as::<SigninData>(data) {
            Ok(request) => sign_in(front_end, socket, &request),
            Err(error) => malformed(socket, "pusher:signin", &error),
        },
        event if event.starts_with("client-") => {
            client_event(front_end, socket, event, message.channel.as_deref(), data)
        }
        event => {
            let event = clipped(event);
            tracing::debug!(socket = %socket.id, event, "unknown event refused");
            socket.send(protocol::error(None, &format!("Unknown event: {event}")));
        }
    }
}

/// At most the first 200 bytes of `text` (a whole channel name), cut at a character boundary.
fn clipped(text: &str) -> &str {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn malformed(socket: &Socket, event: &str, error: &serde_json::Error) {
    tracing::debug!(socket = %socket.id, event, %error, "malformed request refused");
    let error = error.to_string();
    socket.send(protocol::error(
        None,
        &format!("Invalid {event} data: {}", clipped(&error)),
    ));
}

async fn subscribe(front_end: &FrontEnd, socket: &Socket, request: SubscribeData) {
    // What the client sent is echoed back clipped: a reply never costs more than a message.
    let named = clipped(&request.channel);
    let refuse = |kind: &str, error: &str, status: u16| {
        if let Some(held_back) = front_end.refusals_log.check() {
            tracing::info!(socket = %socket.id, channel = %named, error, like_these_since_last_line = held_back, "subscription refused");
        }
        socket.send(protocol::subscription_error(named, kind, error, status));
    };
    let channel = match ChannelName::new(&request.channel) {
        Ok(channel) => channel,
        Err(error) => return refuse("InvalidChannel", &error.to_string(), 400),
    };
    let access = if channel.is_reserved() {
        // `#server-to-user-<id>`: only for the connection signed in as that user.
        match (channel.user_channel_of(), socket.user()) {
            (Some(owner), Some(user)) if owner == user => Access::Public,
            _ => return refuse("AuthError", "Only the signed-in user may subscribe", 403),
        }
    } else if channel.kind() == ChannelKind::Public {
        Access::Public
    } else {
        let request = AuthRequest {
            channel: channel.clone(),
            socket_id: socket.id.clone(),
            credentials: Credentials::Signed {
                auth: request.auth.clone().unwrap_or_default(),
                channel_data: request.channel_data.clone(),
            },
        };
        match front_end.signatures.check(&request) {
            Ok(access) => access,
            Err(denied) => {
                // Pusher's own answer (a `pusher:error` without a code) and the channel's,
                // which Echo's `.error()` listens to.
                socket.send(protocol::error(None, &denied.to_string()));
                return refuse("AuthError", &denied.to_string(), denied.status().max(401));
            }
        }
    };
    match front_end
        .hub
        .subscribe(&socket.id, channel.clone(), access)
        .await
    {
        Ok(outcome) => tracing::debug!(socket = %socket.id, %channel, ?outcome, "subscribed"),
        Err(error @ SubscribeError::UnknownConnection(_)) => {
            tracing::debug!(socket = %socket.id, %error, "subscription ignored")
        }
        Err(error @ SubscribeError::TooManyChannels { .. }) => {
            refuse("LimitReached", &error.to_string(), 4100)
        }
        Err(error) => refuse("AuthError", &error.to_string(), 403),
    }
}

fn unsubscribe(front_end: &FrontEnd, socket: &Socket, channel: &str) {
    let was_member = ChannelName::new(channel)
        .is_ok_and(|channel| front_end.hub.unsubscribe(&socket.id, &channel));
    tracing::debug!(socket = %socket.id, channel, was_member, "unsubscribed");
}

/// `pusher:signin`: the app signed `user_data` for this socket; the connection is that user's
/// from now on, and may listen to `#server-to-user-<id>`.
fn sign_in(front_end: &FrontEnd, socket: &Socket, request: &SigninData) {
    let refused = |why: String| {
        if let Some(held_back) = front_end.refusals_log.check() {
            tracing::info!(socket = %socket.id, reason = %why, like_these_since_last_line = held_back, "sign-in refused");
        }
        socket.send(protocol::error(
            Some(4009),
            &format!("Sign-in refused: {why}"),
        ));
    };
    if let Err(denied) =
        front_end
            .signatures
            .check_sign_in(&socket.id, &request.auth, &request.user_data)
    {
        return refused(denied.to_string());
    }
    let user = match serde_json::from_str::<SignedInUser>(&request.user_data) {
        Ok(user) if !user.id.is_empty() => user,
        _ => return refused("user_data needs a non-empty string id".to_owned()),
    };
    if !socket.sign_in(user.id.clone()) {
        return refused("this connection is signed in as another user".to_owned());
    }
    front_end.hub.sign_in(&socket.id, &user.id);
    tracing::debug!(socket = %socket.id, user = %user.id, "signed in");
    socket.send(protocol::signin_success(&request.user_data));
}

/// `client-…` on a private or presence channel the sender is in, within its budget.
fn client_event(
    front_end: &FrontEnd,
    socket: &Socket,
    event: &str,
    channel: Option<&str>,
    data: Option<&RawValue>,
) {
    let limits = &front_end.config.client_events;
    let refuse = |code: u16, why: &str| {
        tracing::debug!(socket = %socket.id, event, ?channel, reason = why, "client event refused");
        socket.send(protocol::error(
            Some(code),
            &format!("Client event rejected: {why}"),
        ));
    };
    if !front_end.config.accept_client_events {
        return refuse(4301, "the app does not accept client events");
    }
    if !socket.whisper_budget(|| limits.limiter()).allow() {
        return refuse(4301, "over the rate limit");
    }
    let data = data.map_or("null", RawValue::get);
    if data.len() > limits.max_bytes {
        return refuse(4301, "too large");
    }
    let (Some(Ok(channel)), Ok(event)) = (channel.map(ChannelName::new), EventName::new(event))
    else {
        return refuse(4301, "no valid channel or event name");
    };
    if channel.is_encrypted() {
        return refuse(4301, "not supported on encrypted channels");
    }
    let payload = match Payload::from_json(data.as_bytes()) {
        Ok(payload) => payload,
        Err(_) => return refuse(4301, "data is not JSON"),
    };
    let whisper = Whisper {
        channel,
        event,
        payload,
    };
    match front_end.hub.whisper(&socket.id, &whisper) {
        Ok(report) => {
            tracing::trace!(socket = %socket.id, channel = %whisper.channel, delivered = report.delivered, "client event relayed")
        }
        Err(refused @ WhisperRefused::NotSubscribed(_)) => refuse(4009, &refused.to_string()),
        Err(refused) => refuse(4301, &refused.to_string()),
    }
}

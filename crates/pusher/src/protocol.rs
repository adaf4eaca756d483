//! The Pusher protocol's messages: what clients send, parsed; what the server sends, encoded
//! as whole WebSocket text frames. Every server message's `data` is a JSON *string* (pusher-js
//! accepts an object too, other Pusher SDKs do not).

use serde::Deserialize;
use serde::de::Error as _;
use serde_json::Value;
use serde_json::value::RawValue;
use sidecast_core::{Member, Message, Notice};

use sidecast_websocket::frame::{self, Opcode};

/// `{"event", "channel"?, "data"?}`: one client message.
#[derive(Debug, Deserialize)]
pub struct ClientMessage {
    pub event: String,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

/// `pusher:subscribe` / `pusher:unsubscribe`. `auth` and `channel_data` are exactly what the
/// app signed (`channel_data` is a string within the JSON).
#[derive(Debug, Deserialize)]
pub struct SubscribeData {
    pub channel: String,
    #[serde(default)]
    pub auth: Option<String>,
    #[serde(default)]
    pub channel_data: Option<String>,
}

/// `pusher:signin`: the app's signature over `user_data`, a JSON string.
#[derive(Debug, Deserialize)]
pub struct SigninData {
    pub auth: String,
    pub user_data: String,
}

/// The part of `user_data` the server uses; pusher-js requires a non-empty string id.
#[derive(Debug, Deserialize)]
pub struct SignedInUser {
    pub id: String,
}

/// Reads a message's `data` as `T`, whether the client sent an object or (as some Pusher
/// clients do) that object encoded as a JSON string.
pub fn data_as<T: for<'de> Deserialize<'de>>(
    data: Option<&RawValue>,
) -> Result<T, serde_json::Error> {
    let raw = data.ok_or_else(|| serde_json::Error::custom("the message has no data"))?;
    if raw.get().trim_start().starts_with('"') {
        let text: String = serde_json::from_str(raw.get())?;
        serde_json::from_str(&text)
    } else {
        serde_json::from_str(raw.get())
    }
}

/// A server message as a text frame: `data` is given as JSON text and sent string-encoded.
fn server_frame(
    event: &str,
    channel: Option<&str>,
    data_json: &str,
    user_id: Option<&Value>,
) -> Vec<u8> {
    let string = |text: &str| serde_json::to_string(text).expect("strings always serialize");
    let mut text = String::with_capacity(data_json.len() + event.len() + 64);
    text.push_str("{\"event\":");
    text.push_str(&string(event));
    if let Some(channel) = channel {
        text.push_str(",\"channel\":");
        text.push_str(&string(channel));
    }
    text.push_str(",\"data\":");
    text.push_str(&string(data_json));
    if let Some(user_id) = user_id {
        text.push_str(",\"user_id\":");
        text.push_str(&user_id.to_string());
    }
    text.push('}');
    frame::encode(Opcode::Text, text.as_bytes())
}

/// An event on a channel; a client event in a presence channel names its sender.
pub fn event(message: &Message<'_>) -> Vec<u8> {
    server_frame(
        message.event.as_str(),
        Some(message.channel.as_str()),
        message.payload.as_str(),
        message.sender.map(Member::user_id),
    )
}

/// A subscription taking effect, or a change in a presence channel.
pub fn notice(notice: &Notice<'_>) -> Vec<u8> {
    match *notice {
        Notice::Subscribed { channel, members } => {
            let data = match members {
                None => "{}".to_owned(),
                Some(members) => presence_data(members),
            };
            server_frame(
                "pusher_internal:subscription_succeeded",
                Some(channel.as_str()),
                &data,
                None,
            )
        }
        Notice::Joining { channel, member } => server_frame(
            "pusher_internal:member_added",
            Some(channel.as_str()),
            &serde_json::json!({"user_id": member.user_id(), "user_info": member.user_info()})
                .to_string(),
            None,
        ),
        Notice::Leaving { channel, member } => server_frame(
            "pusher_internal:member_removed",
            Some(channel.as_str()),
            &serde_json::json!({"user_id": member.user_id()}).to_string(),
            None,
        ),
        Notice::SubscriptionCount { channel, count, .. } => server_frame(
            "pusher_internal:subscription_count",
            Some(channel.as_str()),
            &serde_json::json!({"subscription_count": count}).to_string(),
            None,
        ),
        // As Pusher sends it: no data.
        Notice::CacheMiss { channel } => {
            let text =
                serde_json::json!({"event": "pusher:cache_miss", "channel": channel.as_str()});
            frame::encode(Opcode::Text, text.to_string().as_bytes())
        }
    }
}

/// `{"presence":{"ids":[…],"hash":{"<id>":<user_info>},"count":n}}`. `hash` is keyed by the
/// id as a string, as JavaScript object keys are.
fn presence_data(members: &[&Member]) -> String {
    let id_text = |member: &Member| match member.user_id() {
        Value::String(id) => id.clone(),
        other => other.to_string(),
    };
    let hash: serde_json::Map<String, Value> = members
        .iter()
        .map(|member| {
            let info = serde_json::from_str(member.user_info().get()).unwrap_or(Value::Null);
            (id_text(member), info)
        })
        .collect();
    let ids: Vec<String> = members.iter().map(|member| id_text(member)).collect();
    serde_json::json!({"presence": {"ids": ids, "hash": hash, "count": hash.len()}}).to_string()
}

pub fn connection_established(socket_id: &str, activity_timeout_secs: u64) -> Vec<u8> {
    let data =
        serde_json::json!({"socket_id": socket_id, "activity_timeout": activity_timeout_secs});
    server_frame(
        "pusher:connection_established",
        None,
        &data.to_string(),
        None,
    )
}

/// A connection-level error. `code` is `None` for what the client should not act on (a bad
/// message, a bad signature), as Pusher sends it; pusher-js only acts on close codes.
pub fn error(code: Option<u16>, message: &str) -> Vec<u8> {
    let data = serde_json::json!({"code": code, "message": message});
    server_frame("pusher:error", None, &data.to_string(), None)
}

/// A refused subscription, routed to the channel: what Echo's `.error()` listens to.
pub fn subscription_error(channel: &str, kind: &str, error: &str, status: u16) -> Vec<u8> {
    let data = serde_json::json!({"type": kind, "error": error, "status": status});
    server_frame(
        "pusher:subscription_error",
        Some(channel),
        &data.to_string(),
        None,
    )
}

pub fn pong() -> Vec<u8> {
    server_frame("pusher:pong", None, "{}", None)
}

pub fn ping() -> Vec<u8> {
    server_frame("pusher:ping", None, "{}", None)
}

pub fn signin_success(user_data: &str) -> Vec<u8> {
    let data = serde_json::json!({"user_data": user_data});
    server_frame("pusher:signin_success", None, &data.to_string(), None)
}

#[cfg(test)]
mod tests;

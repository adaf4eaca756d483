//! Pusher protocol 7 frames, as pusher-js 8 (Echo's `reverb` and `pusher` broadcasters) sees
//! them on a public channel.
//!
//! Every WebSocket text message is one JSON object `{"event", "channel"?, "data"?}`. The
//! server opens with `pusher:connection_established` (its data, a JSON string, holds the
//! `socket_id` and the `activity_timeout` in seconds); it pings a connection that has been
//! quiet that long with `pusher:ping`, which the client answers with `pusher:pong`. Events on a
//! channel carry their data as a JSON string holding the JSON the app sent. Servers differ in
//! whether a protocol message's data is string-encoded or an object; both are read.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Error, Event, Handshake, Packet, json_text, websocket_base};

/// The protocol revision a client announces, as pusher-js 8 does.
pub const VERSION: u8 = 7;
/// The client's ping (pusher-js sends one after its own quiet spell).
pub const PING: &str = r#"{"event":"pusher:ping","data":{}}"#;
/// The answer to the server's `pusher:ping`.
pub const PONG: &str = r#"{"event":"pusher:pong","data":{}}"#;
/// How long pusher-js waits for a pong; the protocol does not announce it.
const PONG_TIMEOUT_MS: u64 = 30_000;

/// The URL of app `app_key` on a server whose HTTP base is `base`, with the query pusher-js
/// sends.
pub fn websocket_url(base: &str, app_key: &str) -> String {
    format!(
        "{}/app/{app_key}?protocol={VERSION}&client=sidecast-loadgen&version={}&flash=false",
        websocket_base(base),
        env!("CARGO_PKG_VERSION")
    )
}

/// `pusher:subscribe` for a public channel, which needs no signature.
pub fn subscribe(channel: &str) -> String {
    serde_json::json!({"event": "pusher:subscribe", "data": {"channel": channel}}).to_string()
}

/// One message from the server, its fields left as JSON text.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow, default)]
    channel: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// What `pusher:connection_established` says.
#[derive(Deserialize)]
struct Established {
    socket_id: String,
    activity_timeout: u64,
}

/// Reads one WebSocket text message from the server.
pub fn decode(text: &str) -> Result<Packet<'_>, Error> {
    let message: Message<'_> =
        serde_json::from_str(text).map_err(|e| Error::Event(e.to_string()))?;
    match message.event.as_ref() {
        "pusher:connection_established" => {
            let data = message
                .data
                .ok_or_else(|| Error::Handshake("no data".into()))?;
            let established: Established = serde_json::from_str(&json_text(data)?)
                .map_err(|e| Error::Handshake(e.to_string()))?;
            Ok(Packet::Open(Handshake {
                sid: established.socket_id,
                ping_interval: established.activity_timeout.saturating_mul(1000),
                ping_timeout: PONG_TIMEOUT_MS,
            }))
        }
        "pusher:ping" => Ok(Packet::Ping),
        "pusher:pong" => Ok(Packet::Pong),
        "pusher:error" => Ok(Packet::ConnectError(message.data.map_or("", RawValue::get))),
        "pusher:subscription_error" | "pusher:cache_miss" | "pusher:signin_success" => {
            Ok(Packet::Notice)
        }
        name if name.starts_with("pusher_internal:") => Ok(Packet::Notice),
        name if name.starts_with("pusher:") => Err(Error::UnknownPusherEvent(name.to_owned())),
        _ => {
            let (Some(channel), Some(data)) = (message.channel, message.data) else {
                return Err(Error::Event("an event without its channel or data".into()));
            };
            Ok(Packet::Event(Event {
                name: message.event,
                args: vec![channel, data],
            }))
        }
    }
}

#[cfg(test)]
mod tests;

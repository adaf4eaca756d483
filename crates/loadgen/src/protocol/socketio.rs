//! Engine.IO and socket.io frames, as a WebSocket-only Echo client sees them.
//!
//! Over WebSocket every text message is one Engine.IO packet: a type digit, then its data.
//! Type `4` (message) carries one socket.io packet, again a type digit and its data. Two
//! generations are spoken:
//!
//! | | EIO=3 (socket.io 2, laravel-echo-server) | EIO=4 (socket.io 3/4) |
//! |---|---|---|
//! | heartbeat | the client sends `2` every `pingInterval`, the server answers `3` | the server sends `2`, the client answers `3` |
//! | namespace `/` | the server sends `40` by itself after the open packet | the client sends `40`, the server answers `40{"sid":…}` |
//! | refused connect | `44"message"` | `44{"message":…}` |
//!
//! Echo subscribes with `42["subscribe",{"channel":…,"auth":{"headers":{}}}]` and receives
//! events as `42["<event>","<channel>",<data>]`. Only the default namespace is used; a packet
//! for another one, a binary packet or anything unparsable is an [`Error`], never a panic.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::{Error, Event, Packet, websocket_base};

/// The Engine.IO protocol revision, the `EIO` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Eio {
    /// socket.io 2.x, what laravel-echo-server 1.6 serves.
    V3,
    /// socket.io 3.x and 4.x.
    V4,
}

impl Eio {
    /// The WebSocket URL of a socket.io server whose HTTP base is `base`
    /// (`http://127.0.0.1:6001`, `https://…`), skipping the polling handshake as
    /// `transports: ['websocket']` does.
    pub fn websocket_url(self, base: &str) -> String {
        format!(
            "{}/socket.io/?EIO={}&transport=websocket",
            websocket_base(base),
            self.version()
        )
    }

    /// The revision's number, as in the `EIO` query parameter.
    pub fn version(self) -> u8 {
        match self {
            Eio::V3 => 3,
            Eio::V4 => 4,
        }
    }

    /// What the client sends once the Engine.IO session is open, before subscribing.
    pub fn connect_request(self) -> Option<&'static str> {
        match self {
            Eio::V3 => None,
            Eio::V4 => Some(CONNECT),
        }
    }

    /// Whether the client, rather than the server, sends the heartbeat pings.
    pub fn client_pings(self) -> bool {
        self == Eio::V3
    }
}

/// The socket.io CONNECT for namespace `/`, without auth payload.
pub const CONNECT: &str = "40";
/// An Engine.IO ping.
pub const PING: &str = "2";
/// An Engine.IO pong.
pub const PONG: &str = "3";
/// The ping a client sends on the new WebSocket to test it before upgrading to it.
pub const PROBE_PING: &str = "2probe";
/// The server's answer to [`PROBE_PING`].
pub const PROBE_PONG: &str = "3probe";
/// An Engine.IO no-op, which ends a pending poll while the session upgrades.
pub const NOOP: &str = "6";
/// The Engine.IO upgrade: from now on the session uses this WebSocket.
pub const UPGRADE: &str = "5";

/// Reads one WebSocket text message from the server.
pub fn decode(text: &str) -> Result<Packet<'_>, Error> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(Error::Empty)?;
    let data = chars.as_str();
    match kind {
        '0' => serde_json::from_str(data)
            .map(Packet::Open)
            .map_err(|e| Error::Handshake(e.to_string())),
        '1' => Ok(Packet::Close),
        '2' => Ok(Packet::Ping),
        '3' => Ok(Packet::Pong),
        '4' => decode_socketio(data),
        '6' => Ok(Packet::Noop),
        other => Err(Error::UnknownEngineType(other)),
    }
}

fn decode_socketio(text: &str) -> Result<Packet<'_>, Error> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(Error::Empty)?;
    let data = in_root_namespace(chars.as_str())?;
    match kind {
        '0' => Ok(Packet::Connect),
        '1' => Ok(Packet::Disconnect),
        '2' => decode_event(data),
        '3' => Err(Error::UnexpectedAck),
        '4' => Ok(Packet::ConnectError(data)),
        '5' | '6' => Err(Error::Binary),
        other => Err(Error::UnknownSocketType(other)),
    }
}

/// The packet data after an optional `/` namespace prefix; a packet for another namespace
/// starts with `/<name>,`.
fn in_root_namespace(data: &str) -> Result<&str, Error> {
    if !data.starts_with('/') {
        return Ok(data);
    }
    let (namespace, rest) = data.split_once(',').unwrap_or((data, ""));
    if namespace == "/" {
        Ok(rest)
    } else {
        Err(Error::OtherNamespace(namespace.to_owned()))
    }
}

fn decode_event(data: &str) -> Result<Packet<'_>, Error> {
    // An ack id, digits before the array, asks for an answer Echo never gives: ignore it.
    let array = data.trim_start_matches(|c: char| c.is_ascii_digit());
    let mut items: Vec<&RawValue> =
        serde_json::from_str(array).map_err(|e| Error::Event(e.to_string()))?;
    if items.is_empty() {
        return Err(Error::Event("no event name".into()));
    }
    let name = items.remove(0).get();
    // Borrowed when the name has no escapes (the usual case), decoded otherwise.
    let name = match serde_json::from_str::<&str>(name) {
        Ok(plain) => Cow::Borrowed(plain),
        Err(_) => Cow::Owned(
            serde_json::from_str::<String>(name)
                .map_err(|e| Error::Event(format!("event name: {e}")))?,
        ),
    };
    Ok(Packet::Event(Event { name, args: items }))
}

/// Echo's `subscribe` for a public channel: `42["subscribe",{"channel":…,"auth":{"headers":{}}}]`.
pub fn subscribe(channel: &str) -> String {
    let payload = serde_json::json!(["subscribe", {"channel": channel, "auth": {"headers": {}}}]);
    format!("42{payload}")
}

/// Echo's `subscribe` for a private or presence channel, as Echo sends it with
/// `bearerToken: token`: the server passes the headers on to the app that authorizes it.
pub fn subscribe_with_token(channel: &str, token: &str) -> String {
    let headers = serde_json::json!({"Authorization": format!("Bearer {token}")});
    let payload =
        serde_json::json!(["subscribe", {"channel": channel, "auth": {"headers": headers}}]);
    format!("42{payload}")
}

#[cfg(test)]
mod tests;

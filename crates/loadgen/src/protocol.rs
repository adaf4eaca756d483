//! What a client and a server say to each other, in either of the two protocols Laravel Echo
//! speaks: socket.io ([`socketio`], both Engine.IO generations) and Pusher ([`pusher`], what
//! Echo's `reverb` and `pusher` broadcasters and pusher-js speak). Both are read into the same
//! [`Packet`]s, so a client's loop is written once:
//!
//! | | socket.io | Pusher |
//! |---|---|---|
//! | session open | `0{"sid",…}` ([`Packet::Open`]) | `pusher:connection_established` |
//! | joined | `40` ([`Packet::Connect`]) | with the session |
//! | heartbeat | pings and pongs by generation | the server pings a quiet connection, the client answers |
//! | an event | `42["<event>","<channel>",<data>]` | `{"event","channel","data":"<JSON text>"}` |
//!
//! An event's arguments are always `[channel, data]` as JSON text; Pusher's data arrives as a
//! JSON string holding the JSON, which [`crate::stamp::Stamp::read`] reads either way. Nothing
//! the server sends makes a decoder panic: what cannot be read is an [`Error`].

pub mod pusher;
pub mod socketio;

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use thiserror::Error;

pub use socketio::Eio;

/// The protocol a run's clients speak.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Protocol {
    /// socket.io, at `<URL>/socket.io/`.
    SocketIo(Eio),
    /// Pusher protocol 7, at `<URL>/app/<app_key>`.
    Pusher { app_key: String },
}

impl Protocol {
    /// The URL a client opens its WebSocket at, for a server whose HTTP base is `base`.
    pub fn websocket_url(&self, base: &str) -> String {
        match self {
            Protocol::SocketIo(eio) => eio.websocket_url(base),
            Protocol::Pusher { app_key } => pusher::websocket_url(base, app_key),
        }
    }

    /// What the client sends once the session is open, before it is joined.
    pub fn connect_request(&self) -> Option<&'static str> {
        match self {
            Protocol::SocketIo(eio) => eio.connect_request(),
            Protocol::Pusher { .. } => None,
        }
    }

    /// Whether the client waits for a [`Packet::Connect`] after the session opens (socket.io's
    /// namespace); a Pusher session is joined as soon as it is open.
    pub fn has_namespaces(&self) -> bool {
        matches!(self, Protocol::SocketIo(_))
    }

    /// Whether a session may start over HTTP long polling (socket.io's), rather than only
    /// over a WebSocket.
    pub fn has_polling(&self) -> bool {
        matches!(self, Protocol::SocketIo(_))
    }

    /// Whether the client, rather than the server, keeps the heartbeat going.
    pub fn client_pings(&self) -> bool {
        match self {
            Protocol::SocketIo(eio) => eio.client_pings(),
            Protocol::Pusher { .. } => false,
        }
    }

    /// The client's ping, sent every heartbeat when [`Protocol::client_pings`].
    pub fn ping(&self) -> &'static str {
        match self {
            Protocol::SocketIo(_) => socketio::PING,
            Protocol::Pusher { .. } => pusher::PING,
        }
    }

    /// The answer to the server's ping.
    pub fn pong(&self) -> &'static str {
        match self {
            Protocol::SocketIo(_) => socketio::PONG,
            Protocol::Pusher { .. } => pusher::PONG,
        }
    }

    /// The subscription to the public `channel`, as Echo sends it.
    pub fn subscribe(&self, channel: &str) -> String {
        match self {
            Protocol::SocketIo(_) => socketio::subscribe(channel),
            Protocol::Pusher { .. } => pusher::subscribe(channel),
        }
    }

    /// Reads one WebSocket text message from the server.
    pub fn decode<'a>(&self, text: &'a str) -> Result<Packet<'a>, Error> {
        match self {
            Protocol::SocketIo(_) => socketio::decode(text),
            Protocol::Pusher { .. } => pusher::decode(text),
        }
    }

    /// The name in reports: `EIO=3`, `EIO=4` or `Pusher 7`.
    pub fn label(&self) -> String {
        match self {
            Protocol::SocketIo(eio) => format!("EIO={}", eio.version()),
            Protocol::Pusher { .. } => format!("Pusher {}", pusher::VERSION),
        }
    }
}

/// The WebSocket base of an HTTP base URL: `http://h:p/` → `ws://h:p`, `https://…` → `wss://…`.
fn websocket_base(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    }
}

/// The JSON an event's data holds: the text of a JSON string (Pusher), or the field itself
/// (socket.io).
pub fn json_text(data: &RawValue) -> Result<Cow<'_, str>, Error> {
    if data.get().starts_with('"') {
        serde_json::from_str::<String>(data.get())
            .map(Cow::Owned)
            .map_err(|e| Error::Event(format!("data: {e}")))
    } else {
        Ok(Cow::Borrowed(data.get()))
    }
}

/// The session's settings that matter to a client.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// socket.io's session id, or Pusher's socket id.
    pub sid: String,
    /// Milliseconds between heartbeats (Pusher: the activity timeout).
    pub ping_interval: u64,
    /// Milliseconds the other side waits for the answer to a ping.
    pub ping_timeout: u64,
}

/// One packet received from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// The session is open (Engine.IO `0`, `pusher:connection_established`).
    Open(Handshake),
    /// Engine.IO `1`: the server closes the session.
    Close,
    /// Engine.IO `2`, `pusher:ping`.
    Ping,
    /// Engine.IO `3`, `pusher:pong`.
    Pong,
    /// Engine.IO `6`, sent while upgrading transports.
    Noop,
    /// socket.io CONNECT for `/`: the namespace is joined.
    Connect,
    /// socket.io DISCONNECT for `/`.
    Disconnect,
    /// socket.io CONNECT_ERROR (or protocol-4 ERROR), or `pusher:error`, with the server's
    /// reason as sent.
    ConnectError(&'a str),
    /// A Pusher protocol message the generator has no use for: a subscription's success or
    /// refusal, a count, a presence change, a cache miss.
    Notice,
    /// An event on a channel: its name and the arguments after it.
    Event(Event<'a>),
}

/// An event, its arguments left as JSON text for the caller to read.
#[derive(Debug)]
pub struct Event<'a> {
    pub name: Cow<'a, str>,
    pub args: Vec<&'a RawValue>,
}

impl PartialEq for Event<'_> {
    /// Same name and the same argument texts.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.args.len() == other.args.len()
            && self
                .args
                .iter()
                .zip(&other.args)
                .all(|(a, b)| a.get() == b.get())
    }
}

impl Eq for Event<'_> {}

/// Why a frame from the server could not be understood.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Error {
    #[error("empty frame")]
    Empty,
    #[error("unknown Engine.IO packet type {0:?}")]
    UnknownEngineType(char),
    #[error("unknown socket.io packet type {0:?}")]
    UnknownSocketType(char),
    #[error("packet for namespace {0:?}; only \"/\" is used")]
    OtherNamespace(String),
    #[error("binary socket.io packets are not used by Echo")]
    Binary,
    #[error("socket.io ACK for a request never made")]
    UnexpectedAck,
    #[error("unknown Pusher protocol event {0:?}")]
    UnknownPusherEvent(String),
    #[error("invalid open packet: {0}")]
    Handshake(String),
    #[error("invalid event: {0}")]
    Event(String),
}

//! Opening a client's session: over a WebSocket from the start (socket.io or Pusher), or over
//! HTTP long polling first and then upgraded to a WebSocket (socket.io only).

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::{ConnectError, Socket};
use crate::polling::{self, Poller};
use crate::protocol::{self, Eio, Handshake, Packet, Protocol, socketio};

/// tungstenite zero-fills its read buffer up to this size before every read, and keeps one
/// per connection: its 128 KiB default cost a third of the generator's CPU in memset at
/// 100,000 deliveries/s, and 1.3 GB for 10,000 clients. Echo events are far smaller.
const READ_BUFFER_BYTES: usize = 4096;

/// Opens the session, and joins namespace `/` where there is one, over a WebSocket from the
/// start.
pub(super) async fn websocket_only(
    base: &str,
    protocol: &Protocol,
) -> Result<(Socket, Handshake), ConnectError> {
    let mut socket = open_websocket(&protocol.websocket_url(base)).await?;
    let handshake = match next_packet(&mut socket, protocol).await? {
        Owned::Open(handshake) => handshake,
        Owned::Refused(reason) => return Err(ConnectError::Refused(reason)),
        other => return Err(other.unexpected("the open packet")),
    };
    if let Some(request) = protocol.connect_request() {
        socket.send(Message::text(request)).await?;
    }
    while protocol.has_namespaces() {
        match next_packet(&mut socket, protocol).await? {
            Owned::Connect => break,
            Owned::Ping => socket.send(Message::text(protocol.pong())).await?,
            Owned::Refused(reason) => return Err(ConnectError::Refused(reason)),
            other => return Err(other.unexpected("the namespace CONNECT")),
        }
    }
    Ok((socket, handshake))
}

/// Opens the session and joins namespace `/` over HTTP long polling, then upgrades the
/// session to a WebSocket: `2probe`, `3probe` back, `5`. An EIO=4 client sends its `40`
/// with a POST; an EIO=3 server sends `40` by itself. Either answer is read by polling.
pub(super) async fn polling_then_upgrade(
    http: &reqwest::Client,
    base: &str,
    eio: Eio,
) -> Result<(Socket, Handshake), ConnectError> {
    let poller = Poller::new(http, eio);
    let opening = polling::handshake_url(eio, base);
    let mut packets = poller.get(&opening).await?.into_iter();
    let socketio = Protocol::SocketIo(eio);
    let handshake = match packets
        .next()
        .map(|packet| owned(&packet, &socketio))
        .transpose()?
    {
        Some(Owned::Open(handshake)) => handshake,
        Some(other) => return Err(other.unexpected("the open packet")),
        None => return Err(ConnectError::Closed),
    };
    let session = polling::with_sid(&opening, &handshake.sid);
    if let Some(request) = eio.connect_request() {
        poller.post(&session, request).await?;
    }
    // An EIO=3 server may send its `40` in the same payload as the open packet. Every
    // packet of a payload is handled: a ping after the `40` still needs its pong.
    let mut payload: Vec<String> = packets.collect();
    let mut joined = false;
    while !joined {
        if payload.is_empty() {
            payload = poller.get(&session).await?;
        }
        for packet in payload.drain(..) {
            match owned(&packet, &socketio)? {
                Owned::Connect if !joined => joined = true,
                Owned::Ping => poller.post(&session, socketio::PONG).await?,
                Owned::Noop => {}
                Owned::Refused(reason) => return Err(ConnectError::Refused(reason)),
                other => return Err(other.unexpected("the namespace CONNECT")),
            }
        }
    }

    let mut socket =
        open_websocket(&polling::with_sid(&eio.websocket_url(base), &handshake.sid)).await?;
    socket.send(Message::text(socketio::PROBE_PING)).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.as_str() == socketio::PROBE_PONG => break,
            // The server may flush a no-op meant for a pending poll.
            Some(Ok(Message::Text(text))) if text.as_str() == socketio::NOOP => {}
            Some(Ok(Message::Text(text))) => {
                return Err(ConnectError::Unexpected {
                    expected: "the probe's pong",
                    got: format!("{:?}", text.as_str()),
                });
            }
            Some(Ok(Message::Close(_))) | None => return Err(ConnectError::Closed),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
        }
    }
    socket.send(Message::text(socketio::UPGRADE)).await?;
    Ok((socket, handshake))
}

async fn open_websocket(url: &str) -> Result<Socket, ConnectError> {
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
    Ok(socket)
}

/// A handshake-time packet, no longer borrowing the message it came from.
#[derive(Debug)]
enum Owned {
    Open(Handshake),
    Connect,
    Ping,
    Noop,
    Refused(String),
    Other(String),
}

impl Owned {
    fn unexpected(self, expected: &'static str) -> ConnectError {
        let got = match self {
            Owned::Open(_) => "a second open packet".into(),
            Owned::Connect => "a CONNECT".into(),
            Owned::Ping => "a ping".into(),
            Owned::Noop => "a no-op".into(),
            Owned::Refused(reason) => format!("a refused connect ({reason})"),
            Owned::Other(text) => format!("{text:?}"),
        };
        ConnectError::Unexpected { expected, got }
    }
}

/// The next packet during the handshake, skipping WebSocket control frames.
async fn next_packet(socket: &mut Socket, protocol: &Protocol) -> Result<Owned, ConnectError> {
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | None => return Err(ConnectError::Closed),
            Some(Ok(Message::Binary(_))) => return Ok(Owned::Other("a binary frame".into())),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.into()),
        };
        return Ok(owned(text.as_str(), protocol)?);
    }
}

/// A handshake-time packet from its text.
fn owned(text: &str, protocol: &Protocol) -> Result<Owned, protocol::Error> {
    Ok(match protocol.decode(text)? {
        Packet::Open(handshake) => Owned::Open(handshake),
        Packet::Connect => Owned::Connect,
        Packet::Ping => Owned::Ping,
        Packet::Noop => Owned::Noop,
        Packet::ConnectError(reason) => Owned::Refused(reason.to_owned()),
        _ => Owned::Other(text.to_owned()),
    })
}

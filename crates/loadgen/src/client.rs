//! One Echo client: a WebSocket-only socket.io connection subscribed to one public channel,
//! as `new Echo({broadcaster: 'socket.io', transports: ['websocket']}).channel(name)` makes
//! it, then recording every event it receives until the run says stop.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use thiserror::Error;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::board::Reporter;
use crate::protocol::{self, Eio, Handshake, Packet};
use crate::stamp::{self, Stamp};
use crate::tally::{Delivery, Ledger};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// tungstenite zero-fills its read buffer up to this size before every read, and keeps one
/// per connection: its 128 KiB default cost a third of the generator's CPU in memset at
/// 100,000 deliveries/s, and 1.3 GB for 10,000 clients. Echo events are far smaller.
const READ_BUFFER_BYTES: usize = 4096;

#[derive(Debug, Error)]
pub enum ConnectError {
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("protocol: {0}")]
    Protocol(#[from] protocol::Error),
    #[error("the server refused the namespace: {0}")]
    Refused(String),
    #[error("expected {expected}, got {got}")]
    Unexpected { expected: &'static str, got: String },
    #[error("the server closed the connection during the handshake")]
    Closed,
}

/// A client that is connected to namespace `/` and has sent its `subscribe`.
#[derive(Debug)]
pub struct Client {
    socket: Socket,
    eio: Eio,
    handshake: Handshake,
    channel: String,
}

/// How a client's run ended.
#[derive(Debug)]
pub struct Outcome {
    pub ledger: Ledger,
    /// Frames that could not be understood.
    pub malformed: u64,
    /// Why the connection ended before the run stopped it.
    pub broken: Option<String>,
}

impl Client {
    /// Opens the WebSocket at `url` (from [`Eio::websocket_url`]), joins namespace `/` and
    /// subscribes to `channel`.
    pub async fn connect(url: &str, eio: Eio, channel: &str) -> Result<Self, ConnectError> {
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
        let (mut socket, _) =
            tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
        let handshake = match next_packet(&mut socket).await? {
            Owned::Open(handshake) => handshake,
            other => return Err(other.unexpected("the open packet")),
        };
        if let Some(request) = eio.connect_request() {
            socket.send(Message::text(request)).await?;
        }
        loop {
            match next_packet(&mut socket).await? {
                Owned::Connect => break,
                Owned::Ping => socket.send(Message::text(protocol::PONG)).await?,
                Owned::Refused(reason) => return Err(ConnectError::Refused(reason)),
                other => return Err(other.unexpected("the namespace CONNECT")),
            }
        }
        socket
            .send(Message::text(protocol::subscribe(channel)))
            .await?;
        Ok(Client {
            socket,
            eio,
            handshake,
            channel: channel.to_owned(),
        })
    }

    /// Receives until `stop` turns true or the connection ends, keeping the heartbeat of
    /// the protocol generation going, and records each event in `ledger` and `reporter`.
    pub async fn listen(
        mut self,
        mut ledger: Ledger,
        mut reporter: Reporter,
        mut stop: watch::Receiver<bool>,
    ) -> Outcome {
        let mut malformed = 0;
        let interval = Duration::from_millis(self.handshake.ping_interval.max(1));
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // One future for the whole loop: a new one per message would register and drop a
        // waiter on the watch channel for every delivery.
        let stop = stopped(&mut stop);
        tokio::pin!(stop);
        let broken = loop {
            let message = tokio::select! {
                message = self.socket.next() => message,
                _ = heartbeat.tick(), if self.eio.client_pings() => {
                    match self.socket.send(Message::text(protocol::PING)).await {
                        Ok(()) => continue,
                        Err(error) => break Some(format!("sending a ping: {error}")),
                    }
                }
                () = &mut stop => break None,
            };
            let received_ns = stamp::now_ns();
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | None => break Some("closed by the server".into()),
                Some(Ok(Message::Binary(_))) => {
                    malformed += 1;
                    continue;
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => break Some(error.to_string()),
            };
            match protocol::decode(text.as_str()) {
                Ok(Packet::Event(event)) => {
                    if !self.record(&event, received_ns, &mut ledger, &mut reporter) {
                        malformed += 1;
                    }
                }
                Ok(Packet::Ping) => {
                    if let Err(error) = self.socket.send(Message::text(protocol::PONG)).await {
                        break Some(format!("sending a pong: {error}"));
                    }
                }
                Ok(Packet::Close | Packet::Disconnect) => {
                    break Some("disconnected by the server".into());
                }
                Ok(_) => {}
                Err(_) => malformed += 1,
            }
        };
        Outcome {
            ledger,
            malformed,
            broken,
        }
    }

    /// Books one event; false when it is not a well-formed probe or tick of this channel.
    fn record(
        &self,
        event: &protocol::Event<'_>,
        received_ns: u64,
        ledger: &mut Ledger,
        reporter: &mut Reporter,
    ) -> bool {
        let [channel, data] = event.args[..] else {
            return false;
        };
        if serde_json::from_str::<&str>(channel.get()).ok() != Some(self.channel.as_str()) {
            // Another channel's event is foreign whatever it carries.
            ledger.record_foreign();
            return true;
        }
        match event.name.as_ref() {
            stamp::PROBE => reporter.probe(),
            stamp::TICK => {
                let Ok(stamp) = serde_json::from_str::<Stamp>(data.get()) else {
                    return false;
                };
                if ledger.record(stamp.seq) == Delivery::First {
                    reporter.delivery(received_ns.saturating_sub(stamp.sent_ns));
                }
            }
            _ => return false,
        }
        true
    }
}

/// Completes once the run says stop (or is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// A handshake-time packet, no longer borrowing the message it came from.
#[derive(Debug)]
enum Owned {
    Open(Handshake),
    Connect,
    Ping,
    Refused(String),
    Other(String),
}

impl Owned {
    fn unexpected(self, expected: &'static str) -> ConnectError {
        let got = match self {
            Owned::Open(_) => "a second open packet".into(),
            Owned::Connect => "a CONNECT".into(),
            Owned::Ping => "a ping".into(),
            Owned::Refused(reason) => format!("a refused connect ({reason})"),
            Owned::Other(text) => format!("{text:?}"),
        };
        ConnectError::Unexpected { expected, got }
    }
}

/// The next packet during the handshake, skipping WebSocket control frames.
async fn next_packet(socket: &mut Socket) -> Result<Owned, ConnectError> {
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | None => return Err(ConnectError::Closed),
            Some(Ok(Message::Binary(_))) => return Ok(Owned::Other("a binary frame".into())),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.into()),
        };
        return Ok(match protocol::decode(text.as_str())? {
            Packet::Open(handshake) => Owned::Open(handshake),
            Packet::Connect => Owned::Connect,
            Packet::Ping => Owned::Ping,
            Packet::ConnectError(reason) => Owned::Refused(reason.to_owned()),
            _ => Owned::Other(text.as_str().to_owned()),
        });
    }
}

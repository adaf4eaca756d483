//! One Echo client: a socket.io connection subscribed to one public channel, as
//! `new Echo({broadcaster: 'socket.io', …}).channel(name)` makes it, then recording every
//! event it receives until the run says stop. It connects in one of two ways ([`Transport`]):
//! straight over WebSocket (`transports: ['websocket']`), or as socket.io-client does by
//! default, over HTTP long polling first and then upgraded to a WebSocket. Either way the
//! subscription, the events and the heartbeat go over the WebSocket.

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
use crate::polling::{self, Poller, PollingError};
use crate::protocol::{self, Eio, Handshake, Packet};
use crate::silence::Silence;
use crate::stamp::{self, Stamp};
use crate::tally::{Delivery, Ledger};

mod observe;

pub use observe::Ended;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// tungstenite zero-fills its read buffer up to this size before every read, and keeps one
/// per connection: its 128 KiB default cost a third of the generator's CPU in memset at
/// 100,000 deliveries/s, and 1.3 GB for 10,000 clients. Echo events are far smaller.
const READ_BUFFER_BYTES: usize = 4096;

/// How long a leaving client waits for its close frame to be written.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

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
    #[error("polling: {0}")]
    Polling(#[from] PollingError),
    #[error("the server closed the connection during the handshake")]
    Closed,
}

/// How a client reaches its WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Transport {
    /// Straight to `transport=websocket`, as `transports: ['websocket']` does.
    WebSocket,
    /// socket.io-client's default: the Engine.IO session opened and namespace `/` joined
    /// over HTTP long polling, then the session upgraded to a WebSocket.
    PollingUpgrade,
}

impl Transport {
    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::PollingUpgrade => "polling-upgrade",
        }
    }
}

/// A client that is connected to namespace `/` and has sent its `subscribe`.
#[derive(Debug)]
pub struct Client {
    socket: Socket,
    eio: Eio,
    handshake: Handshake,
    channel: String,
}

/// How a churn client's visit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visit {
    /// It proved its subscription, stayed, and closed the connection itself.
    Left,
    /// No event of its channel arrived within the subscribe timeout; it closed the connection.
    FailedSubscription,
    /// The connection ended before the client left, for this reason.
    Broken { subscribed: bool, reason: String },
    /// The run stopped it before it left.
    CutShort { subscribed: bool },
}

/// How a client's run ended.
#[derive(Debug)]
pub struct Outcome {
    pub ledger: Ledger,
    /// Frames that could not be understood.
    pub malformed: u64,
    /// Why the connection ended before the run stopped it.
    pub broken: Option<String>,
    /// The longest wait between two first copies.
    pub silence: Silence,
}

/// Where and how a run's clients connect, shared by all of them.
#[derive(Debug, Clone)]
pub struct Connector {
    /// The server's HTTP base, `http://127.0.0.1:6001`.
    base: String,
    eio: Eio,
    transport: Transport,
    /// For the polling phase of [`Transport::PollingUpgrade`].
    http: reqwest::Client,
}

impl Connector {
    pub fn new(base: &str, eio: Eio, transport: Transport) -> Result<Self, ConnectError> {
        Ok(Connector {
            base: base.to_owned(),
            eio,
            transport,
            http: polling::http_client()?,
        })
    }

    /// Connects one client, joins namespace `/` and subscribes to the public `channel`.
    pub async fn connect(&self, channel: &str) -> Result<Client, ConnectError> {
        let mut client = self.open(channel).await?;
        client.subscribe(&protocol::subscribe(channel)).await?;
        Ok(client)
    }

    /// Connects one client for `channel` and joins namespace `/`, without subscribing yet:
    /// the caller sends the `subscribe` (see [`Client::subscribe`]) when it chooses.
    pub async fn open(&self, channel: &str) -> Result<Client, ConnectError> {
        let (base, eio) = (self.base.as_str(), self.eio);
        let (socket, handshake) = match self.transport {
            Transport::WebSocket => websocket_only(base, eio).await?,
            Transport::PollingUpgrade => polling_then_upgrade(&self.http, base, eio).await?,
        };
        Ok(Client {
            socket,
            eio,
            handshake,
            channel: channel.to_owned(),
        })
    }
}

impl Client {
    /// Sends a `subscribe` packet (`42["subscribe",…]`, see [`protocol::subscribe`]).
    pub async fn subscribe(&mut self, packet: &str) -> Result<(), ConnectError> {
        self.socket.send(Message::text(packet)).await?;
        Ok(())
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
        let mut silence = Silence::default();
        let mut heartbeat = self.heartbeat();
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
                    let books = (&mut ledger, &mut silence, &mut reporter);
                    if !self.record(&event, received_ns, books) {
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
            silence,
        }
    }

    /// A churn client's visit: waits at most `subscribe_timeout` for the first event of its
    /// channel (a tick or a probe, the proof it is subscribed) and calls `subscribed`, stays
    /// `stay` longer, keeping the heartbeat going, then closes the connection. `stop` ends
    /// the visit early.
    pub async fn visit(
        mut self,
        subscribe_timeout: Duration,
        stay: Duration,
        subscribed: impl FnOnce(),
        stop: &mut watch::Receiver<bool>,
    ) -> Visit {
        let mut heartbeat = self.heartbeat();
        let mut subscribed = Some(subscribed);
        let leave = tokio::time::sleep(subscribe_timeout);
        tokio::pin!(leave);
        let stop = stopped(stop);
        tokio::pin!(stop);
        let visit = loop {
            let is_subscribed = subscribed.is_none();
            let message = tokio::select! {
                message = self.socket.next() => message,
                _ = heartbeat.tick(), if self.eio.client_pings() => {
                    match self.socket.send(Message::text(protocol::PING)).await {
                        Ok(()) => continue,
                        Err(error) => break Visit::Broken {
                            subscribed: is_subscribed,
                            reason: format!("sending a ping: {error}"),
                        },
                    }
                }
                () = &mut leave => break if is_subscribed { Visit::Left } else { Visit::FailedSubscription },
                () = &mut stop => break Visit::CutShort { subscribed: is_subscribed },
            };
            let broken = |reason: String| Visit::Broken {
                subscribed: is_subscribed,
                reason,
            };
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | None => break broken("closed by the server".into()),
                Some(Ok(_)) => continue,
                Some(Err(error)) => break broken(error.to_string()),
            };
            match protocol::decode(text.as_str()) {
                Ok(Packet::Event(event)) if self.is_of_channel(&event) => {
                    if let Some(subscribed) = subscribed.take() {
                        subscribed();
                        leave.as_mut().reset(tokio::time::Instant::now() + stay);
                    }
                }
                Ok(Packet::Ping) => {
                    if let Err(error) = self.socket.send(Message::text(protocol::PONG)).await {
                        break broken(format!("sending a pong: {error}"));
                    }
                }
                Ok(Packet::Close | Packet::Disconnect) => {
                    break broken("disconnected by the server".into());
                }
                _ => {}
            }
        };
        if !matches!(visit, Visit::Broken { .. }) {
            // Leaving as a browser tab does: a close frame, without waiting for the answer.
            let _ = tokio::time::timeout(CLOSE_GRACE, self.socket.close(None)).await;
        }
        visit
    }

    /// Whether `event` is a tick or a probe of this client's channel.
    fn is_of_channel(&self, event: &protocol::Event<'_>) -> bool {
        let (stamp::TICK | stamp::PROBE) = event.name.as_ref() else {
            return false;
        };
        event.args.first().is_some_and(|channel| {
            serde_json::from_str::<&str>(channel.get()).ok() == Some(self.channel.as_str())
        })
    }

    /// The client's heartbeat timer, one `pingInterval` of the open packet apart.
    fn heartbeat(&self) -> tokio::time::Interval {
        let interval = Duration::from_millis(self.handshake.ping_interval.max(1));
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        heartbeat
    }

    /// Books one event in the client's ledger, silence and reporter; false when it is not a
    /// well-formed probe or tick of this channel.
    fn record(
        &self,
        event: &protocol::Event<'_>,
        received_ns: u64,
        (ledger, silence, reporter): (&mut Ledger, &mut Silence, &mut Reporter),
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
                    silence.heard(received_ns);
                    reporter.delivery(received_ns.saturating_sub(stamp.sent_ns));
                }
            }
            _ => return false,
        }
        true
    }
}

/// Opens the session and joins namespace `/` over a WebSocket from the start.
async fn websocket_only(base: &str, eio: Eio) -> Result<(Socket, Handshake), ConnectError> {
    let mut socket = open_websocket(&eio.websocket_url(base)).await?;
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
    Ok((socket, handshake))
}

/// Opens the session and joins namespace `/` over HTTP long polling, then upgrades the
/// session to a WebSocket: `2probe`, `3probe` back, `5`. An EIO=4 client sends its `40`
/// with a POST; an EIO=3 server sends `40` by itself. Either answer is read by polling.
async fn polling_then_upgrade(
    http: &reqwest::Client,
    base: &str,
    eio: Eio,
) -> Result<(Socket, Handshake), ConnectError> {
    let poller = Poller::new(http, eio);
    let opening = polling::handshake_url(eio, base);
    let mut packets = poller.get(&opening).await?.into_iter();
    let handshake = match packets.next().map(|packet| owned(&packet)).transpose()? {
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
            match owned(&packet)? {
                Owned::Connect if !joined => joined = true,
                Owned::Ping => poller.post(&session, protocol::PONG).await?,
                Owned::Noop => {}
                Owned::Refused(reason) => return Err(ConnectError::Refused(reason)),
                other => return Err(other.unexpected("the namespace CONNECT")),
            }
        }
    }

    let mut socket =
        open_websocket(&polling::with_sid(&eio.websocket_url(base), &handshake.sid)).await?;
    socket.send(Message::text(protocol::PROBE_PING)).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.as_str() == protocol::PROBE_PONG => break,
            // The server may flush a no-op meant for a pending poll.
            Some(Ok(Message::Text(text))) if text.as_str() == protocol::NOOP => {}
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
    socket.send(Message::text(protocol::UPGRADE)).await?;
    Ok((socket, handshake))
}

async fn open_websocket(url: &str) -> Result<Socket, ConnectError> {
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
    Ok(socket)
}

/// Completes once the run says stop (or is gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
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
async fn next_packet(socket: &mut Socket) -> Result<Owned, ConnectError> {
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | None => return Err(ConnectError::Closed),
            Some(Ok(Message::Binary(_))) => return Ok(Owned::Other("a binary frame".into())),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.into()),
        };
        return Ok(owned(text.as_str())?);
    }
}

/// A handshake-time packet from its text.
fn owned(text: &str) -> Result<Owned, protocol::Error> {
    Ok(match protocol::decode(text)? {
        Packet::Open(handshake) => Owned::Open(handshake),
        Packet::Connect => Owned::Connect,
        Packet::Ping => Owned::Ping,
        Packet::Noop => Owned::Noop,
        Packet::ConnectError(reason) => Owned::Refused(reason.to_owned()),
        _ => Owned::Other(text.to_owned()),
    })
}

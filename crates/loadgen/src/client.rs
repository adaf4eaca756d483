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
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::board::Reporter;
use crate::polling::{self, PollingError};
use crate::protocol::{self, Handshake, Packet, Protocol};
use crate::silence::Silence;
use crate::stamp::{self, Stamp};
use crate::tally::{Delivery, Ledger};

mod handshake;
mod observe;

pub use observe::Ended;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

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
    #[error("Pusher clients connect over WebSocket only; polling is socket.io's")]
    NoPolling,
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
    protocol: Protocol,
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
    protocol: Protocol,
    transport: Transport,
    /// For the polling phase of [`Transport::PollingUpgrade`].
    http: reqwest::Client,
}

impl Connector {
    /// Where clients of `protocol` connect over `transport`; the Pusher protocol has only
    /// the WebSocket one.
    pub fn new(base: &str, protocol: Protocol, transport: Transport) -> Result<Self, ConnectError> {
        if transport == Transport::PollingUpgrade && !protocol.has_polling() {
            return Err(ConnectError::NoPolling);
        }
        Ok(Connector {
            base: base.to_owned(),
            protocol,
            transport,
            http: polling::http_client()?,
        })
    }

    /// Connects one client, joins namespace `/` and subscribes to the public `channel`.
    pub async fn connect(&self, channel: &str) -> Result<Client, ConnectError> {
        let mut client = self.open(channel).await?;
        client.subscribe(&self.protocol.subscribe(channel)).await?;
        Ok(client)
    }

    /// Connects one client for `channel` and joins namespace `/`, without subscribing yet:
    /// the caller sends the `subscribe` (see [`Client::subscribe`]) when it chooses.
    pub async fn open(&self, channel: &str) -> Result<Client, ConnectError> {
        let (base, protocol) = (self.base.as_str(), &self.protocol);
        let (socket, handshake) = match (self.transport, protocol) {
            (Transport::PollingUpgrade, Protocol::SocketIo(eio)) => {
                handshake::polling_then_upgrade(&self.http, base, *eio).await?
            }
            _ => handshake::websocket_only(base, protocol).await?,
        };
        Ok(Client {
            socket,
            protocol: protocol.clone(),
            handshake,
            channel: channel.to_owned(),
        })
    }
}

impl Client {
    /// Sends a subscription (see [`Protocol::subscribe`]).
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
                _ = heartbeat.tick(), if self.protocol.client_pings() => {
                    match self.socket.send(Message::text(self.protocol.ping())).await {
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
            match self.protocol.decode(text.as_str()) {
                Ok(Packet::Event(event)) => {
                    let books = (&mut ledger, &mut silence, &mut reporter);
                    if !self.record(&event, received_ns, books) {
                        malformed += 1;
                    }
                }
                Ok(Packet::Ping) => {
                    if let Err(error) = self.socket.send(Message::text(self.protocol.pong())).await
                    {
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
                _ = heartbeat.tick(), if self.protocol.client_pings() => {
                    match self.socket.send(Message::text(self.protocol.ping())).await {
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
            match self.protocol.decode(text.as_str()) {
                Ok(Packet::Event(event)) if self.is_of_channel(&event) => {
                    if let Some(subscribed) = subscribed.take() {
                        subscribed();
                        leave.as_mut().reset(tokio::time::Instant::now() + stay);
                    }
                }
                Ok(Packet::Ping) => {
                    if let Err(error) = self.socket.send(Message::text(self.protocol.pong())).await
                    {
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
                let Some(stamp) = Stamp::read(data) else {
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

/// Completes once the run says stop (or is gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

//! One Engine.IO session: one Echo client, whichever transport carries it (long-polling
//! requests, a WebSocket, or polling then a WebSocket after the upgrade). It is the hub's
//! [`Subscriber`]: an event is encoded once per channel (the [`SharedFrame`] every session
//! shares) and only the `Arc` is queued per session, in an outbox bounded in packets and bytes.
//!
//! [`SharedFrame`]: sidecast_core::SharedFrame

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use sidecast_core::{Message, Notice, RateLimiter, SocketId, Subscriber, Undelivered};
use sidecast_websocket::{Frame, Outbox};
use tokio::sync::Notify;

use crate::engine::{self, Version};
use crate::inbox::Inbox;
use crate::packet;

#[derive(Debug)]
pub(crate) struct Session {
    /// The Engine.IO session id, which polling requests and the upgrade name.
    pub sid: Box<str>,
    /// The socket's id for the hub and for Laravel's `toOthers()`: the session id in protocol
    /// 4, a separate one in protocol 5 (the session id stays private to the client).
    pub socket_id: SocketId,
    pub version: Version,
    pub outbox: Outbox,
    pub handshake: Handshake,
    pub inbox: Inbox,
    transport: Mutex<Transport>,
    /// Wakes a waiting poll when the session moves to its WebSocket.
    pub upgraded: Notify,
    /// The client asked to join the default namespace: events it sends are handled (after
    /// the join, in its inbox).
    asked_to_join: AtomicBool,
    /// The hub knows the socket.
    registered: AtomicBool,
    clock: Clock,
    /// The client-event budget, made at the first client event.
    whispers: OnceLock<RateLimiter>,
}

/// What the request that opened the session carried, kept for the app's auth endpoint.
#[derive(Debug, Default)]
pub(crate) struct Handshake {
    pub cookie: Option<Box<str>>,
    pub referer: Option<Box<str>>,
    /// The page's origin is one that may connect (or there is none: not a browser).
    pub origin_allowed: bool,
}

#[derive(Debug, Default)]
struct Transport {
    /// The session has moved to a WebSocket; polling is over.
    websocket: bool,
    /// A WebSocket has answered the probe and waits for the client's upgrade packet.
    upgrading: bool,
    /// A long-polling request is waiting for packets.
    polled: bool,
}

/// Why a long-polling request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollRefused {
    /// The session is on its WebSocket now.
    Upgraded,
    /// Another poll of the session is already waiting: the client broke the protocol.
    Overlap,
}

/// When the session was last heard from and pinged, in milliseconds since the front end's
/// epoch.
#[derive(Debug)]
struct Clock {
    epoch: Instant,
    heard_at: AtomicU64,
    pinged_at: AtomicU64,
    /// A ping went out and nothing has been heard since.
    awaiting_pong: AtomicBool,
}

/// What the liveness check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    Alive,
    /// Engine.IO 4: time for the server's ping.
    PingDue,
    /// Not heard from in time; `reason` says how.
    Dead(&'static str),
    /// Its outbox has refused events for longer than allowed: it does not read.
    NotReading,
}

/// The liveness settings, from the front end's config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
}

impl Session {
    pub fn new(
        sid: Box<str>,
        socket_id: SocketId,
        version: Version,
        handshake: Handshake,
        outbox: Outbox,
        epoch: Instant,
    ) -> Self {
        let now = epoch.elapsed().as_millis() as u64;
        Session {
            sid,
            socket_id,
            version,
            outbox,
            handshake,
            inbox: Inbox::default(),
            transport: Mutex::default(),
            upgraded: Notify::new(),
            asked_to_join: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            clock: Clock {
                epoch,
                heard_at: AtomicU64::new(now),
                pinged_at: AtomicU64::new(now),
                awaiting_pong: AtomicBool::new(false),
            },
            whispers: OnceLock::new(),
        }
    }

    /// Queues an engine packet made for this session alone (answers, errors). A client so far
    /// behind that even those do not fit is not reading: it is closed.
    pub fn send(&self, packet: Vec<u8>) {
        match self.outbox.push(Frame::from(packet)) {
            Ok(()) | Err(Undelivered::Closed) => {}
            Err(reason) => {
                tracing::info!(socket = %self.socket_id, ?reason, "client not reading its replies; closing");
                self.close();
            }
        }
    }

    /// Ends the session: the close packet goes last, after what is queued. Returns `false` if
    /// it was already closing.
    pub fn close(&self) -> bool {
        self.outbox.close_with(Frame::from(engine::CLOSE))
    }

    pub fn is_closing(&self) -> bool {
        self.outbox.is_closing()
    }

    /// Records the client's request to join the default namespace; true the first time.
    pub fn ask_to_join(&self) -> bool {
        !self.asked_to_join.swap(true, Ordering::AcqRel)
    }

    pub fn has_asked_to_join(&self) -> bool {
        self.asked_to_join.load(Ordering::Acquire)
    }

    pub fn mark_registered(&self) {
        self.registered.store(true, Ordering::Release);
    }

    /// The hub knows the socket (until the session's `Leave`).
    pub fn is_registered(&self) -> bool {
        self.registered.load(Ordering::Acquire)
    }

    pub fn whisper_budget(&self, make: impl FnOnce() -> RateLimiter) -> &RateLimiter {
        self.whispers.get_or_init(make)
    }

    fn transport(&self) -> MutexGuard<'_, Transport> {
        self.transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A long-polling request starts waiting for packets.
    pub fn begin_poll(&self) -> Result<(), PollRefused> {
        let mut transport = self.transport();
        if transport.websocket {
            return Err(PollRefused::Upgraded);
        }
        if transport.polled {
            return Err(PollRefused::Overlap);
        }
        transport.polled = true;
        Ok(())
    }

    pub fn end_poll(&self) {
        self.transport().polled = false;
    }

    pub fn is_polled(&self) -> bool {
        self.transport().polled
    }

    pub fn is_websocket(&self) -> bool {
        self.transport().websocket
    }

    /// A WebSocket of this session starts its upgrade; false if it is on one already or
    /// another one is upgrading.
    pub fn begin_upgrade(&self) -> bool {
        let mut transport = self.transport();
        if transport.websocket || transport.upgrading {
            return false;
        }
        transport.upgrading = true;
        true
    }

    /// The upgrade gave up (the WebSocket ended or took too long): polling goes on.
    pub fn abandon_upgrade(&self) {
        self.transport().upgrading = false;
    }

    /// The client sent the upgrade packet: from now on the WebSocket carries the session.
    pub fn finish_upgrade(&self) {
        let mut transport = self.transport();
        transport.upgrading = false;
        transport.websocket = true;
        drop(transport);
        self.upgraded.notify_waiters();
    }

    /// The session starts on a WebSocket, without polling first.
    pub fn start_on_websocket(&self) {
        self.transport().websocket = true;
    }

    /// Anything from the client shows it is alive.
    pub fn heard(&self) {
        self.clock
            .heard_at
            .store(self.clock.now(), Ordering::Relaxed);
        self.clock.awaiting_pong.store(false, Ordering::Relaxed);
    }

    pub fn mark_pinged(&self) {
        self.clock
            .pinged_at
            .store(self.clock.now(), Ordering::Relaxed);
        self.clock.awaiting_pong.store(true, Ordering::Relaxed);
    }

    /// Whether the session is alive. Engine.IO 4 clients are pinged every interval and must
    /// answer within the timeout (they also give up on a server that stops pinging);
    /// Engine.IO 3 clients ping on their own every interval. Whatever its outbox holds, a
    /// client that is not heard from in time is dead, and one whose outbox has stayed full
    /// for the ping timeout is not reading.
    pub fn health(&self, timing: Timing) -> Health {
        let now = self.clock.now();
        let interval = timing.ping_interval.as_millis() as u64;
        let timeout = timing.ping_timeout.as_millis() as u64;
        if self
            .outbox
            .full_since()
            .is_some_and(|since| since.elapsed() >= timing.ping_timeout)
        {
            return Health::NotReading;
        }
        match self.version {
            Version::V3 => {
                let silent = now.saturating_sub(self.clock.heard_at.load(Ordering::Relaxed));
                if silent >= interval + timeout {
                    return Health::Dead("no ping from the client in time");
                }
                Health::Alive
            }
            Version::V4 => {
                let since_ping = now.saturating_sub(self.clock.pinged_at.load(Ordering::Relaxed));
                let awaiting = self.clock.awaiting_pong.load(Ordering::Relaxed);
                match (awaiting, since_ping) {
                    (true, since) if since >= timeout => Health::Dead("no pong in time"),
                    (false, since) if since >= interval => Health::PingDue,
                    _ => Health::Alive,
                }
            }
        }
    }
}

impl Clock {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

impl Subscriber for Session {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
        let frame = message.shared.get_or_encode::<Session>(|| {
            packet::event(
                message.event.as_str(),
                message.channel.as_str(),
                message.payload.as_raw(),
            )
        });
        self.outbox.push(frame)
    }

    fn notify(&self, notice: Notice<'_>) -> Result<(), Undelivered> {
        let packet = match notice {
            Notice::Subscribed {
                channel,
                members: Some(members),
            } => packet::emit(&("presence:subscribed", channel.as_str(), members)),
            // Echo's socket.io protocol has none of these, and laravel-echo-server had no
            // cache channels; a cache channel's last event is still delivered.
            Notice::Subscribed { members: None, .. }
            | Notice::CacheMiss { .. }
            | Notice::SubscriptionCount { .. } => return Ok(()),
            Notice::Joining { channel, member } => {
                packet::emit(&("presence:joining", channel.as_str(), member))
            }
            Notice::Leaving { channel, member } => {
                packet::emit(&("presence:leaving", channel.as_str(), member))
            }
        };
        self.outbox.push(Frame::from(packet))
    }
}

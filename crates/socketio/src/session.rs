//! One Engine.IO session: one Echo client, whichever transport carries it (long-polling
//! requests, a WebSocket, or polling then a WebSocket after the upgrade). It is the hub's
//! [`Subscriber`]: an event is encoded once per channel (the [`SharedFrame`] every session
//! shares) and only the `Arc` is queued per session, in an outbox bounded in packets and bytes.
//!
//! [`SharedFrame`]: sidecast_core::SharedFrame

use std::net::IpAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use sidecast_core::{Message, Notice, RateLimiter, SocketId, Subscriber, Undelivered};
use sidecast_websocket::{Frame, Outbox};

use crate::engine::{self, Version};
use crate::inbox::Inbox;
use crate::packet;

mod clock;
mod transport;

use clock::Clock;
pub(crate) use clock::{Health, Timing};
pub(crate) use transport::{PollRefused, Transport};

#[derive(Debug)]
pub(crate) struct Session {
    /// The Engine.IO session id, which polling requests and the upgrade name.
    pub sid: Box<str>,
    /// The socket's id for the hub and for Laravel's `toOthers()`: the session id for
    /// socket.io-client 2 (Engine.IO 3), which makes its socket id so; a separate one for later
    /// clients (Engine.IO 4), so the session id stays private to the client.
    pub socket_id: SocketId,
    pub version: Version,
    pub outbox: Outbox,
    pub handshake: Handshake,
    pub inbox: Inbox,
    pub transport: Transport,
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
    /// The client's address, as the connection came in (a proxy's, behind one).
    pub address: Option<IpAddr>,
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
        Session {
            sid,
            socket_id,
            version,
            outbox,
            handshake,
            inbox: Inbox::default(),
            transport: Transport::default(),
            asked_to_join: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            clock: Clock::new(epoch),
            whispers: OnceLock::new(),
        }
    }

    /// Queues an engine packet made for this session alone (answers, errors). When the
    /// outbox is full it is dropped, as events are: a client that stays that far behind is
    /// closed by the liveness check once the ping timeout has passed.
    pub fn send(&self, packet: Vec<u8>) {
        if let Err(reason) = self.outbox.push(Frame::from(packet)) {
            tracing::trace!(socket = %self.socket_id, ?reason, "reply dropped");
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

#[cfg(test)]
mod tests;

//! One Engine.IO session: one Echo client, whichever transport carries it (long-polling
//! requests, a WebSocket, or polling then a WebSocket after the upgrade). It is the hub's
//! [`Subscriber`]: an event is encoded once per channel (the [`SharedFrame`] every session
//! shares) and only the `Arc` is queued per session, in an outbox bounded in packets and bytes.
//!
//! [`SharedFrame`]: sidecast_core::SharedFrame

use std::net::IpAddr;
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
    /// The socket's id for the hub and for Laravel's `toOthers()`: the session id for
    /// socket.io-client 2 (Engine.IO 3), which makes its socket id so; a separate one for later
    /// clients (Engine.IO 4), so the session id stays private to the client.
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
    /// The client's address, as the connection came in (a proxy's, behind one).
    pub address: Option<IpAddr>,
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
    opened_at: u64,
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
    /// Opened long ago and never joined the default namespace.
    NeverJoined,
    /// Not heard from in time; `reason` says how.
    Dead(&'static str),
    /// Its outbox has refused events for longer than allowed: it does not read.
    NotReading,
}

/// How long a session may stay open without joining the default namespace (socket.io's own
/// `connectTimeout`): a client that opens sessions and never connects holds no more.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(45);

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
                opened_at: now,
                heard_at: AtomicU64::new(now),
                pinged_at: AtomicU64::new(now),
                awaiting_pong: AtomicBool::new(false),
            },
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
        if !self.has_asked_to_join()
            && now.saturating_sub(self.clock.opened_at) >= CONNECT_TIMEOUT.as_millis() as u64
        {
            return Health::NeverJoined;
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

#[cfg(test)]
mod tests {
    use super::*;

    const TIMING: Timing = Timing {
        ping_interval: Duration::from_secs(25),
        ping_timeout: Duration::from_secs(20),
    };

    /// A session whose clock says it last heard from the client, and last pinged it, `ago`.
    fn silent_for(version: Version, ago: Duration) -> Session {
        let session = Session::new(
            "sid".into(),
            SocketId::new("sid").unwrap(),
            version,
            Handshake::default(),
            Outbox::new(2, 64),
            Instant::now() - ago,
        );
        session.clock.heard_at.store(0, Ordering::Relaxed);
        session.clock.pinged_at.store(0, Ordering::Relaxed);
        session.ask_to_join();
        session
    }

    #[test]
    fn engine_io_4_sessions_are_pinged_every_interval_and_dead_without_a_pong() {
        let quiet = silent_for(Version::V4, Duration::from_secs(10));
        assert_eq!(quiet.health(TIMING), Health::Alive);
        let due = silent_for(Version::V4, Duration::from_secs(26));
        assert_eq!(due.health(TIMING), Health::PingDue);
        due.mark_pinged();
        assert_eq!(due.health(TIMING), Health::Alive);

        let unanswered = silent_for(Version::V4, Duration::from_secs(21));
        unanswered
            .clock
            .awaiting_pong
            .store(true, Ordering::Relaxed);
        assert_eq!(unanswered.health(TIMING), Health::Dead("no pong in time"));
        unanswered.heard();
        assert_ne!(unanswered.health(TIMING), Health::Dead("no pong in time"));
    }

    #[test]
    fn a_session_that_never_joins_is_closed_after_the_connect_timeout() {
        let mut session = Session::new(
            "sid".into(),
            SocketId::new("sid").unwrap(),
            Version::V4,
            Handshake::default(),
            Outbox::new(2, 64),
            Instant::now() - Duration::from_secs(46),
        );
        session.clock.opened_at = 0;
        assert_eq!(session.health(TIMING), Health::NeverJoined);
        session.ask_to_join();
        assert_ne!(session.health(TIMING), Health::NeverJoined);
    }

    #[test]
    fn engine_io_3_sessions_are_dead_when_their_own_pings_stop() {
        let pinging = silent_for(Version::V3, Duration::from_secs(40));
        assert_eq!(pinging.health(TIMING), Health::Alive);
        let stopped = silent_for(Version::V3, Duration::from_secs(46));
        assert_eq!(
            stopped.health(TIMING),
            Health::Dead("no ping from the client in time")
        );
    }

    #[test]
    fn a_session_whose_outbox_stays_full_for_the_ping_timeout_does_not_read() {
        let session = silent_for(Version::V4, Duration::ZERO);
        let at_once = Timing {
            ping_timeout: Duration::ZERO,
            ..TIMING
        };
        session.send(b"42[\"a\"]".to_vec());
        assert_eq!(session.health(at_once), Health::Alive);
        // 64 bytes: a second packet of 60 does not fit, and the outbox remembers it refused.
        session
            .outbox
            .push(Frame::from(vec![b'x'; 60]))
            .unwrap_err();
        assert_eq!(session.health(at_once), Health::NotReading);
        assert_eq!(session.health(TIMING), Health::Alive);
    }

    #[test]
    fn polls_do_not_overlap_and_end_with_the_upgrade() {
        let session = silent_for(Version::V4, Duration::ZERO);
        session.begin_poll().unwrap();
        assert_eq!(session.begin_poll(), Err(PollRefused::Overlap));
        assert!(session.is_polled());
        session.end_poll();
        assert!(session.begin_upgrade());
        assert!(!session.begin_upgrade(), "one upgrade at a time");
        session.abandon_upgrade();
        assert!(session.begin_upgrade());
        session.finish_upgrade();
        assert!(session.is_websocket());
        assert_eq!(session.begin_poll(), Err(PollRefused::Upgraded));
        assert!(!session.begin_upgrade());
    }
}

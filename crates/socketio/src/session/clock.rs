//! When a session was opened, last heard from and last pinged, and what that says about it:
//! alive, due a ping, dead, never joined, or not reading.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Session;
use crate::engine::Version;

/// When the session was last heard from and pinged, in milliseconds since the front end's
/// epoch.
#[derive(Debug)]
pub(crate) struct Clock {
    epoch: Instant,
    pub(super) opened_at: u64,
    pub(super) heard_at: AtomicU64,
    pub(super) pinged_at: AtomicU64,
    /// A ping went out and nothing has been heard since.
    pub(super) awaiting_pong: AtomicBool,
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

impl Clock {
    pub fn new(epoch: Instant) -> Self {
        let now = epoch.elapsed().as_millis() as u64;
        Clock {
            epoch,
            opened_at: now,
            heard_at: AtomicU64::new(now),
            pinged_at: AtomicU64::new(now),
            awaiting_pong: AtomicBool::new(false),
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

impl Session {
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

//! One Pusher connection as the rest of the front end sees it: its id, its outbox, when it
//! was last heard from, who signed in on it. It is the hub's [`Subscriber`]: an event is
//! encoded once per channel (the [`SharedFrame`](sidecast_core::SharedFrame) every socket of
//! this front end shares) and only the `Arc` is queued per socket.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use sidecast_core::{Message, Notice, RateLimiter, SocketId, Subscriber, Undelivered};

use crate::protocol;
use sidecast_websocket::{Frame, Outbox};

#[derive(Debug)]
pub struct Socket {
    pub id: SocketId,
    pub outbox: Outbox,
    /// Milliseconds since `epoch` when a frame last came in.
    heard_at: AtomicU64,
    /// A ping was sent and nothing has come in since.
    pinged: AtomicBool,
    epoch: Instant,
    /// The user signed in on this connection (`pusher:signin`), once.
    user: OnceLock<String>,
    /// The client-event budget, made at the first client event.
    whispers: OnceLock<RateLimiter>,
}

/// What the liveness check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silence {
    Recent,
    /// Silent long enough to be pinged, and not pinged yet.
    PingDue,
    /// Pinged and silent past the pong timeout.
    Dead,
    Waiting,
}

impl Socket {
    pub fn new(
        id: SocketId,
        max_queued_frames: usize,
        max_queued_bytes: usize,
        epoch: Instant,
    ) -> Self {
        let socket = Socket {
            id,
            outbox: Outbox::new(max_queued_frames, max_queued_bytes),
            heard_at: AtomicU64::new(0),
            pinged: AtomicBool::new(false),
            epoch,
            user: OnceLock::new(),
            whispers: OnceLock::new(),
        };
        socket.heard();
        socket
    }

    /// Queues a frame made for this socket alone (answers, errors). A client so far behind
    /// that even its replies do not fit is not reading: it is closed (4100: reconnect later).
    pub fn send(&self, frame: Vec<u8>) {
        match self.outbox.push(Frame::from(frame)) {
            Ok(()) | Err(Undelivered::Closed) => {}
            Err(reason) => {
                tracing::info!(socket = %self.id, ?reason, "client not reading its replies; closing");
                self.outbox
                    .close(4100, "Over capacity: the client is not reading");
            }
        }
    }

    /// Sends `pusher:error` and closes with the same code.
    pub fn refuse(&self, code: u16, message: &str) {
        self.send(protocol::error(Some(code), message));
        self.outbox.close(code, message);
    }

    pub fn heard(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.heard_at.store(now, Ordering::Relaxed);
        self.pinged.store(false, Ordering::Relaxed);
    }

    /// How long the connection has been silent, against the ping interval and pong timeout.
    pub fn silence(&self, ping_after_ms: u64, dead_after_ms: u64) -> Silence {
        let now = self.epoch.elapsed().as_millis() as u64;
        let silent = now.saturating_sub(self.heard_at.load(Ordering::Relaxed));
        let pinged = self.pinged.load(Ordering::Relaxed);
        match (silent, pinged) {
            (silent, true) if silent >= dead_after_ms => Silence::Dead,
            (_, true) => Silence::Waiting,
            (silent, false) if silent >= ping_after_ms => Silence::PingDue,
            _ => Silence::Recent,
        }
    }

    pub fn mark_pinged(&self) {
        self.pinged.store(true, Ordering::Relaxed);
    }

    pub fn user(&self) -> Option<&str> {
        self.user.get().map(String::as_str)
    }

    /// Records the signed-in user; a connection signs in once. Returns whether it took.
    pub fn sign_in(&self, user: String) -> bool {
        self.user.set(user.clone()).is_ok() || self.user() == Some(user.as_str())
    }

    pub fn whisper_budget(&self, make: impl FnOnce() -> RateLimiter) -> &RateLimiter {
        self.whispers.get_or_init(make)
    }
}

impl Subscriber for Socket {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
        let frame = message
            .shared
            .get_or_encode::<Socket>(|| protocol::event(&message));
        self.outbox.push(frame)
    }

    fn notify(&self, notice: Notice<'_>) -> Result<(), Undelivered> {
        let frame = match notice {
            Notice::SubscriptionCount { shared, .. } => {
                shared.get_or_encode::<Socket>(|| protocol::notice(&notice))
            }
            _ => Frame::from(protocol::notice(&notice)),
        };
        self.outbox.push(frame)
    }

    fn terminate_if_signed_in_as(&self, user: &str) -> bool {
        let signed_in = self.user() == Some(user);
        if signed_in {
            self.refuse(4009, "Connection terminated by the app");
        }
        signed_in
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_client_too_far_behind_for_its_own_replies_is_closed_with_4100() {
        let socket = Socket::new(SocketId::new("1.2").unwrap(), 3, 1024, Instant::now());
        for _ in 0..3 {
            socket.send(protocol::pong());
        }
        assert!(!socket.outbox.is_closing());
        socket.send(protocol::pong());
        assert!(socket.outbox.is_closing());
        let mut frames = Vec::new();
        assert!(socket.outbox.take(&mut frames).await);
        let close = frames.last().unwrap();
        assert_eq!(&close[2..4], &4100u16.to_be_bytes());
    }
}

//! Which transport carries a session, and the moves between them: polls that wait for
//! packets (one at a time), then perhaps the upgrade to a WebSocket, after which polling ends.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

#[derive(Debug, Default)]
pub(crate) struct Transport {
    state: Mutex<State>,
    /// Wakes a waiting poll when the session moves to its WebSocket.
    pub upgraded: Notify,
}

#[derive(Debug, Default)]
struct State {
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

impl Transport {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A long-polling request starts waiting for packets.
    pub fn begin_poll(&self) -> Result<(), PollRefused> {
        let mut transport = self.state();
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
        self.state().polled = false;
    }

    pub fn is_polled(&self) -> bool {
        self.state().polled
    }

    pub fn is_websocket(&self) -> bool {
        self.state().websocket
    }

    /// A WebSocket of this session starts its upgrade; false if it is on one already or
    /// another one is upgrading.
    pub fn begin_upgrade(&self) -> bool {
        let mut transport = self.state();
        if transport.websocket || transport.upgrading {
            return false;
        }
        transport.upgrading = true;
        true
    }

    /// The upgrade gave up (the WebSocket ended or took too long): polling goes on.
    pub fn abandon_upgrade(&self) {
        self.state().upgrading = false;
    }

    /// The client sent the upgrade packet: from now on the WebSocket carries the session.
    pub fn finish_upgrade(&self) {
        let mut transport = self.state();
        transport.upgrading = false;
        transport.websocket = true;
        drop(transport);
        self.upgraded.notify_waiters();
    }

    /// The session starts on a WebSocket, without polling first.
    pub fn start_on_websocket(&self) {
        self.state().websocket = true;
    }
}

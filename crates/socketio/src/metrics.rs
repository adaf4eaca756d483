//! The socket.io front end's connections, for the server's census: by Engine.IO version
//! (3: Echo 1 with socket.io-client 2; 4: Echo 2 with socket.io-client 4), and how many of
//! them are on a WebSocket now rather than polling.

use serde::Serialize;
use sidecast_core::metrics::{ConnectionFigures, Connections, Counter, Gauge};

use crate::engine::Version;

/// This process's socket.io figures.
pub static METRICS: SocketioMetrics = SocketioMetrics::new();

#[derive(Debug)]
pub struct SocketioMetrics {
    eio3: Connections,
    eio4: Connections,
    pub(crate) websockets: Gauge,
    pub(crate) refused_origin: Counter,
}

impl SocketioMetrics {
    const fn new() -> Self {
        SocketioMetrics {
            eio3: Connections::new(),
            eio4: Connections::new(),
            websockets: Gauge::new(),
            refused_origin: Counter::new(),
        }
    }

    pub(crate) fn connections(&self, version: Version) -> &Connections {
        match version {
            Version::V3 => &self.eio3,
            Version::V4 => &self.eio4,
        }
    }

    pub fn snapshot(&self) -> SocketioFigures {
        SocketioFigures {
            eio3: self.eio3.snapshot(),
            eio4: self.eio4.snapshot(),
            websockets: self.websockets.get(),
            refused_origin: self.refused_origin.get(),
        }
    }
}

/// socket.io connections since start-up, counted once the client is connected to the
/// namespace (an Engine.IO session that never gets there is not a connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SocketioFigures {
    /// Engine.IO 3: Laravel Echo 1 with socket.io-client 2.
    pub eio3: ConnectionFigures,
    /// Engine.IO 4: Laravel Echo 2 with socket.io-client 4.
    pub eio4: ConnectionFigures,
    /// Sessions on a WebSocket now; the others poll.
    pub websockets: u64,
    /// Connections refused because their page's origin is not allowed.
    pub refused_origin: u64,
}

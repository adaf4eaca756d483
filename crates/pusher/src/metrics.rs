//! The Pusher front end's connections, every app's together, for the server's census.

use serde::Serialize;
use sidecast_core::metrics::{ConnectionFigures, Connections, Counter};

/// This process's Pusher-protocol figures.
pub static METRICS: PusherMetrics = PusherMetrics::new();

#[derive(Debug)]
pub struct PusherMetrics {
    pub(crate) connections: Connections,
    pub(crate) refused_over_quota: Counter,
}

impl PusherMetrics {
    const fn new() -> Self {
        PusherMetrics {
            connections: Connections::new(),
            refused_over_quota: Counter::new(),
        }
    }

    pub fn snapshot(&self) -> PusherFigures {
        PusherFigures {
            connections: self.connections.snapshot(),
            refused_over_quota: self.refused_over_quota.get(),
        }
    }
}

/// Pusher-protocol connections since start-up (all WebSockets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PusherFigures {
    pub connections: ConnectionFigures,
    /// Refused with 4004: the app had `max_connections` open.
    pub refused_over_quota: u64,
}

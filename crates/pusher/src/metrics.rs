//! The Pusher front end's connections, every app's together, for the server's census.

use serde::Serialize;
use sidecast_core::metrics::{ConnectionFigures, Connections, Counter};

/// This process's Pusher-protocol figures.
pub static METRICS: PusherMetrics = PusherMetrics::new();

#[derive(Debug)]
pub struct PusherMetrics {
    pub(crate) connections: Connections,
    pub(crate) refused_over_quota: Counter,
    refused_origin: Counter,
    refused_unknown_app: Counter,
    refused_protocol: Counter,
}

impl PusherMetrics {
    const fn new() -> Self {
        PusherMetrics {
            connections: Connections::new(),
            refused_over_quota: Counter::new(),
            refused_origin: Counter::new(),
            refused_unknown_app: Counter::new(),
            refused_protocol: Counter::new(),
        }
    }

    /// Counts a connection refused as it opened, by its close code.
    pub(crate) fn refused(&self, code: u16) {
        match code {
            4009 => self.refused_origin.inc(),
            4001 => self.refused_unknown_app.inc(),
            _ => self.refused_protocol.inc(),
        }
    }

    pub fn snapshot(&self) -> PusherFigures {
        PusherFigures {
            connections: self.connections.snapshot(),
            refused_over_quota: self.refused_over_quota.get(),
            refused_origin: self.refused_origin.get(),
            refused_unknown_app: self.refused_unknown_app.get(),
            refused_protocol: self.refused_protocol.get(),
        }
    }
}

/// Pusher-protocol connections since start-up (all WebSockets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PusherFigures {
    pub connections: ConnectionFigures,
    /// Refused with 4004: the app had `max_connections` open.
    pub refused_over_quota: u64,
    /// Refused with 4009: the page's origin is not allowed.
    pub refused_origin: u64,
    /// Refused with 4001: no app has the key in the path.
    pub refused_unknown_app: u64,
    /// Refused with 4006 or 4007: a protocol version this server does not speak.
    pub refused_protocol: u64,
}

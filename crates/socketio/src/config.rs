//! The socket.io settings sidecast exposes.

use std::time::Duration;

use sidecast_core::{AllowedOrigins, ClientEventLimits};

/// Settings of the socket.io front end. `Default` gives the values documented in
/// `docs/configuration.md`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Packets queued per socket before further events to it are dropped (and counted). Sized
    /// for bursts such as a notification sent to every user at once: socket.io's default of
    /// 128 loses events under such bursts. Memory is only used while a client lags behind.
    pub max_buffer_size: usize,
    /// Bytes queued per socket before further events to it are dropped: what a client that
    /// does not read can hold. Events shared with other sockets count in full. A socket whose
    /// buffer stays full for the ping timeout is closed.
    pub max_buffer_bytes: usize,
    /// Largest message a client may send, in bytes (Engine.IO `maxPayload`, and the WebSocket
    /// message limit). A larger one closes that client's connection.
    pub max_payload: u64,
    /// How often the server pings (Engine.IO 4) or expects pings (Engine.IO 3).
    pub ping_interval: Duration,
    /// How long a missing ping or pong is tolerated before the connection is closed.
    pub ping_timeout: Duration,
    /// What one socket may send as whispers; the same for every front end.
    pub client_events: ClientEventLimits,
    /// The pages that may connect; the same for every front end.
    pub origins: AllowedOrigins,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_buffer_size: 4096,
            max_buffer_bytes: 4 * 1024 * 1024,
            max_payload: 100_000,
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            client_events: ClientEventLimits::default(),
            origins: AllowedOrigins::default(),
        }
    }
}
